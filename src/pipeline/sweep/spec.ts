// A sweep specification (YAML or JSON) and its expansion into runs: a grid, or a seeded random search,
// over tasks x models x seeds x any `hnn train` option (and `hnn generate` options of each run's own
// dataset), or a named preset (the tables of `hnn reproduce`). Every run is checked by the validator
// the CLI gives (the train command's own parsers) before anything is submitted.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import { canonicalJson, checkSweepName, planRun, type OptionValue, type PlannedRun, type RunSpec, type RunValidator } from './plan.ts';
import { PRESETS, presetTasks, type PresetName } from './presets.ts';
import { metricInfo, METRICS } from './summary.ts';

/** More runs than this in one sweep is almost surely a mistake in the spec (a grid multiplies). */
export const MAX_RUNS = 10_000;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const range = z.tuple([z.number(), z.number()]);
/** An option's values: one (fixed), a list (swept), or a distribution (random search only). */
const dimension = z.union([
  scalar,
  z.array(scalar).min(1),
  z.strictObject({ uniform: range }),
  z.strictObject({ 'log-uniform': range }),
  z.strictObject({ int: range }),
]);
type Dimension = z.infer<typeof dimension>;

const specSchema = z.strictObject({
  name: z.string().optional(),
  preset: z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]).optional(),
  quick: z.boolean().optional(),
  tasks: z.array(z.string()).min(1).optional(),
  models: z.array(z.string()).min(1).optional(),
  seeds: z.array(z.int().min(0)).min(1).optional(),
  repeat: z.int().min(1).max(1000).optional(),
  train: z.record(z.string(), dimension).optional(),
  data: z.record(z.string(), dimension).optional(),
  search: z.enum(['grid', 'random']).optional(),
  samples: z.int().min(1).max(MAX_RUNS).optional(),
  'random-seed': z.int().min(0).max(0xffffffff).optional(),
  attempts: z.int().min(1).max(20).optional(),
  metric: z.string().optional(),
});
/** A sweep specification as read from YAML or JSON (docs/SWEEPS.md). */
export type SweepSpec = z.infer<typeof specSchema>;

/** A spec expanded into its checked runs, with what ranks and plots them. */
export interface SweepPlan {
  name: string;
  runs: PlannedRun[];
  /** tries of a run that fails by itself before it is marked failed */
  attempts: number;
  /** the metric the results are ranked by (lower is better) */
  metric: string;
  /** options that take more than one value (the plots' x axes) */
  swept: string[];
  spec: SweepSpec;
}

