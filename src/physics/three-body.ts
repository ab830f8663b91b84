/**
 * Three-body gravitational problem (paper appendix, task 4b): unit masses, G = 1, no softening.
 *
 *   H = sum_i |p_i|^2/2 - sum_{i<j} 1/|q_i - q_j|
 *   dq_i/dt = p_i,   dp_i/dt = -sum_{j != i} (q_i - q_j)/|q_i - q_j|^3
 *
 * State layout (12-D): [qx1, qx2, qx3, qy1, qy2, qy3, px1, px2, px3, py1, py2, py3].
 */
import type { Rng } from '../util/rng.ts';
import { fieldFromInto, type FieldInto, type System } from './system.ts';

const fieldInto: FieldInto = (_t, x, out) => {
  for (let i = 0; i < 6; i++) out[i] = x[6 + i];
  out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = i + 1; j < 3; j++) {
      const dx = x[i] - x[j];
      const dy = x[3 + i] - x[3 + j];
      const r2 = dx * dx + dy * dy;
      const inv3 = 1 / (r2 * Math.sqrt(r2));
      out[6 + i] -= dx * inv3;
      out[6 + j] += dx * inv3;
      out[9 + i] -= dy * inv3;
      out[9 + j] += dy * inv3;
    }
  }
};

function H(x: Float64Array): number {
  let kinetic = 0;
  for (let i = 6; i < 12; i++) kinetic += x[i] * x[i];
  let potential = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = i + 1; j < 3; j++) potential -= 1 / Math.hypot(x[i] - x[j], x[3 + i] - x[3 + j]);
  }
  return kinetic / 2 + potential;
}

/**
 * Speed of each body of an equilateral triangle, each at distance r from the centre, on a circular
 * orbit. Side s = r sqrt(3); the pull of the two others towards the centre is
 * 2 cos(30deg)/s^2 = 1/(sqrt(3) r^2) = v^2/r  =>  v = 3^(-1/4) / sqrt(r).
 */
export function circularSpeed(r: number): number {
  return Math.pow(3, -0.25) / Math.sqrt(r);
}

/** Rotates (x, y) by angle a (counter-clockwise). */
function rotate(x: number, y: number, a: number): [number, number] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [c * x - s * y, s * x + c * y];
}

/** Builds the 12-D state from per-body positions and velocities ([x, y] pairs). */
export function packState(pos: Array<[number, number]>, vel: Array<[number, number]>): Float64Array {
  const x = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    x[i] = pos[i][0];
    x[3 + i] = pos[i][1];
    x[6 + i] = vel[i][0];
    x[9 + i] = vel[i][1];
  }
  return x;
}

/** Nominal perturbation of the circular velocities, per component: (1 + NU * U(-1, 1)). */
export const VELOCITY_NOISE = 0.2;

export const threeBody: System = {
  name: 'three-body',
  dim: 12,
  conservative: true,
  stateLabels: ['qx1', 'qx2', 'qx3', 'qy1', 'qy2', 'qy3', 'px1', 'px2', 'px3', 'py1', 'py2', 'py3'],
  hamiltonian: H,
  energy: H,
  field: fieldFromInto(12, fieldInto),
  fieldInto,
  /**
   * Body 1 at a uniformly random direction (the reference normalised a point of a square) with radius U(0.9, 1.2); bodies 2 and 3 rotated by 120 and 240
   * degrees; circular-orbit velocities (counter-clockwise), each component multiplied by
   * (1 + 0.2 U(-1, 1)) independently.
   */
  sampleInitial(rng: Rng): Float64Array {
    const r = rng.range(0.9, 1.2);
    const a = rng.range(0, 2 * Math.PI);
    const v = circularSpeed(r);
    const pos: Array<[number, number]> = [];
    const vel: Array<[number, number]> = [];
    for (let k = 0; k < 3; k++) {
      const ak = a + (2 * Math.PI * k) / 3;
      pos.push([r * Math.cos(ak), r * Math.sin(ak)]);
      const [vx, vy] = rotate(v * Math.cos(ak), v * Math.sin(ak), Math.PI / 2);
      vel.push([vx, vy]);
    }
    for (const body of vel) {
      body[0] *= 1 + VELOCITY_NOISE * rng.range(-1, 1);
      body[1] *= 1 + VELOCITY_NOISE * rng.range(-1, 1);
    }
    return packState(pos, vel);
  },
  // Paper appendix, values x 1e2; the paper gives no +- split by column beyond these.
  published: {
    scale: 1e2,
    trainBaseline: [9.6, 7],
    trainHnn: [8.0, 2],
    testBaseline: [38, 40],
    testHnn: [49, 48],
    energyBaseline: [1.1e4, 8e3],
    energyHnn: [4.2, 3],
  },
};
