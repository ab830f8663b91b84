// `defineSystem`: a user's system from H alone. Two forms, validated by one zod schema:
//
//   expression: { name, q: ['x', 'y'], p: ['px', 'py'], H: '(px^2 + py^2)/2 + ...', params: {...} }
//               H is parsed and differentiated symbolically (src/systems/expression.ts): the exact
//               gradient, compiled to float64;
//   function:   { name, coordinates: ['q'], hamiltonian: (x) => ..., gradient?: (x, out) => ... }
//               without a gradient, dH/dx comes from a fourth-order central difference (4 H calls
//               per state coordinate; src/systems/check.ts); a given gradient is checked against
//               that derivative at sampled states and refused above a relative error of 1e-4.
//
// Either way H is called at the sampled states first: anything but one finite number is refused
// there, naming the state. An initial-state sampler is a function (`sample`) or data (`sampler`:
// uniform ranges per state name, optionally kept only inside an energy band).
import { z } from 'zod';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { didYouMean, fn, parseOptions } from '../util/options.ts';
import { checkedEnergy, checkGradient, differenceGradient } from './check.ts';
import { compileHamiltonian, RESERVED_NAMES } from './expression.ts';
import { buildSystem, type System, type SystemDefinition } from './system.ts';
import type { Shape, View } from './scene.ts';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower case letters, digits and dashes, starting with a letter');
const symbol = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name of letters, digits and _');
const range = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, 'a range [low, high] with low <= high');

/** The data form of a sampler: each state value uniform in its range (default [-1, 1]), kept when H is in `energy`. */
export const samplerSchema = z.strictObject({
  /** Uniform range of each state name (coordinates and momenta); a name left out gets [-1, 1]. */
  ranges: z.record(z.string(), range).optional(),
  /** Keep only states whose H lies in [low, high] (rejection sampling). */
  energy: range.optional(),
  /** Draws tried per state before the band is declared out of reach (default 10000). */
  maxTries: z.number().int().min(1).max(1e7).optional(),
});

/** A sampler given as data (`defineSystem`'s `sampler`, a system file's `sampler`). */
export type SamplerSpec = z.infer<typeof samplerSchema>;

/** Everything `defineSystem` accepts; the form is chosen by `H` (expression) or `hamiltonian` (function). */
export const systemDefinitionSchema = z.strictObject({
  name,
  description: z.string().optional(),
  // expression form
  q: z.array(symbol).min(1).max(64).optional(),
  p: z.array(symbol).min(1).max(64).optional(),
  H: z.string().min(1).optional(),
  params: z.record(z.string(), z.number()).optional(),
  // function form
  coordinates: z.array(z.string().min(1)).min(1).max(64).optional(),
  momenta: z.array(z.string().min(1)).optional(),
  hamiltonian: fn<(x: Float64Array) => number>().optional(),
  gradient: fn<(x: Float64Array, out: Float64Array) => void>().optional(),
  // both
  friction: z.number().min(0).max(100).optional(),
  sample: fn<(rng: Rng) => Float64Array>().optional(),
  sampler: samplerSchema.optional(),
  initialRadius: z.strictObject({ scale: z.number().positive(), offset: z.number().min(0) }).optional(),
  scene: fn<(x: Float64Array) => Shape[]>().optional(),
  view: z.strictObject({ centre: z.tuple([z.number(), z.number()]), scale: z.number().positive() }).optional(),
  bodies: fn<(x: Float64Array) => Array<[number, number]>>().optional(),
});

/** What a user writes to define a system (expression or function form; see the schema's fields). */
export type UserSystemDefinition = z.input<typeof systemDefinitionSchema>;

/** States H and a given gradient are checked at: 8 from the sampler, or from the box [-1, 1]^dim. */
export const CHECK_STATES = 8;

/** A sampler from its data form: uniform ranges, then rejection into the energy band (bounded tries). */
export function samplerOf(
  spec: SamplerSpec,
  labels: readonly string[],
  H: (x: Float64Array) => number,
  system: string,
): (rng: Rng) => Float64Array {
  for (const key of Object.keys(spec.ranges ?? {}))
    if (!labels.includes(key))
      throw new UserError(
        `system ${system}: sampler.ranges names "${key}", not a state name${didYouMean(key, labels)} (names: ${labels.join(', ')})`,
      );
  const lo = labels.map((l) => spec.ranges?.[l]?.[0] ?? -1);
  const hi = labels.map((l) => spec.ranges?.[l]?.[1] ?? 1);
  const band = spec.energy;
  const tries = spec.maxTries ?? 10000;
  return (rng) => {
    for (let t = 0; t < tries; t++) {
      const x = Float64Array.from(labels, (_, i) => rng.range(lo[i], hi[i]));
      if (!band) return x;
      const e = H(x);
      if (e >= band[0] && e <= band[1]) return x;
    }
    throw new UserError(
      `system ${system}: no state with H in [${band![0]}, ${band![1]}] in ${tries} draws from the sampler's ranges; widen sampler.ranges or sampler.energy`,
    );
  };
}

/** The states checked: the sampler's (seeds 0..7) or uniform in [-1, 1]^dim from Rng(0).fork("check"). */
function checkStates(sample: ((rng: Rng) => Float64Array) | undefined, dim: number): Float64Array[] {
  if (sample) return Array.from({ length: CHECK_STATES }, (_, i) => Float64Array.from(sample(new Rng(i).fork('check'))));
  const rng = new Rng(0).fork('check');
  return Array.from({ length: CHECK_STATES }, () => Float64Array.from({ length: dim }, () => rng.range(-1, 1)));
}

