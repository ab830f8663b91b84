/**
 * The pendulum: angle q from hanging straight down (q > 0 swings the bob right), angular momentum p,
 * a bob of mass m on a massless rod of length l under gravity g.
 *
 *   H(q, p) = p^2 / (2 m l^2) + m g l (1 - cos q),   dq/dt = p / (m l^2),   dp/dt = -m g l sin q
 *
 * Four tasks use it (docs/PROTOCOLS.md):
 * - pendulum (paper task 2): m = 1/2, l = 1, g = 6, so H = 3 (1 - cos q) + p^2 (the reference code's
 *   scaling; the paper prints 6 (1 - cos q) + p^2 / 2);
 * - damped-pendulum (ours): the same with friction gamma = 0.05 in dp/dt = ... - gamma dH/dp, which is
 *   dp/dt = -3 sin q - 0.1 p (theta'' = -6 sin theta - 0.1 theta');
 * - real-pendulum (paper task 3): Schmidt & Lipson's measurements; the reference analyses them with
 *   H = 2.4 (1 - cos q) + p^2 (m = 1/2, l = 1, g = 4.8), which the data do not conserve (friction);
 * - pixel-pendulum (paper task 5): the reference rendered Gym's Pendulum (a uniform rod, g = 10,
 *   l = 1, so phi'' = -3g/(2l) sin phi = -15 sin phi), frames dt = 0.05 apart. Here: m = 1, l = 1,
 *   g = 15 in (phi, omega = dphi/dt), drawn by this project's renderer.
 *
 * The task records: src/tasks/builtin/pendulum.ts.
 */
import { buildSystem, type System } from './system.ts';
import { radiusOf, randomOnCircle } from './spring.ts';

export interface PendulumParams {
  mass: number;
  length: number;
  gravity: number;
}

/** The rod reaches this fraction of the frame side per unit of length (bob edge 1 px from the border at 28 px). */
const VIEW_SCALE = 0.36;

/** An ideal pendulum of the given mass, length and gravity, with optional friction. */
export function pendulumSystem(p: PendulumParams, friction = 0): System {
  const { mass: m, length: l, gravity: g } = p;
  const initialRadius = { scale: 1, offset: 1.3 };
  return buildSystem({
    name: 'pendulum',
    description: `pendulum, H = p^2/(2 m l^2) + m g l (1 - cos q) with m = ${m}, l = ${l}, g = ${g}`,
    coordinates: ['q'],
    friction,
    params: { mass: m, length: l, gravity: g },
    hamiltonian: (x) => (x[1] * x[1]) / (2 * m * l * l) + m * g * l * (1 - Math.cos(x[0])),
    gradient(x, out) {
      out[0] = m * g * l * Math.sin(x[0]);
      out[1] = x[1] / (m * l * l);
    },
    initialRadius,
    /** Random direction, radius r ~ U(1.3, 2.3) (the radius is drawn first). */
    sample: (rng) => {
      const r = radiusOf(rng, initialRadius);
      return randomOnCircle(rng, r);
    },
    // pivot at the frame centre; sizes as fractions of the frame (a bright bob makes the angle easy
    // to read from one frame, unlike Gym's rod alone)
    view: { centre: [0, 0], scale: VIEW_SCALE / l },
    scene: (x) => {
      const bx = l * Math.sin(x[0]);
      const by = -l * Math.cos(x[0]);
      return [
        { kind: 'disc', x: bx, y: by, radius: 0.1, shade: 1, colour: [0.95, 0.75, 0.2] },
        { kind: 'rod', x0: 0, y0: 0, x1: bx, y1: by, halfWidth: 0.04, shade: 0.5, colour: [0.55, 0.55, 0.6] },
        { kind: 'disc', x: 0, y: 0, radius: 0.06, shade: 0.5, colour: [0.4, 0.4, 0.45] },
      ];
    },
  });
}

/** The paper's ideal pendulum: H = 3 (1 - cos q) + p^2. */
export const pendulum = pendulumSystem({ mass: 0.5, length: 1, gravity: 6 });

/** Gym's pendulum in (phi, omega = dphi/dt): phi'' = -15 sin phi. */
export const gymPendulum = pendulumSystem({ mass: 1, length: 1, gravity: 15 });
