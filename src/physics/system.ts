// The common shape of every physical system. State layout: x = [q_1..q_k, p_1..p_k].
import type { Rng } from '../util/rng.ts';

/** A time-dependent vector field: returns dx/dt at (t, x). */
export type Field = (t: number, x: Float64Array) => Float64Array;

/** The same field writing into a caller-owned buffer: no allocation per call (hot integrator loops). */
export type FieldInto = (t: number, x: Float64Array, out: Float64Array) => void;

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

export interface System {
  /** Task name used on the command line, e.g. "spring". */
  readonly name: string;
  /** State dimension 2k. */
  readonly dim: number;
  /** False for systems with friction: their energy is not conserved by the true dynamics. */
  readonly conservative: boolean;
  /** The Hamiltonian H(x) (for damped systems, the energy that friction drains). */
  hamiltonian(x: Float64Array): number;
  /** The exact vector field dx/dt (symplectic gradient of H, plus friction where there is some). */
  field: Field;
  /** The energy used by the energy-MSE metric (usually the Hamiltonian). */
  energy(x: Float64Array): number;
  /** Samples one initial state for the training data, as REFERENCE.md says for this task. */
  sampleInitial(rng: Rng): Float64Array;
  /**
   * 2-D systems started on a circle: the radius rule r = u * scale + offset, u ~ U(0, 1), written
   * as the reference code writes it (numpy-legacy datasets replay it bit for bit).
   */
  readonly initialRadius?: { scale: number; offset: number };
  /** Optional allocation-free form of `field` (same values). */
  fieldInto?: FieldInto;
  /** Optional names of the state coordinates, in layout order (for plots and manifests). */
  readonly stateLabels?: readonly string[];
  /** Optional published reference values (paper Table 1) for this task. */
  readonly published?: PublishedResult;
}

/** Builds the allocating `field` from an in-place one, so each system writes its dynamics once. */
export function fieldFromInto(dim: number, into: FieldInto): Field {
  return (t, x) => {
    const out = new Float64Array(dim);
    into(t, x, out);
    return out;
  };
}

/** The in-place form of any system's field (falls back to copying `field`'s result). */
export function fieldIntoOf(system: Pick<System, 'field' | 'fieldInto'>): FieldInto {
  if (system.fieldInto) return system.fieldInto;
  const f = system.field;
  return (t, x, out) => out.set(f(t, x));
}