interface Forms {
  coordinates: string[];
  momenta: string[];
  hamiltonian: (x: Float64Array) => number;
  /** the exact gradient (expression form) */
  exact?: (x: Float64Array, out: Float64Array) => void;
  /** the user's own gradient, checked against H */
  given?: (x: Float64Array, out: Float64Array) => void;
  derived: string;
}

function expressionForm(d: z.infer<typeof systemDefinitionSchema>): Forms {
  const q = d.q!;
  const p = d.p ?? q.map((n) => `p${n}`);
  if (p.length !== q.length)
    throw new UserError(`system ${d.name}: q has ${q.length} names and p ${p.length}; give one momentum per coordinate`);
  const names = [...q, ...p];
  const params = d.params ?? {};
  const clash = [...names, ...Object.keys(params)].find((n, i, all) => all.indexOf(n) !== i || RESERVED_NAMES.includes(n));
  if (clash !== undefined)
    throw new UserError(`system ${d.name}: the name "${clash}" is used twice or is reserved (${RESERVED_NAMES.join(', ')}); rename it`);
  for (const k of ['coordinates', 'momenta', 'hamiltonian'] as const)
    if (d[k] !== undefined)
      throw new UserError(`system ${d.name}: "${k}" belongs to the function form; with H as an expression use q, p and params`);
  const c = compileHamiltonian(d.H!, names, params);
  return {
    coordinates: q,
    momenta: p,
    hamiltonian: c.hamiltonian,
    exact: c.gradient,
    given: d.gradient,
    derived: `exact (symbolic): ${c.gradientText.map((g, i) => `dH/d${names[i]} = ${g}`).join('; ')}`,
  };
}

function functionForm(d: z.infer<typeof systemDefinitionSchema>): Forms {
  for (const k of ['q', 'p', 'params'] as const)
    if (d[k] !== undefined)
      throw new UserError(
        `system ${d.name}: "${k}" belongs to the expression form; give H as a string, or use coordinates and hamiltonian`,
      );
  if (!d.coordinates) throw new UserError(`system ${d.name}: give coordinates (the position names) with hamiltonian`);
  const momenta = d.momenta ?? d.coordinates.map((c) => `p_${c}`);
  if (momenta.length !== d.coordinates.length) throw new UserError(`system ${d.name}: give one momentum name per coordinate`);
  return {
    coordinates: d.coordinates,
    momenta,
    hamiltonian: d.hamiltonian!,
    given: d.gradient,
    derived: 'fourth-order central differences of H',
  };
}

/**
 * A System from a user's definition (expression or function form). Validates every option (unknown
 * keys with a "did you mean", ranges), compiles or wraps H, derives a missing gradient, checks H
 * (one finite number) and a given gradient (relative error <= 1e-4) at 8 sampled states, and derives
 * the exact field dq/dt = dH/dp, dp/dt = -dH/dq - friction dH/dp. Throws a one-line UserError on any
 * problem. `system.gradientSource` says how the gradient was obtained.
 */
export function defineSystem(definition: UserSystemDefinition): System & { readonly gradientSource: string } {
  const d = parseOptions(systemDefinitionSchema, definition, 'defineSystem');
  if (d.H === undefined && d.hamiltonian === undefined)
    throw new UserError(
      `system ${d.name}: give H, as an expression string (with q and p) or as a function (hamiltonian, with coordinates)`,
    );
  if (d.H !== undefined && d.hamiltonian !== undefined)
    throw new UserError(`system ${d.name}: give H as an expression or hamiltonian as a function, not both`);
  if (d.sample && d.sampler) throw new UserError(`system ${d.name}: give sample (a function) or sampler (ranges), not both`);
  const f = d.H !== undefined ? expressionForm(d) : functionForm(d);
  const labels = [...f.coordinates, ...f.momenta];
  const raw = f.hamiltonian;
  // anything but a number is refused wherever H is called; finiteness is checked at the sampled states
  const hamiltonian = (x: Float64Array): number => {
    const e: unknown = raw(x);
    return typeof e === 'number' ? e : checkedEnergy(d.name, () => e, x, labels);
  };
  const sample = d.sample ?? (d.sampler ? samplerOf(d.sampler, labels, hamiltonian, d.name) : undefined);
  const states = checkStates(sample, labels.length);
  for (const x of states) {
    if (x.length !== labels.length)
      throw new UserError(
        `system ${d.name}: the sampler returned ${x.length} values, the state (${labels.join(', ')}) has ${labels.length}`,
      );
    checkedEnergy(d.name, raw, x, labels);
  }
  if (f.given) checkGradient(d.name, hamiltonian, f.given, states, labels);
  const gradient = f.exact ?? f.given ?? ((x: Float64Array, out: Float64Array) => differenceGradient(hamiltonian, x, out));
  const def: SystemDefinition = {
    name: d.name,
    description: d.description ?? (d.H !== undefined ? `H = ${d.H}` : `${d.name} (H given as a function)`),
    coordinates: f.coordinates,
    momenta: f.momenta,
    hamiltonian,
    gradient,
    friction: d.friction,
    sample,
    initialRadius: d.initialRadius,
    scene: d.scene,
    view: d.view as View | undefined,
    bodies: d.bodies,
    params: d.params,
  };
  const gradientSource = f.exact || !f.given ? f.derived : `given, checked against H at ${states.length} states`;
  return Object.assign(buildSystem(def), { gradientSource });
}
