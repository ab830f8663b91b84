// The protocol settings tasks share, written once: the built-in task records (./builtin/) and the
// user's tasks (./define.ts) start from these and state only what differs. The values are the
// paper's and its code's (docs/PROTOCOLS.md). A record built here lists its fields in one fixed
// order: a manifest that copies a record's data (datasets/state.ts) is then the same bytes for the
// same settings.
import type { Rng } from '../util/rng.ts';
import type { PublishedResult, System } from '../systems/system.ts';
import type {
  ExtraLabel,
  PixelData,
  PixelEvaluation,
  PixelTask,
  PixelTrainProtocol,
  RandomParams,
  SimulatedData,
  SimulatedEnergyEval,
  StateTask,
  StateTrainProtocol,
} from './task.ts';

/** A printed figure of the paper's tables: [mean, +-]. */
type Figure = [number, number];

/**
 * A row of the paper's Table 1 in the table's column order: train loss (baseline, HNN), test loss
 * (baseline, HNN), energy MSE (baseline, HNN), each [mean, +-] as printed at `scale`.
 */
export function paperRow(
  scale: number,
  trainBaseline: Figure,
  trainHnn: Figure,
  testBaseline: Figure,
  testHnn: Figure,
  energyBaseline: Figure,
  energyHnn: Figure,
): PublishedResult {
  return { scale, trainBaseline, trainHnn, testBaseline, testHnn, energyBaseline, energyHnn };
}

/** The state protocol's training defaults (the paper's task 1): 2000 full-batch Adam steps, MLP 200 x 200. */
export const STATE_TRAIN_DEFAULTS: StateTrainProtocol = { steps: 2000, batchSize: null, weightDecay: 1e-4, lr: 1e-3, hidden: [200, 200] };

/**
 * The data of the paper's tasks 1 and 2 (spring, pendulum): 50 noisy trajectories on t in [0, 3],
 * half of them train, drawn as the reference's numpy code draws them. `points` differs per task
 * (the spring's 30, the pendulum's 45).
 */
export function paperStateData(points: number): SimulatedData {
  return {
    source: 'simulated',
    trajectories: 50,
    t0: 0,
    t1: 3,
    points,
    rtol: 1e-10,
    atol: 1e-10,
    noiseStd: 0.1,
    testFraction: 0.5,
    first: 'train',
    randomSource: 'numpy-legacy',
  };
}

/** The energy protocol of the paper's tasks 1 and 2: 15 states of the box, t in [0, 20], 100 points. */
export const PAPER_STATE_ENERGY: SimulatedEnergyEval = { count: 15, t1: 20, points: 100, rtol: 1e-12, atol: 1e-12, states: 'box' };

/** What `--quick` keeps of the paper's 2000-step state protocol. */
export const PAPER_STATE_QUICK = { steps: 600 } as const;

/** One of the paper's conservative state tasks as written: what is its own. */
export interface PaperStateTaskSpec {
  name: string;
  description: string;
  system: System;
  liveTrain: boolean;
  /** Points per trajectory of paperStateData. */
  points: number;
  published: PublishedResult;
}

/**
 * A conservative state task of the paper's table (task 1, spring; task 2, pendulum): the paper's
 * data at the task's points per trajectory, its training, energy and --quick protocols. It is in
 * the dissipative table too, as that table's conservative control: the D-HNN must not invent friction.
 */
export function paperStateTask(spec: PaperStateTaskSpec): StateTask {
  const { name, description, system, liveTrain, points, published } = spec;
  return {
    kind: 'state',
    name,
    suites: ['paper', 'dissipative'],
    description,
    system,
    liveTrain,
    data: paperStateData(points),
    train: STATE_TRAIN_DEFAULTS,
    energy: PAPER_STATE_ENERGY,
    quick: PAPER_STATE_QUICK,
    published,
  };
}

/**
 * The data of the orbit protocol (the paper's task 4, also the three-body and double-pendulum
 * tasks): noise-free trajectories from the system's sampler, tolerance 1e-9, the first 20% test,
 * drawn from the project's Rng.
 */
export function sampledStateData(trajectories: number, t1: number, points: number): SimulatedData {
  return {
    source: 'simulated',
    trajectories,
    t0: 0,
    t1,
    points,
    rtol: 1e-9,
    atol: 1e-9,
    noiseStd: 0,
    testFraction: 0.2,
    first: 'test',
    randomSource: 'rng',
  };
}

