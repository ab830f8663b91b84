/**
 * Ideal mass-spring (paper task 1).
 *
 *   H(q, p) = q^2 + p^2          (the reference code's scaling; the paper prints (q^2 + p^2)/2)
 *   dq/dt = dH/dp = 2p,   dp/dt = -dH/dq = -2q
 *
 * Exact solution: q(t) = q0 cos 2t + p0 sin 2t,  p(t) = p0 cos 2t - q0 sin 2t.
 */
import type { Rng } from '../util/rng.ts';
import { fieldFromInto, type FieldInto, type System } from './system.ts';

const fieldInto: FieldInto = (_t, x, out) => {
  out[0] = 2 * x[1];
  out[1] = -2 * x[0];
};

const H = (x: Float64Array): number => x[0] * x[0] + x[1] * x[1];

/**
 * A point at uniformly random angle on the circle of the given radius. (The reference code normalised
 * a uniform point of the square [-1, 1]^2, which favours the diagonals; REFERENCE.md asks for a random
 * direction, which this is.)
 */
export function randomOnCircle(rng: Rng, radius: number): Float64Array {
  const a = rng.range(0, 2 * Math.PI);
  return Float64Array.of(radius * Math.cos(a), radius * Math.sin(a));
}

/** A radius drawn by the system's rule, uniform in [offset, offset + scale). */
export function radiusOf(rng: Rng, system: System): number {
  const { scale, offset } = system.initialRadius!;
  return rng.range(offset, offset + scale);
}

export const spring: System = {
  name: 'spring',
  dim: 2,
  conservative: true,
  stateLabels: ['q', 'p'],
  hamiltonian: H,
  energy: H,
  field: fieldFromInto(2, fieldInto),
  fieldInto,
  initialRadius: { scale: 0.9, offset: 0.1 },
  /** Random direction, radius r ~ U(0.1, 1.0). */
  sampleInitial(rng: Rng): Float64Array {
    return randomOnCircle(rng, radiusOf(rng, spring));
  },
  published: {
    scale: 1e3,
    trainBaseline: [37, 2],
    trainHnn: [37, 2],
    testBaseline: [37, 2],
    testHnn: [36, 2],
    energyBaseline: [170, 20],
    energyHnn: [0.38, 0.1],
  },
};

/** The exact state at time t from x0 (used by tests and as ground truth). */
export function springExact(x0: Float64Array, t: number): Float64Array {
  const c = Math.cos(2 * t);
  const s = Math.sin(2 * t);
  return Float64Array.of(x0[0] * c + x0[1] * s, x0[1] * c - x0[0] * s);
}
