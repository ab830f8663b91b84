/**
 * Damped pendulum (not in the paper; the dissipative counterpart of task 2).
 *
 * Same coordinates and energy as the ideal pendulum, plus linear friction on the momentum:
 *   H(q, p) = 3(1 - cos q) + p^2
 *   dq/dt = 2p,   dp/dt = -3 sin q - gamma p
 *
 * Mapping to the textbook form theta'' = -(g/l) sin theta - gamma theta':
 *   q = theta, p = theta'/2  =>  theta'' = 2 dp/dt = -6 sin theta - gamma theta',
 * so g/l = 6 and the friction coefficient gamma is the same in both forms. gamma = 0 is the ideal
 * pendulum exactly. Energy drains at dH/dt = dH/dp * (-gamma p) = -2 gamma p^2 (see energyLossRate).
 */
import type { Rng } from '../util/rng.ts';
import { fieldFromInto, type System } from './system.ts';
import { pendulum } from './pendulum.ts';

export const DEFAULT_GAMMA = 0.1;

/** Exact dH/dt along the damped flow at state x: -2 gamma p^2. */
export function energyLossRate(x: Float64Array, gamma = DEFAULT_GAMMA): number {
  return -2 * gamma * x[1] * x[1];
}

/** A damped pendulum with friction gamma (>= 0). */
export function makeDampedPendulum(gamma = DEFAULT_GAMMA): System & { readonly gamma: number } {
  if (!(gamma >= 0) || !Number.isFinite(gamma)) throw new RangeError(`gamma must be a finite number >= 0, got ${gamma}`);
  const fieldInto = (_t: number, x: Float64Array, out: Float64Array): void => {
    out[0] = 2 * x[1];
    out[1] = -3 * Math.sin(x[0]) - gamma * x[1];
  };
  return {
    name: 'damped-pendulum',
    dim: 2,
    conservative: false,
    gamma,
    stateLabels: ['q', 'p'],
    hamiltonian: pendulum.hamiltonian,
    energy: pendulum.energy,
    field: fieldFromInto(2, fieldInto),
    fieldInto,
    /** As the ideal pendulum: random direction, radius r ~ U(1.3, 2.3). */
    initialRadius: pendulum.initialRadius,
    sampleInitial: (rng: Rng) => pendulum.sampleInitial(rng),
  };
}

export const dampedPendulum = makeDampedPendulum();
