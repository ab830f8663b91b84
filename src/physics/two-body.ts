/**
 * Two-body gravitational problem (paper task 4): unit masses, G = 1, no softening.
 *
 *   H = (|p1|^2 + |p2|^2)/2 - 1/|q1 - q2|
 *   dq_i/dt = p_i,   dp1/dt = -(q1 - q2)/|q1 - q2|^3,   dp2/dt = -dp1/dt
 *
 * State layout (8-D): [qx1, qx2, qy1, qy2, px1, px2, py1, py2].
 */
import type { Rng } from '../util/rng.ts';
import { fieldFromInto, type FieldInto, type System } from './system.ts';

const fieldInto: FieldInto = (_t, x, out) => {
  const dx = x[0] - x[1];
  const dy = x[2] - x[3];
  const r2 = dx * dx + dy * dy;
  const inv3 = 1 / (r2 * Math.sqrt(r2));
  out[0] = x[4];
  out[1] = x[5];
  out[2] = x[6];
  out[3] = x[7];
  out[4] = -dx * inv3;
  out[5] = dx * inv3;
  out[6] = -dy * inv3;
  out[7] = dy * inv3;
};

function H(x: Float64Array): number {
  let kinetic = 0;
  for (let i = 4; i < 8; i++) kinetic += x[i] * x[i];
  return kinetic / 2 - 1 / Math.hypot(x[0] - x[1], x[2] - x[3]);
}

/**
 * Speed of each body on a circular orbit about the centre of mass, each at distance r from it.
 * Separation d = 2r, force 1/d^2 = 1/(4r^2) = v^2/r  =>  v = 1/(2 sqrt(r)).
 */
export function circularSpeed(r: number): number {
  return 1 / (2 * Math.sqrt(r));
}

/** Builds the 8-D state from body 1's position and velocity; body 2 mirrors it through the origin. */
export function mirroredState(px: number, py: number, vx: number, vy: number): Float64Array {
  return Float64Array.of(px, -px, py, -py, vx, -vx, vy, -vy);
}

export const twoBody: System = {
  name: 'two-body',
  dim: 8,
  conservative: true,
  stateLabels: ['qx1', 'qx2', 'qy1', 'qy2', 'px1', 'px2', 'py1', 'py2'],
  hamiltonian: H,
  energy: H,
  field: fieldFromInto(8, fieldInto),
  fieldInto,
  /**
   * pos ~ U(0.5, 1.5)^2; velocity of the circular orbit through pos (counter-clockwise), times one
   * scalar (1 + 0.05 N(0,1)); body 2 = (-pos, -vel): zero centre of mass and total momentum.
   */
  sampleInitial(rng: Rng): Float64Array {
    const px = rng.range(0.5, 1.5);
    const py = rng.range(0.5, 1.5);
    const r = Math.hypot(px, py);
    const scale = (circularSpeed(r) / r) * (1 + 0.05 * rng.normal());
    return mirroredState(px, py, -py * scale, px * scale);
  },
  published: {
    scale: 1e6,
    trainBaseline: [33, 1],
    trainHnn: [3.0, 0.1],
    testBaseline: [30, 0.9],
    testHnn: [2.8, 0.1],
    energyBaseline: [6.3e4, 3e4],
    energyHnn: [39, 5],
  },
};
