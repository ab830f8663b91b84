// The common shape of every physical system. State layout: x = [q_1..q_k, p_1..p_k].
import type { Rng } from '../util/rng.ts';

/** A time-dependent vector field: returns dx/dt at (t, x). */
export type Field = (t: number, x: Float64Array) => Float64Array;

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
}
