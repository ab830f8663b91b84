/**
 * Three bodies (paper appendix, task 4b): unit masses, G = 1, no softening (src/systems/gravity.ts).
 * State layout (12-D): [qx1, qx2, qx3, qy1, qy2, qy3, px1, px2, px3, py1, py2, py3].
 *
 * Initial state: body 1 at a uniformly random direction (the reference normalised a point of a
 * square) with radius U(0.9, 1.2); bodies 2 and 3 rotated by 120 and 240 degrees; circular-orbit
 * velocities (counter-clockwise), each component multiplied by (1 + 0.2 U(-1, 1)) independently.
 * The task record: src/tasks/builtin/three-body.ts.
 */
import { gravitySystem } from './gravity.ts';

/**
 * Speed of each body of an equilateral triangle, each at distance r from the centre, on a circular
 * orbit: side s = r sqrt(3); the pull of the two others towards the centre is
 * 2 cos(30deg)/s^2 = 1/(sqrt(3) r^2) = v^2/r, so v = 3^(-1/4) / sqrt(r).
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

/** The 12-D state from per-body positions and velocities ([x, y] pairs). */
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

/** The three-body system of the paper's appendix. */
export const threeBody = gravitySystem({
  name: 'three-body',
  description: 'three bodies, unit masses, G = 1: H = sum |p_i|^2/2 - sum_{i<j} 1/|q_i - q_j|',
  masses: [1, 1, 1],
  extent: 2,
  sample(rng) {
    const r = rng.range(0.9, 1.2);
    const a = rng.range(0, 2 * Math.PI);
    const v = circularSpeed(r);
    const pos: Array<[number, number]> = [];
    const vel: Array<[number, number]> = [];
    for (let k = 0; k < 3; k++) {
      const ak = a + (2 * Math.PI * k) / 3;
      pos.push([r * Math.cos(ak), r * Math.sin(ak)]);
      vel.push(rotate(v * Math.cos(ak), v * Math.sin(ak), Math.PI / 2));
    }
    for (const body of vel) {
      body[0] *= 1 + VELOCITY_NOISE * rng.range(-1, 1);
      body[1] *= 1 + VELOCITY_NOISE * rng.range(-1, 1);
    }
    return packState(pos, vel);
  },
});
