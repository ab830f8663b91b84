// The double pendulum's tasks (the system: src/systems/double-pendulum.ts), ours: chaotic motion
// from states and from pixels.
import type { Rng } from '../../util/rng.ts';
import { doublePendulum, doublePendulumSystem } from '../../systems/double-pendulum.ts';
import { fourDimStateProtocol, pixelTask } from '../defaults.ts';
import type { PixelTask, StateTask } from '../task.ts';

export const doublePendulumTask: StateTask = {
  kind: 'state',
  name: 'double-pendulum',
  suites: [],
  description: 'double pendulum (ours, chaotic), 4-D state',
  system: doublePendulum,
  ...fourDimStateProtocol(),
};

/** Smaller swings for pixels: both bobs stay in the frame, the motion is still irregular. */
function pixelSwing(rng: Rng): Float64Array {
  return Float64Array.of(rng.range(-0.8, 0.8), rng.range(-0.8, 0.8), 0.3 * rng.normal(), 0.3 * rng.normal());
}

export const pixelDoublePendulumTask: PixelTask = pixelTask({
  name: 'pixel-double-pendulum',
  suites: ['pixels'],
  description: 'double pendulum from pixels (ours, chaotic): 28x28 frames, dt = 0.05',
  system: doublePendulum,
  data: {
    frameDt: 0.05,
    sample: pixelSwing,
    sampling: { angles: 'q1, q2 ~ U(-0.8, 0.8)', momenta: 'p1, p2 ~ 0.3 N(0, 1)' },
    // --random-params: both masses and both lengths per trial
    randomParams: {
      ranges: { m1: [0.5, 1.5], m2: [0.5, 1.5], l1: [0.8, 1], l2: [0.8, 1] },
      system: (p) => doublePendulumSystem({ m1: p.m1, m2: p.m2, l1: p.l1, l2: p.l2, gravity: 10 }),
    },
  },
  // chaos: no period to read
  evaluation: { periodCoordinate: null },
});