/** The orbit protocol's energy metric: 15 trajectories from the sampler over [0, t1], tolerance 1e-9. */
export function sampledStateEnergy(t1: number, points: number): SimulatedEnergyEval {
  return { count: 15, t1, points, rtol: 1e-9, atol: 1e-9, states: 'sampler' };
}

/**
 * The protocol of our 4-D state tasks (cart pendulum, double pendulum): the orbit protocol's data
 * with 500 trajectories on [0, 5] of 50 points, 5000 Adam steps in batches of 200 without weight
 * decay, the energy metric over [0, 10] at 200 points, and 800 steps on 100 trajectories under --quick.
 */
export function fourDimStateProtocol(): Pick<StateTask, 'data' | 'train' | 'energy' | 'quick'> {
  return {
    data: sampledStateData(500, 5, 50),
    train: { ...STATE_TRAIN_DEFAULTS, steps: 5000, batchSize: 200, weightDecay: 0 },
    energy: sampledStateEnergy(10, 200),
    quick: { steps: 800, data: { trajectories: 100 } },
  };
}

/**
 * The pixel tasks' training protocol: the paper's (batch 200 of pairs, Adam 1e-3, weight decay 1e-5,
 * 10000 steps, autoencoder width 200, latent MLP 200 x 200) with the project's latent loss, 4 frames
 * of leapfrog steps (the paper's: 1 Euler step; docs/PROTOCOLS.md, "A robust pixel HNN").
 */
export const PIXEL_TRAIN: PixelTrainProtocol = {
  steps: 10000,
  batchSize: 200,
  lr: 1e-3,
  weightDecay: 1e-5,
  hidden: 200,
  dynHidden: [200, 200],
  rolloutSteps: 4,
  latentStep: 'leapfrog',
};

/**
 * What every pixel task shares unless it says otherwise: 200 trials of 103 frames of 28 x 28, 0.1
 * time units apart, 64 RK4 substeps per frame, 20% test trials, 8 x 8 subsamples on edge pixels;
 * the pixel training protocol; rollouts of 200 frames scored by H as is, the period read from the
 * first coordinate; 300 steps under --quick.
 */
export const pixelTaskDefaults = {
  data: { trials: 200, frames: 103, size: 28, frameDt: 0.1, substeps: 64, testFraction: 0.2, samples: 8 },
  train: PIXEL_TRAIN,
  evaluation: { rolloutFrames: 200, energyScale: 1, periodCoordinate: 0 },
  quick: { steps: 300 },
} as const satisfies {
  data: Omit<PixelData, 'sample' | 'sampling'>;
  train: PixelTrainProtocol;
  evaluation: PixelEvaluation;
  quick: PixelTask['quick'];
};

/** A built-in pixel task's own data: its initial states, and any of the defaults it changes. */
export interface PixelDataSpec extends Partial<Omit<PixelData, 'sample' | 'sampling'>> {
  sample(rng: Rng): Float64Array;
  sampling: Record<string, string>;
  engines?: readonly string[];
  extraLabels?: readonly ExtraLabel[];
  randomParams?: RandomParams;
}

/** A built-in pixel task as written: what is its own; pixelTask fills in pixelTaskDefaults. */
export interface PixelTaskSpec extends Omit<PixelTask, 'kind' | 'data' | 'train' | 'evaluation' | 'quick'> {
  system: System;
  data: PixelDataSpec;
  train?: PixelTrainProtocol;
  evaluation?: Partial<PixelEvaluation>;
  quick?: PixelTask['quick'];
}

/**
 * A pixel task from what it changes of pixelTaskDefaults. The data's fields come in one order
 * (the defaults' frame settings, the task's own fields as written, then `samples` and the per-trial
 * options) whatever the spec's order, so every record reads alike.
 */
export function pixelTask(spec: PixelTaskSpec): PixelTask {
  const { name, suites, description, system, data, train, evaluation, quick, ...rest } = spec;
  const { samples, randomParams, sceneVersion, ...own } = data;
  const d = pixelTaskDefaults.data;
  return {
    kind: 'pixel',
    name,
    suites,
    description,
    system,
    data: {
      trials: d.trials,
      frames: d.frames,
      size: d.size,
      frameDt: d.frameDt,
      substeps: d.substeps,
      testFraction: d.testFraction,
      ...own,
      samples: samples ?? d.samples,
      ...(randomParams ? { randomParams } : {}),
      ...(sceneVersion !== undefined ? { sceneVersion } : {}),
    },
    train: train ?? pixelTaskDefaults.train,
    evaluation: { ...pixelTaskDefaults.evaluation, ...evaluation },
    quick: quick ?? pixelTaskDefaults.quick,
    ...rest,
  };
}
