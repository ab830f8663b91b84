/**
 * Mass-spring (paper task 1): a mass m on a spring of stiffness k, displacement q, momentum p.
 *
 *   H(q, p) = p^2 / (2m) + k q^2 / 2,   dq/dt = p / m,   dp/dt = -k q
 *
 * The paper's task uses m = 1/2 and k = 2, i.e. H = q^2 + p^2 (the reference code's scaling; the paper
 * prints (q^2 + p^2)/2), with the exact solution q(t) = q0 cos 2t + p0 sin 2t. Its tasks:
 * src/tasks/builtin/spring.ts.
 */
import type { Rng } from '../util/rng.ts';
import { springShapes } from './scene.ts';
import { buildSystem, type FrictionOn, type System } from './system.ts';

export interface SpringParams {
  mass: number;
  stiffness: number;
}

/** A point at a uniformly random angle on the circle of the given radius. */
export function randomOnCircle(rng: Rng, radius: number): Float64Array {
  const a = rng.range(0, 2 * Math.PI);
  return Float64Array.of(radius * Math.cos(a), radius * Math.sin(a));
}

/** A radius drawn by a system's rule, uniform in [offset, offset + scale). */
export function radiusOf(rng: Rng, rule: { scale: number; offset: number }): number {
  return rng.range(rule.offset, rule.offset + rule.scale);
}

/** Where the spring is anchored (world units, the mass at rest at the origin). */
const WALL = -1.8;

/**
 * A mass m on a spring of stiffness k (the paper's task uses m = 1/2, k = 2), with optional friction
 * on the momenta (default) or on the position.
 */
export function massSpring(p: SpringParams = { mass: 0.5, stiffness: 2 }, friction = 0, frictionOn: FrictionOn = 'momenta'): System {
  const { mass: m, stiffness: k } = p;
  const initialRadius = { scale: 0.9, offset: 0.1 };
  return buildSystem({
    name: 'spring',
    description: `mass-spring, H = p^2/(2m) + k q^2/2 with m = ${m}, k = ${k}`,
    coordinates: ['q'],
    friction,
    frictionOn,
    hamiltonian: (x) => (x[1] * x[1]) / (2 * m) + (k * x[0] * x[0]) / 2,
    gradient(x, out) {
      out[0] = k * x[0];
      out[1] = x[1] / m;
    },
    initialRadius,
    /** Random direction, radius r ~ U(0.1, 1.0) (the radius is drawn first). */
    sample: (rng) => {
      const r = radiusOf(rng, initialRadius);
      return randomOnCircle(rng, r);
    },
    // a ball on a horizontal spring from a wall at x = -1.8; the ball sits at x = q
    view: { centre: [-0.4, 0], scale: 0.26 },
    scene: (x) => [
      { kind: 'disc', x: x[0], y: 0, radius: 0.11, shade: 1, colour: [0.95, 0.3, 0.2] },
      ...springShapes(WALL, 0, x[0], 0, { coils: 5, amplitude: 0.06, halfWidth: 0.018, shade: 0.55, colour: [0.7, 0.7, 0.7], scale: 0.26 }),
      { kind: 'rod', x0: WALL, y0: -0.5, x1: WALL, y1: 0.5, halfWidth: 0.02, shade: 0.4, colour: [0.5, 0.5, 0.6] },
    ],
  });
}

/** The paper's mass-spring: H = q^2 + p^2. */
export const spring = massSpring();

/** The exact state at time t from x0 for the paper's spring (tests, ground truth). */
export function springExact(x0: Float64Array, t: number): Float64Array {
  const c = Math.cos(2 * t);
  const s = Math.sin(2 * t);
  return Float64Array.of(x0[0] * c + x0[1] * s, x0[1] * c - x0[0] * s);
}

/** A unit mass on a spring of stiffness 4 (angular frequency 2, as the paper's spring) for pixels. */
export const pixelSpring = massSpring({ mass: 1, stiffness: 4 });

/**
 * The D-HNN paper's damped spring (Sosanya & Greydanus 2022; DrewSosa/dissipative_hnns,
 * experiment_dampedspring/data.py): H = q^2 + p^2 with the damping on the position,
 * dq/dt = 2p - 2q, dp/dt = -2q (rho = 2: the position's friction gamma = 1 against dH/dq = 2q).
 */
export const positionDampedSpring = massSpring({ mass: 0.5, stiffness: 2 }, 1, 'positions');
