/**
 * Two bodies (paper task 4): unit masses, G = 1, no softening (src/systems/gravity.ts).
 *
 *   H = (|p1|^2 + |p2|^2)/2 - 1/|q1 - q2|,   state [qx1, qx2, qy1, qy2, px1, px2, py1, py2]
 *
 * Initial state: body 1 at pos ~ U(0.5, 1.5)^2 with the velocity of the circular orbit through it
 * (counter-clockwise) times one scalar (1 + 0.05 N(0,1)); body 2 = (-pos, -vel), so the centre of
 * mass and the total momentum are zero.
 *
 * Frames (pixel-two-body) show discs of radius 0.1 of the frame side in a view of +-3: discs of 2 px
 * (scene version 1) were too faint for the autoencoder to reconstruct within VPT's threshold, and in
 * a view of +-2.4 some eccentric orbits left the frame (docs/PROTOCOLS.md). The task records:
 * src/tasks/builtin/two-body.ts.
 */
import { gravitySystem } from './gravity.ts';

/**
 * Speed of each body on a circular orbit about the centre of mass, each at distance r from it:
 * separation d = 2r, force 1/d^2 = 1/(4r^2) = v^2/r, so v = 1/(2 sqrt(r)).
 */
export function circularSpeed(r: number): number {
  return 1 / (2 * Math.sqrt(r));
}

/** The 8-D state from body 1's position and velocity; body 2 mirrors it through the origin. */
export function mirroredState(px: number, py: number, vx: number, vy: number): Float64Array {
  return Float64Array.of(px, -px, py, -py, vx, -vx, vy, -vy);
}

/** The two-body system of the paper (task 4), in the plane. */
export const twoBody = gravitySystem({
  name: 'two-body',
  description: 'two bodies, unit masses, G = 1: H = (|p1|^2 + |p2|^2)/2 - 1/|q1 - q2|',
  masses: [1, 1],
  extent: 3,
  discRadius: 0.1,
  sample(rng) {
    const px = rng.range(0.5, 1.5);
    const py = rng.range(0.5, 1.5);
    const r = Math.hypot(px, py);
    const scale = (circularSpeed(r) / r) * (1 + 0.05 * rng.normal());
    return mirroredState(px, py, -py * scale, px * scale);
  },
});
