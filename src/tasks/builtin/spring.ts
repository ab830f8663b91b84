// The mass-spring's tasks (the system: src/systems/spring.ts): the paper's task 1, its damped
// variants (ours, and the D-HNN paper's position-damped grid task) and the ball on a spring from pixels.
import type { Rng } from '../../util/rng.ts';
import { massSpring, pixelSpring, positionDampedSpring, spring } from '../../systems/spring.ts';
import { PAPER_STATE_ENERGY, paperRow, paperStateTask, pixelTask, STATE_TRAIN_DEFAULTS } from '../defaults.ts';
import type { PixelTask, StateTask } from '../task.ts';

export const springTask: StateTask = paperStateTask({
  name: 'spring',
  description: 'ideal mass-spring (paper task 1), H = q^2 + p^2',
  system: spring,
  liveTrain: true,
  points: 30,
  published: paperRow(1e3, [37, 2], [37, 2], [37, 2], [36, 2], [170, 20], [0.38, 0.1]),
});

/** Amplitude r ~ U(0.3, 1.0) at a random phase: q = r cos a, p = m w r sin a. */
function springSwing(rng: Rng): Float64Array {
  const r = rng.range(0.3, 1);
  const a = rng.range(0, 2 * Math.PI);
  return Float64Array.of(r * Math.cos(a), 2 * r * Math.sin(a));
}

export const pixelSpringTask: PixelTask = pixelTask({
  name: 'pixel-spring',
  suites: ['pixels'],
  description: 'a ball on a spring from pixels (ours): 28x28 frames, H = p^2/2 + 2 q^2, dt = 0.1',
  system: pixelSpring,
  data: {
    // 0.1, not the pendulum's 0.05: the pair shows the ball's speed only as its displacement, at 0.05
    // a median 0.3 px, and the decode/encode round trip of the energy metric lost a third of it
    // (docs/PROTOCOLS.md)
    frameDt: 0.1,
    sample: springSwing,
    sampling: { amplitude: 'r ~ U(0.3, 1.0)', phase: 'a ~ U(0, 2 pi): q = r cos a, p = 2 r sin a' },
    // --random-params: the mass and the stiffness per trial (angular frequency sqrt(k/m) from 1.2 to 3.5)
    randomParams: { ranges: { mass: [0.5, 1.5], stiffness: [2, 6] }, system: (p) => massSpring({ mass: p.mass, stiffness: p.stiffness }) },
  },
});

export const dampedSpringTask: StateTask = {
  ...springTask,
  name: 'damped-spring',
  suites: ['dissipative'],
  description: 'damped mass-spring (ours), the ideal one with friction 0.05: dp/dt = -2q - 0.1 p',
  system: spring.withFriction(0.05),
  // the page trains the conservative systems only
  liveTrain: false,
  published: undefined,
};

/**
 * The reference's damped-spring protocol (analyze_dampedspring.ipynb): the field on a 25 x 25 grid of
 * [-1.2, 1.2]^2 without noise, np.random.permutation after np.random.seed(seed), the first 85% train,
 * the test derivative MSE as the metric; Adam at lr 1e-3 without weight decay, 5000 updates (steps
 * 4999: our loop runs steps + 1), width 256, the test loss evaluated every 100 updates. One change:
 * full batches (531 rows) where the reference draws 128; at a constant lr the final model of a
 * minibatch run is a draw from a 100x-wide spread of test losses (docs/DISSIPATIVE.md), and the
 * reference's statistic, the mean of the last 5 evaluations, averages over it; `--batch-size 128`
 * trains as the reference. Differences kept: the reference's MLP is residual with an output bias,
 * torch's default initialisation, and takes t as a third input (always 0 there, so it carries nothing);
 * ours take the state.
 */
export const dampedSpringGridTask: StateTask = {
  kind: 'state',
  name: 'damped-spring-grid',
  suites: ['dissipative'],
  description: "the D-HNN paper's damped spring: dq/dt = 2p - 2q, dp/dt = -2q on a 25x25 grid of [-1.2, 1.2]^2, no noise",
  system: positionDampedSpring,
  data: { source: 'grid', min: -1.2, max: 1.2, size: 25, trainFraction: 0.85, shuffle: 'numpy-legacy' },
  train: { ...STATE_TRAIN_DEFAULTS, steps: 4999, weightDecay: 0, hidden: [256, 256], evalEvery: 100 },
  dissipationWeightDecay: 0,
  // the reference integrates one trajectory from (0.85, 0.25) over t in [0, 4]; ours the box's 15
  energy: { ...PAPER_STATE_ENERGY, t1: 4 },
  quick: { steps: 1000 },
  publishedDissipative: {
    source:
      "the outputs of analyze_dampedspring.ipynb in the authors' repository (DrewSosa/dissipative_hnns), seed 42: test loss as the mean +- std of the last 5 test evaluations (every 100 of 5000 steps), train loss of the last 5 minibatches; their MLP is a residual 256-wide one with t as an input",
    scale: 1e4,
    figures: {
      baseline: { train: [0.547, 0.0859], test: [0.986, 0.786] },
      hnn: { train: [4530, 516], test: [6260, 131] },
      dhnn: { train: [1.15, 0.251], test: [0.575, 0.685] },
    },
  },
};
