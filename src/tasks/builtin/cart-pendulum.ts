// The pendulum on a cart's tasks (the system: src/systems/cart-pendulum.ts), ours: two coupled
// degrees of freedom from states and from pixels.
import type { Rng } from '../../util/rng.ts';
import { cartPendulum } from '../../systems/cart-pendulum.ts';
import { fourDimStateProtocol, pixelTask } from '../defaults.ts';
import type { PixelTask, StateTask } from '../task.ts';

export const cartPendulumTask: StateTask = {
  kind: 'state',
  name: 'cart-pendulum',
  suites: [],
  description: 'pendulum on a cart (ours), 4-D state: x, theta and their canonical momenta',
  system: cartPendulum,
  ...fourDimStateProtocol(),
};

/**
 * The centre of mass at rest at x = 0 (p_x, the total horizontal momentum, is 0), so the cart stays
 * in the frame: theta ~ U(-1, 1) rad, p_theta ~ U(-0.5, 0.5), and the cart placed where the centre
 * of mass (M x + m (x + l sin theta)) / (M + m) is 0.
 */
function centredSwing(rng: Rng): Float64Array {
  const { cartMass: M, bobMass: m, length: l } = cartPendulum.params as Record<string, number>;
  const theta = rng.range(-1, 1);
  const pTheta = rng.range(-0.5, 0.5);
  return Float64Array.of((-m * l * Math.sin(theta)) / (M + m), theta, 0, pTheta);
}

export const pixelCartPendulumTask: PixelTask = pixelTask({
  name: 'pixel-cart-pendulum',
  suites: [],
  description: 'pendulum on a cart from pixels (ours): 28x28 frames, dt = 0.05',
  system: cartPendulum,
  data: {
    frameDt: 0.05,
    sample: centredSwing,
    sampling: { angle: 'theta ~ U(-1, 1)', momentum: 'p_theta ~ U(-0.5, 0.5), p_x = 0', cart: 'x = -m l sin(theta) / (M + m)' },
  },
  // the swing's period, read from theta
  evaluation: { periodCoordinate: 1 },
});