/** Reads a spec file (.yaml, .yml or .json) and checks its shape; the sweep's name defaults to the file's. */
export function readSpec(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`cannot read the sweep spec ${path}; check the path`);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UserError(`${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  const spec = parseSpec(raw, path);
  return { ...spec, name: spec.name ?? basename(path, extname(path)) };
}

/** Checks the shape of a parsed spec; a UserError names the first problem. */
export function parseSpec(raw: unknown, where = 'the sweep spec'): SweepSpec {
  const r = specSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const [section] = issue.path;
    // an option's value failed every form of `dimension`: zod says only "Invalid input"
    const message =
      issue.code === 'invalid_union' && (section === 'train' || section === 'data') && issue.path.length === 2
        ? 'an option takes a value (text, a number, true or false), a list of values, or {uniform | log-uniform | int: [a, b]}; a list-valued option is written as its command-line text, e.g. hidden: ["32", "64,64"]'
        : issue.message;
    throw new UserError(`${where}: ${issue.path.join('.') || '(top level)'}: ${message}; see docs/SWEEPS.md for the format`);
  }
  return r.data;
}

/** The base runs before options: one per task (with the preset's options for that task) x model x seed. */
function baseRuns(spec: SweepSpec): Array<{ task: string; model: string; seed: number; train: Record<string, OptionValue> }> {
  const fromPreset = spec.preset ? presetTasks(spec.preset) : [];
  const tasks = spec.tasks ? spec.tasks.map((t) => fromPreset.find((p) => p.task === t) ?? { task: t, train: {} }) : fromPreset;
  if (tasks.length === 0) throw new UserError('the sweep spec names no task: give "tasks" (or a "preset")');
  const models = spec.models ?? (spec.preset ? PRESETS[spec.preset].models : ['baseline', 'hnn']);
  const seeds = spec.seeds ?? Array.from({ length: spec.repeat ?? 1 }, (_, k) => k);
  if (spec.seeds && spec.repeat) throw new UserError('give "seeds" or "repeat" (seeds 0..repeat-1), not both');
  return tasks.flatMap(({ task, train }) =>
    models.flatMap((model) =>
      // one engine thread unless the spec says otherwise: the thread count is part of a run's bytes
      seeds.map((seed) => ({ task, model, seed, train: { threads: 1, ...train, ...(spec.quick ? { quick: true } : {}) } })),
    ),
  );
}

type Combo = { train: Record<string, OptionValue>; data: Record<string, OptionValue> };
const isList = (d: Dimension): d is OptionValue[] => Array.isArray(d);
const isScalar = (d: Dimension): d is OptionValue => typeof d !== 'object';

/** Every combination of the listed values (fixed values in every one). */
function gridCombos(train: Record<string, Dimension>, data: Record<string, Dimension>): Combo[] {
  let combos: Combo[] = [{ train: {}, data: {} }];
  for (const [section, dims] of [
    ['train', train],
    ['data', data],
  ] as const) {
    for (const [key, d] of Object.entries(dims)) {
      if (!isScalar(d) && !isList(d))
        throw new UserError(
          `${section}.${key}: a distribution (${Object.keys(d)[0]}) needs "search: random"; a grid takes a value or a list`,
        );
      const values = isList(d) ? d : [d];
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [section]: { ...c[section], [key]: v } })));
      if (combos.length > MAX_RUNS) throw new UserError(`the grid has more than ${MAX_RUNS} option combinations; sweep fewer values`);
    }
  }
  return combos;
}

function draw(d: Dimension, rng: Rng, where: string): OptionValue {
  if (isScalar(d)) return d;
  if (isList(d)) return d[rng.int(d.length)];
  const [kind, [lo, hi]] = Object.entries(d)[0] as [string, [number, number]];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
    throw new UserError(`${where}: ${kind} needs [low, high] with low <= high`);
  if (kind === 'uniform') return rng.range(lo, hi);
  if (kind === 'int') {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new UserError(`${where}: int needs integer bounds`);
    return lo + rng.int(hi - lo + 1);
  }
  if (!(lo > 0)) throw new UserError(`${where}: log-uniform needs bounds above 0`);
  return Math.exp(rng.range(Math.log(lo), Math.log(hi)));
}

/** `samples` distinct combinations drawn from the seeded generator (a bounded number of draws). */
function randomCombos(spec: SweepSpec, train: Record<string, Dimension>, data: Record<string, Dimension>): Combo[] {
  const samples = spec.samples;
  if (!samples) throw new UserError('"search: random" needs "samples": the number of option combinations to draw');
  const rng = new Rng(spec['random-seed'] ?? 0).fork('sweep');
  const seen = new Set<string>();
  const combos: Combo[] = [];
  for (let tries = 0; combos.length < samples && tries < 100 * samples; tries++) {
    const c: Combo = { train: {}, data: {} };
    for (const [k, d] of Object.entries(train)) c.train[k] = draw(d, rng, `train.${k}`);
    for (const [k, d] of Object.entries(data)) c.data[k] = draw(d, rng, `data.${k}`);
    const key = canonicalJson(c);
    if (!seen.has(key)) {
      seen.add(key);
      combos.push(c);
    }
  }
  if (combos.length < samples)
    throw new UserError(`only ${combos.length} distinct combinations could be drawn, fewer than samples: ${samples}; lower "samples"`);
  return combos;
}

/** Expands a spec into its checked runs (each through `validate`, the CLI's own parsers). */
export function expandSpec(spec: SweepSpec, validate: RunValidator, o: { name?: string; repeat?: number } = {}): SweepPlan {
  const effective: SweepSpec = o.repeat ? { ...spec, seeds: undefined, repeat: o.repeat } : spec;
  const name = checkSweepName(o.name ?? spec.name ?? spec.preset ?? 'sweep');
  if (spec.metric !== undefined && !metricInfo(spec.metric))
    throw new UserError(`metric: "${spec.metric}" is not a metric of a run; use one of ${METRICS.map((m) => m.key).join(', ')}`);
  const train = effective.train ?? {};
  const data = effective.data ?? {};
  const combos = effective.search === 'random' ? randomCombos(effective, train, data) : gridCombos(train, data);
  const bases = baseRuns(effective);
  if (bases.length * combos.length > MAX_RUNS)
    throw new UserError(`the sweep has ${bases.length * combos.length} runs, more than ${MAX_RUNS}; sweep fewer values, tasks or seeds`);
  const runs: PlannedRun[] = [];
  const ids = new Set<string>();
  for (const combo of combos) {
    for (const b of bases) {
      const spec1: RunSpec = { task: b.task, model: b.model, seed: b.seed, train: { ...b.train, ...combo.train }, data: combo.data };
      let checked: RunSpec;
      try {
        checked = validate(spec1);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`run ${b.task} ${b.model} seed ${b.seed}: ${e.message}`);
        throw e;
      }
      const run = planRun(name, checked);
      if (!ids.has(run.id)) runs.push(run);
      ids.add(run.id);
    }
  }
  return { name, runs, attempts: spec.attempts ?? 3, metric: spec.metric ?? 'energyMse', swept: sweptOptions(runs), spec: effective };
}

/** Options (and dimensions other than seed) that take more than one value across the runs. */
export function sweptOptions(runs: RunSpec[]): string[] {
  const values = new Map<string, Set<string>>();
  const add = (k: string, v: unknown) => {
    if (!values.has(k)) values.set(k, new Set());
    values.get(k)!.add(JSON.stringify(v));
  };
  const keys = new Set(runs.flatMap((r) => [...Object.keys(r.train), ...Object.keys(r.data).map((k) => `data.${k}`)]));
  for (const r of runs) {
    add('task', r.task);
    add('model', r.model);
    for (const k of keys) add(k, k.startsWith('data.') ? r.data[k.slice(5)] : r.train[k]);
  }
  return [...values].filter(([, v]) => v.size > 1).map(([k]) => k);
}
