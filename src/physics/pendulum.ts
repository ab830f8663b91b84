/**
 * Ideal pendulum (paper task 2).
 *
 *   H(q, p) = 3(1 - cos q) + p^2   (the reference code's scaling; the paper prints 6(1 - cos q) + p^2/2)
 *   dq/dt = 2p,   dp/dt = -3 sin q
 *
 * In angle terms (q = theta, p = theta'/2): theta'' = -6 sin theta, i.e. g/l = 6.
 */
import type { Rng } from '../util/rng.ts';
import { fieldFromInto, type FieldInto, type System } from './system.ts';
import { radiusOf, randomOnCircle } from './spring.ts';

const fieldInto: FieldInto = (_t, x, out) => {
  out[0] = 2 * x[1];
  out[1] = -3 * Math.sin(x[0]);
};

const H = (x: Float64Array): number => 3 * (1 - Math.cos(x[0])) + x[1] * x[1];

export const pendulum: System = {
  name: 'pendulum',
  dim: 2,
  conservative: true,
  stateLabels: ['q', 'p'],
  hamiltonian: H,
  energy: H,
  field: fieldFromInto(2, fieldInto),
  fieldInto,
  initialRadius: { scale: 1, offset: 1.3 },
  /** Random direction, radius r ~ U(1.3, 2.3). */
  sampleInitial(rng: Rng): Float64Array {
    return randomOnCircle(rng, radiusOf(rng, pendulum));
  },
  published: {
    scale: 1e3,
    trainBaseline: [33, 2],
    trainHnn: [33, 2],
    testBaseline: [35, 2],
    testHnn: [36, 2],
    energyBaseline: [42, 10],
    energyHnn: [25, 5],
  },
};
