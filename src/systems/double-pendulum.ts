/**
 * The double pendulum: two point masses m1, m2 on massless rods l1, l2 under gravity g, angles q1, q2
 * from hanging straight down (each rod's own angle), canonical momenta p1, p2. With d = q1 - q2 and
 * D = m1 + m2 sin^2 d,
 *
 *   H = [m2 l2^2 p1^2 + (m1 + m2) l1^2 p2^2 - 2 m2 l1 l2 p1 p2 cos d] / (2 m2 l1^2 l2^2 D)
 *       + (m1 + m2) g l1 (1 - cos q1) + m2 g l2 (1 - cos q2)
 *
 * Chaotic beyond small swings: two nearby states part exponentially, so a learned model can only
 * follow it for a while, whatever its structure (the HNN keeps the energy, not the trajectory).
 * State layout [q1, q2, p1, p2]. Here m1 = m2 = l1 = l2 = 1 and g = 10. The task records:
 * src/tasks/builtin/double-pendulum.ts.
 */
import type { Rng } from '../util/rng.ts';
import { buildSystem, type System } from './system.ts';

export interface DoublePendulumParams {
  m1: number;
  m2: number;
  l1: number;
  l2: number;
  gravity: number;
}

export function doublePendulumSystem(p: DoublePendulumParams, friction = 0): System {
  const { m1, m2, l1, l2, gravity: g } = p;
  const M = m1 + m2;
  const kinetic = (x: Float64Array) => {
    const d = x[0] - x[1];
    const D = m1 + m2 * Math.sin(d) ** 2;
    return (
      (m2 * l2 * l2 * x[2] ** 2 + M * l1 * l1 * x[3] ** 2 - 2 * m2 * l1 * l2 * x[2] * x[3] * Math.cos(d)) / (2 * m2 * l1 * l1 * l2 * l2 * D)
    );
  };
  return buildSystem({
    name: 'double-pendulum',
    description: `double pendulum, m1 = ${m1}, m2 = ${m2}, l1 = ${l1}, l2 = ${l2}, g = ${g} (H in src/systems/double-pendulum.ts)`,
    coordinates: ['q1', 'q2'],
    friction,
    params: { ...p },
    hamiltonian: (x) => kinetic(x) + M * g * l1 * (1 - Math.cos(x[0])) + m2 * g * l2 * (1 - Math.cos(x[1])),
    gradient(x, out) {
      const [q1, q2, p1, p2] = [x[0], x[1], x[2], x[3]];
      const d = q1 - q2;
      const s = Math.sin(d);
      const c = Math.cos(d);
      const D = m1 + m2 * s * s;
      // dH/dp: the quadratic form's gradient
      out[2] = (l2 * p1 - l1 * p2 * c) / (l1 * l1 * l2 * D);
      out[3] = (M * l1 * p2 - m2 * l2 * p1 * c) / (m2 * l1 * l2 * l2 * D);
      // dH/dq: gravity, plus the kinetic term's dependence on d (through cos d and through D)
      const c1 = (p1 * p2 * s) / (l1 * l2 * D);
      const c2 =
        ((m2 * l2 * l2 * p1 * p1 + M * l1 * l1 * p2 * p2 - 2 * m2 * l1 * l2 * p1 * p2 * c) * Math.sin(2 * d)) /
        (2 * l1 * l1 * l2 * l2 * D * D);
      out[0] = M * g * l1 * Math.sin(q1) + c1 - c2;
      out[1] = m2 * g * l2 * Math.sin(q2) - c1 + c2;
    },
    /** Angles uniform in (-1, 1) rad, momenta 0.5 N(0, 1): from nearly regular to chaotic motion. */
    sample: (rng: Rng) => Float64Array.of(rng.range(-1, 1), rng.range(-1, 1), 0.5 * rng.normal(), 0.5 * rng.normal()),
    bodies: (x) => {
      const b1: [number, number] = [l1 * Math.sin(x[0]), -l1 * Math.cos(x[0])];
      return [b1, [b1[0] + l2 * Math.sin(x[1]), b1[1] - l2 * Math.cos(x[1])]];
    },
    // the bobs stay below the pivot for the energies sampled here: the pivot sits high in the frame
    view: { centre: [0, -0.45 * (l1 + l2)], scale: 0.5 / (l1 + l2) },
    scene: (x) => {
      const x1 = l1 * Math.sin(x[0]);
      const y1 = -l1 * Math.cos(x[0]);
      const x2 = x1 + l2 * Math.sin(x[1]);
      const y2 = y1 - l2 * Math.cos(x[1]);
      return [
        { kind: 'disc', x: x2, y: y2, radius: 0.08, shade: 1, colour: [0.95, 0.35, 0.25] },
        { kind: 'disc', x: x1, y: y1, radius: 0.08, shade: 0.8, colour: [0.3, 0.6, 0.95] },
        { kind: 'rod', x0: x1, y0: y1, x1: x2, y1: y2, halfWidth: 0.03, shade: 0.5, colour: [0.6, 0.6, 0.6] },
        { kind: 'rod', x0: 0, y0: 0, x1: x1, y1: y1, halfWidth: 0.03, shade: 0.5, colour: [0.6, 0.6, 0.6] },
        { kind: 'disc', x: 0, y: 0, radius: 0.04, shade: 0.5, colour: [0.4, 0.4, 0.45] },
      ];
    },
  });
}

export const doublePendulum = doublePendulumSystem({ m1: 1, m2: 1, l1: 1, l2: 1, gravity: 10 });
