// The pendulum's tasks (the system and the protocols' sources: src/systems/pendulum.ts): the paper's
// ideal (task 2) and real (task 3) pendulums, the damped one (ours), the real one with midpoint
// targets (the D-HNN paper's), and the pendulum from pixels (task 5) with its damped variant.
import type { Rng } from '../../util/rng.ts';
import { gymPendulum, pendulum, pendulumSystem } from '../../systems/pendulum.ts';
import {
  PAPER_STATE_ENERGY,
  PAPER_STATE_QUICK,
  paperRow,
  paperStateData,
  paperStateTask,
  pixelTask,
  STATE_TRAIN_DEFAULTS,
} from '../defaults.ts';
import type { MeasuredData, PixelTask, StateTask } from '../task.ts';

export const pendulumTask: StateTask = paperStateTask({
  name: 'pendulum',
  description: 'ideal pendulum (paper task 2), H = 3 (1 - cos q) + p^2',
  system: pendulum,
  liveTrain: true,
  // radius r ~ U(1.3, 2.3): the pendulum swings far from the linear regime
  points: 45,
  published: paperRow(1e3, [33, 2], [33, 2], [35, 2], [36, 2], [42, 10], [25, 5]),
});

export const dampedPendulumTask: StateTask = {
  kind: 'state',
  name: 'damped-pendulum',
  suites: ['paper', 'dissipative'],
  description: 'damped pendulum (ours), the ideal one with friction 0.05: dp/dt = -3 sin q - 0.1 p',
  system: pendulum.withFriction(0.05),
  data: paperStateData(45),
  train: STATE_TRAIN_DEFAULTS,
  energy: PAPER_STATE_ENERGY,
  quick: PAPER_STATE_QUICK,
};

export const realPendulumTask: StateTask = {
  kind: 'state',
  name: 'real-pendulum',
  suites: ['paper', 'dissipative'],
  description: 'real pendulum (paper task 3): measurements of Schmidt & Lipson (2009), analysed with H = 2.4 (1 - cos q) + p^2',
  system: pendulumSystem({ mass: 0.5, length: 1, gravity: 4.8 }),
  data: {
    source: 'measured',
    file: 'data/real_pend_h_1.txt',
    sha256: '45d92988198b89a5933f5a53e67aa819d06937516f71a462ac09e1307d8b3411',
    rows: 556,
    provenance: 'data/real_pend_h_1.txt (Schmidt & Lipson 2009; see data/README.md)',
    trainFraction: 0.8,
  },
  // the reference code's weight decay 1e-5 (its paper says 1e-4)
  train: { ...STATE_TRAIN_DEFAULTS, weightDecay: 1e-5 },
  // the D-HNN's D as H (the D-HNN paper's protocol has no extra decay): the measured data are nearly
  // noise-free and their friction small (0.006), which 1e-3 and more removed (docs/DISSIPATIVE.md)
  dissipationWeightDecay: 1e-5,
  // scipy's default tolerances, as the reference
  energy: { rtol: 1e-3, atol: 1e-6 },
  quick: PAPER_STATE_QUICK,
  published: paperRow(1e3, [2.7, 0.2], [9.2, 0.5], [2.2, 0.3], [6.0, 0.6], [390, 70], [14, 5]),
  publishedDissipative: {
    source:
      "the outputs of analyze_realpend.ipynb in the authors' repository (greydanus/dissipative_hnns): losses as mean +- std of the last 3 test evaluations, energy MSE +- std/sqrt(points); their protocol differs: midpoint-rule targets, minibatches of 128, 5000 steps at lr 5e-3, a 256-wide residual MLP",
    scale: 1e3,
    figures: {
      baseline: { train: [0.534, 0.173], test: [1.11, 0.426], energy: [1.167, 0.106] },
      hnn: { train: [0.77, 0.366], test: [1.4, 1.02], energy: [10.18, 0.795] },
      dhnn: { train: [0.57, 0.191], test: [0.946, 0.101], energy: [1.068, 0.106] },
    },
  },
};

/**
 * The real pendulum with the D-HNN paper's targets: each finite difference paired with the midpoint
 * of its two measurements. The HNN paper's forward differences lean inwards on the orbit by h a / 2
 * (h = 1/6 s here), which the data's derivatives show as a friction far above the measured energy's
 * decay; a D-HNN learns that artefact as dissipation (docs/DISSIPATIVE.md).
 */
export const realPendulumMidpointTask: StateTask = {
  ...realPendulumTask,
  name: 'real-pendulum-midpoint',
  suites: ['dissipative'],
  description: 'real pendulum (paper task 3) with midpoint targets, as the D-HNN paper: ((x_i + x_{i+1}) / 2, (x_{i+1} - x_i) / h)',
  data: { ...(realPendulumTask.data as MeasuredData), targets: 'midpoint' },
  published: undefined,
};

/** |phi0| ~ U(0, pi/6) with a random sign, omega0 ~ U(-1, 1): small swings, as the reference's trials. */
function smallSwing(rng: Rng): Float64Array {
  let magnitude = 0;
  while (magnitude === 0) magnitude = rng.range(0, Math.PI / 6); // the open interval (0, pi/6)
  const sign = rng.uniform() < 0.5 ? -1 : 1;
  return Float64Array.of(sign * magnitude, rng.range(-1, 1));
}

export const pixelPendulumTask: PixelTask = pixelTask({
  name: 'pixel-pendulum',
  suites: ['paper', 'pixels'],
  description: "pendulum from pixels (paper task 5): 28x28 frames of phi'' = -15 sin phi, dt = 0.05",
  system: gymPendulum,
  data: {
    frameDt: 0.05,
    sample: smallSwing,
    sampling: { initialAngle: '|phi0| ~ U(0, pi/6), random sign', initialOmega: 'dphi/dt ~ U(-1, 1) rad per time unit' },
    // matter-js's rigid body as an alternative (NOT energy-conserving) source: --engine matter
    engines: ['matter'],
    // the reference's momentum label: p = 0.25 dphi/dt
    extraLabels: [{ name: 'p_ref', description: "the reference's momentum, 0.25 dphi/dt", of: (x) => 0.25 * x[1] }],
    // --random-params: the bob's mass and the rod's length per trial (shorter rods swing faster)
    randomParams: {
      ranges: { mass: [0.5, 1.5], length: [0.7, 1] },
      system: (p) => pendulumSystem({ mass: p.mass, length: p.length, gravity: 15 }),
    },
  },
  // The reference measured the energy as 1.875 (1 - cos phi) + p_ref^2 = H / 8 in (phi, omega).
  evaluation: { energyScale: 1 / 8 },
  // the paper's row: losses printed x 1e5, energy x 1e3
  publishedScales: { loss: 1e5, energy: 1e3 },
  published: paperRow(1, [18e-5, 0.2e-5], [19e-5, 0.2e-5], [17e-5, 0.3e-5], [18e-5, 0.3e-5], [9.3e-3, 1e-3], [0.15e-3, 0.01e-3]),
});

export const pixelDampedPendulumTask: PixelTask = {
  ...pixelPendulumTask,
  name: 'pixel-damped-pendulum',
  suites: ['dissipative'],
  description: "damped pendulum from pixels (ours): the pixel pendulum with friction 0.1, phi'' = -15 sin phi - 0.1 phi'",
  system: gymPendulum.withFriction(0.1),
  data: { ...pixelPendulumTask.data, engines: [] },
  published: undefined,
  publishedScales: undefined,
};
