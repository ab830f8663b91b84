/**
 * A pendulum on a cart: a cart of mass M on a frictionless horizontal rail at position x, and a bob
 * of mass m on a massless rod of length l hinged to it, at angle theta from hanging straight down
 * (theta > 0 swings the bob right), under gravity g. From the Lagrangian
 *
 *   L = (M + m) x'^2 / 2 + m l x' theta' cos theta + m l^2 theta'^2 / 2 - m g l (1 - cos theta)
 *
 * the canonical momenta are p_x = (M + m) x' + m l theta' cos theta (the total horizontal momentum,
 * conserved: x is cyclic) and p_theta = m l x' cos theta + m l^2 theta'. Inverting the mass matrix,
 * with c = cos theta, s = sin theta and D = M + m s^2,
 *
 *   H = [m l^2 p_x^2 - 2 m l c p_x p_theta + (M + m) p_theta^2] / (2 m l^2 D) + m g l (1 - c)
 *
 * State layout [x, theta, p_x, p_theta]. Here M = m = l = 1 and g = 10: small swings have angular
 * frequency sqrt(g (M + m) / (M l)) = sqrt(20), and the cart swings against the bob.
 */
import type { Rng } from '../util/rng.ts';
import { buildSystem, type System } from './system.ts';

export interface CartPendulumParams {
  cartMass: number;
  bobMass: number;
  length: number;
  gravity: number;
}

/** Half the cart's length in world units; its height is the rod's thickness below. */
const CART_HALF_LENGTH = 0.18;

/** A pendulum on a cart of the given masses, rod length and gravity, with optional friction. */
export function cartPendulumSystem(p: CartPendulumParams, friction = 0): System {
  const { cartMass: M, bobMass: m, length: l, gravity: g } = p;
  return buildSystem({
    name: 'cart-pendulum',
    description: `pendulum on a cart, M = ${M}, m = ${m}, l = ${l}, g = ${g} (H in src/systems/cart-pendulum.ts)`,
    coordinates: ['x', 'theta'],
    friction,
    params: { ...p },
    hamiltonian(x) {
      const c = Math.cos(x[1]);
      const s = Math.sin(x[1]);
      const [px, pt] = [x[2], x[3]];
      const kinetic = (m * l * l * px * px - 2 * m * l * c * px * pt + (M + m) * pt * pt) / (2 * m * l * l * (M + m * s * s));
      return kinetic + m * g * l * (1 - c);
    },
    gradient(x, out) {
      const c = Math.cos(x[1]);
      const s = Math.sin(x[1]);
      const [px, pt] = [x[2], x[3]];
      const D = M + m * s * s;
      // dH/dp: the inverse mass matrix times p
      out[2] = (l * px - c * pt) / (l * D);
      out[3] = ((M + m) * pt - m * l * c * px) / (m * l * l * D);
      // dH/dtheta: gravity, plus the kinetic term's dependence on theta through c and through D
      const numerator = m * l * l * px * px - 2 * m * l * c * px * pt + (M + m) * pt * pt;
      const dNumerator = 2 * m * l * s * px * pt;
      const dD = 2 * m * s * c;
      out[0] = 0; // x is cyclic: the rail is uniform
      out[1] = (dNumerator * D - numerator * dD) / (2 * m * l * l * D * D) + m * g * l * s;
    },
    /** x ~ U(-0.5, 0.5), theta ~ U(-1, 1) rad, p_x ~ 0.5 N(0, 1), p_theta ~ 0.3 N(0, 1). */
    sample: (rng: Rng) => Float64Array.of(rng.range(-0.5, 0.5), rng.range(-1, 1), 0.5 * rng.normal(), 0.3 * rng.normal()),
    bodies: (x) => [
      [x[0], 0],
      [x[0] + l * Math.sin(x[1]), -l * Math.cos(x[1])],
    ],
    // the rail at y = 0 across the frame, the bob below it: the view's centre sits half a rod down
    view: { centre: [0, -0.45 * l], scale: 0.6 / l },
    scene: (x) => {
      const bx = x[0] + l * Math.sin(x[1]);
      const by = -l * Math.cos(x[1]);
      return [
        { kind: 'disc', x: bx, y: by, radius: 0.09, shade: 1, colour: [0.95, 0.75, 0.2] },
        { kind: 'rod', x0: x[0], y0: 0, x1: bx, y1: by, halfWidth: 0.03, shade: 0.5, colour: [0.55, 0.55, 0.6] },
        // the cart: a thick bar (a capsule; the rasteriser draws discs and rods)
        {
          kind: 'rod',
          x0: x[0] - CART_HALF_LENGTH * l,
          y0: 0,
          x1: x[0] + CART_HALF_LENGTH * l,
          y1: 0,
          halfWidth: 0.05,
          shade: 0.8,
          colour: [0.3, 0.6, 0.95],
        },
        { kind: 'rod', x0: -10 * l, y0: 0, x1: 10 * l, y1: 0, halfWidth: 0.01, shade: 0.3, colour: [0.45, 0.45, 0.5] },
      ];
    },
  });
}

/** The pendulum on a cart of the cart-pendulum tasks: M = m = l = 1, g = 10. */
export const cartPendulum = cartPendulumSystem({ cartMass: 1, bobMass: 1, length: 1, gravity: 10 });
