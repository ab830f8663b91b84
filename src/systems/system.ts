// A physical system as data plus functions: its coordinates, its Hamiltonian H in float64 and the
// gradient of H, an optional friction coefficient, an initial-state sampler and a scene (how a state
// is drawn). `buildSystem` turns such a definition into a System, whose exact field is derived in
// one place for every system:
//
//   dq/dt = dH/dp,   dp/dt = -dH/dq - gamma dH/dp
//
// so a damped system is the ideal one with gamma > 0, not a separate system. A system may damp its
// positions instead (`frictionOn: 'positions'`: dq/dt = dH/dp - gamma dH/dq, dp/dt = -dH/dq), as the
// D-HNN paper's damped spring does. Either way the energy drains at gamma |dH/dx_damped|^2. State layout:
// x = [q_1..q_k, p_1..p_k] (all positions, then all momenta).
import type { Rng } from '../util/rng.ts';
import type { Shape, View } from './scene.ts';

import type { Field, FieldInto } from '../integrate/field.ts';
export type { Field, FieldInto } from '../integrate/field.ts';

/** One published row of the paper's Table 1, values already multiplied by `scale` (e.g. 1e3). */
export interface PublishedResult {
  scale: number;
  /** [mean, +-] pairs as printed. */
  trainBaseline: [number, number];
  trainHnn: [number, number];
  testBaseline: [number, number];
  testHnn: [number, number];
  energyBaseline: [number, number];
  energyHnn: [number, number];
}

/** A system as functions: what `buildSystem` takes (the gradient is required here; `defineSystem` derives it when left out). */
export interface SystemDefinition {
  /** Name used on the command line and in manifests, e.g. "spring". */
  name: string;
  /** One line: what it is, with its Hamiltonian. */
  description: string;
  /** Names of the positions q_1..q_k. */
  coordinates: readonly string[];
  /** Names of the momenta p_1..p_k (default p_<q>). */
  momenta?: readonly string[];
  /** H(x) in float64. */
  hamiltonian(x: Float64Array): number;
  /** dH/dx written into `out` (length 2k): the exact field is derived from it. */
  gradient(x: Float64Array, out: Float64Array): void;
  /** Friction gamma >= 0 in dp/dt = -dH/dq - gamma dH/dp (default 0: conservative). */
  friction?: number;
  /**
   * Which coordinates the friction damps: 'momenta' (default, as above) or 'positions'
   * (dq/dt = dH/dp - gamma dH/dq, dp/dt = -dH/dq: the D-HNN paper's damped spring).
   */
  frictionOn?: FrictionOn;
  /** One initial state for training data. */
  sample?(rng: Rng): Float64Array;
  /**
   * 2-D systems started on a circle: the radius rule r = u * scale + offset, u ~ U(0, 1), as the
   * reference code writes it (numpy-legacy datasets replay it draw for draw).
   */
  initialRadius?: { scale: number; offset: number };
  /** How a state is drawn: shapes in world coordinates (y up), top-most first. */
  scene?(x: Float64Array): Shape[];
  /** The world region a frame shows. */
  view?: View;
  /** World positions of the bodies (orbit plots of many-body systems). */
  bodies?(x: Float64Array): Array<[number, number]>;
  /** Physical parameters (masses, lengths, ...), recorded in manifests and read by alternative simulators. */
  params?: Readonly<Record<string, number>>;
}

/** The coordinates a friction damps (SystemDefinition.frictionOn). */
export type FrictionOn = 'momenta' | 'positions';

/** A system ready to use: the definition plus its derived field and checked shape. */
export interface System extends Omit<SystemDefinition, 'gradient' | 'friction' | 'frictionOn'> {
  /** State dimension 2k. */
  readonly dim: number;
  /** Degrees of freedom k. */
  readonly dof: number;
  /** Friction gamma (0 for a conservative system). */
  readonly friction: number;
  /** The coordinates the friction damps ('momenta' unless the definition says otherwise). */
  readonly frictionOn: FrictionOn;
  /** False when friction drains the energy. */
  readonly conservative: boolean;
  /** Names of the state coordinates in layout order: q's, then p's. */
  readonly stateLabels: readonly string[];
  gradient(x: Float64Array, out: Float64Array): void;
  /** The exact field dx/dt (allocates its result). */
  field: Field;
  /** The exact field into a caller-owned buffer. */
  fieldInto: FieldInto;
  /** The energy the energy metric compares (H). */
  energy(x: Float64Array): number;
  /** A sampler is required for simulated datasets. */
  sampleInitial(rng: Rng): Float64Array;
  /** The same system with another friction coefficient. */
  withFriction(gamma: number): System;
}

/**
 * Builds a System from a trusted definition (the built-in systems): checks its shape, and derives
 * the exact field from the gradient of H (symplectic part) and the friction coefficient
 * (dissipative part on the momenta). Users call `defineSystem` (src/systems/define.ts), which also
 * takes H as an expression, derives a missing gradient and checks H and a given gradient.
 */
export function buildSystem(def: SystemDefinition): System {
  const k = def.coordinates.length;
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`system name "${def.name}" must be lower case letters, digits and dashes`);
  if (k < 1) throw new Error(`system ${def.name}: give at least one coordinate`);
  const gamma = def.friction ?? 0;
  if (!(gamma >= 0 && Number.isFinite(gamma)))
    throw new RangeError(`system ${def.name}: friction must be a finite number >= 0, got ${gamma}`);
  const dim = 2 * k;
  const grad = new Float64Array(dim);
  const onPositions = def.frictionOn === 'positions';
  const fieldInto: FieldInto = (_t, x, out) => {
    def.gradient(x, grad);
    for (let j = 0; j < k; j++) {
      // written as -g (not 0 - g): the damped and ideal systems then share every rounding
      out[j] = gamma === 0 || !onPositions ? grad[k + j] : grad[k + j] - gamma * grad[j];
      out[k + j] = gamma === 0 || onPositions ? -grad[j] : -grad[j] - gamma * grad[k + j];
    }
  };
  const system: System = {
    ...def,
    dim,
    dof: k,
    friction: gamma,
    frictionOn: onPositions ? 'positions' : 'momenta',
    conservative: gamma === 0,
    stateLabels: [...def.coordinates, ...(def.momenta ?? def.coordinates.map((q) => `p_${q}`))],
    gradient: def.gradient,
    fieldInto,
    field: (t, x) => {
      const out = new Float64Array(dim);
      fieldInto(t, x, out);
      return out;
    },
    energy: (x) => def.hamiltonian(x),
    sampleInitial(rng) {
      if (!def.sample) throw new Error(`system ${def.name} has no initial-state sampler`);
      const x = def.sample(rng);
      if (x.length !== dim) throw new Error(`system ${def.name}: its sampler returned ${x.length} values, the state has ${dim}`);
      return x;
    },
    withFriction: (g) => buildSystem({ ...def, friction: g }),
  };
  return system;
}
