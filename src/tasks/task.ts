// A task is a system plus everything its experiment needs, as one typed record: how its dataset is
// made, how models train on it, how the energy metric is measured, what --quick reduces, and the
// published numbers it is compared with. Code loops over tasks and reads these fields; it never
// branches on a task's name. The protocols come from the paper and its code (docs/PROTOCOLS.md).
import type { Rng } from '../util/rng.ts';
import type { PublishedResult, System } from '../systems/system.ts';
import type { LatentMapKind, RolloutProjection } from './vocabulary.ts';
import type {
  PixelTrainProtocol as PixelTrainProtocolType,
  SimulatedDataFields,
  SimulatedEnergyEval as SimulatedEnergyEvalType,
  StateTrainProtocol as StateTrainProtocolType,
} from './schema.ts';

/** Training protocol of a state task (its schema in ./schema.ts). */
export type StateTrainProtocol = StateTrainProtocolType;

/** A dataset integrated from sampled initial states (its fields' schema in ./schema.ts). Tolerances: atol = rtol where the reference sets only rtol. */
export type SimulatedData = { source: 'simulated' } & SimulatedDataFields;

/** Measured data: rows (trial, t, q, p) of a text file shipped with the package. */
export interface MeasuredData {
  source: 'measured';
  /** Package-relative path of the file. */
  file: string;
  sha256: string;
  rows: number;
  /** Where the data come from (recorded in manifests). */
  provenance: string;
  /** First part (time order) train, the rest test. */
  trainFraction: number;
  /**
   * The derivative targets: 'forward' (default, the HNN paper's): x_i with (x_{i+1} - x_i) / h;
   * 'midpoint' (the D-HNN paper's): (x_i + x_{i+1}) / 2 with the same difference, second-order
   * accurate. A forward difference on an orbit leans inwards by h a / 2, which reads as friction.
   */
  targets?: 'forward' | 'midpoint';
}

/** A user's trajectories, read by `hnn import states` into a dataset folder (never generated). */
export interface ImportedData {
  source: 'imported';
}

/**
 * States on a regular grid with the exact field as targets, shuffled and split (the D-HNN paper's
 * damped spring: a 25 x 25 grid on [-1.2, 1.2]^2, no noise, 85% train). Rows are ordered as numpy's
 * meshgrid flattens them (the first coordinate fastest), then permuted; no time, no trajectories.
 */
export interface GridData {
  source: 'grid';
  /** Every coordinate's range [min, max] and number of points on it. */
  min: number;
  max: number;
  size: number;
  /** The first floor(rows x trainFraction) shuffled rows train, the rest test (the reference's int()). */
  trainFraction: number;
  /**
   * The shuffle: 'numpy-legacy' is the reference's np.random.seed(seed); np.random.permutation(rows),
   * so seed s gives its split at seed s; 'rng' is Rng(seed).fork('grid-shuffle').
   */
  shuffle: 'numpy-legacy' | 'rng';
}

/** Where a state task's data come from: simulated from its system, measured, the field on a grid, or imported. */
export type StateDataSpec = SimulatedData | MeasuredData | GridData | ImportedData;

/** Energy MSE along rollouts of simulated systems (docs/PROTOCOLS.md, "Energy MSE"; its schema in ./schema.ts). */
export type SimulatedEnergyEval = SimulatedEnergyEvalType;

/** Energy MSE of measured data: from the first test point over the test time stamps. */
export interface MeasuredEnergyEval {
  rtol: number;
  atol: number;
}

/**
 * The tables a task belongs to: 'paper' is the paper's Table 1 (and its appendix, and our damped
 * pendulum), the default of `hnn reproduce`; 'pixels' and 'dissipative' are `--pixels` and
 * `--dissipative` (damped and measured tasks, with the ideal spring and pendulum as conservative
 * controls). A task in none runs only when named with --tasks.
 */
export type Suite = 'paper' | 'pixels' | 'dissipative';

/**
 * Published figures of the dissipative-HNN paper (Sosanya & Greydanus 2022) for a task, per model
 * and metric, as printed (values already multiplied by `scale`); a figure it does not give is left out.
 */
export interface PublishedDissipative {
  /** Where the figures are printed, and how their protocol differs from ours. */
  source: string;
  scale: number;
  figures: Partial<Record<'baseline' | 'hnn' | 'dhnn', Partial<Record<'train' | 'test' | 'energy', [number, number]>>>>;
}

interface TaskBase {
  name: string;
  suites: readonly Suite[];
  /** One line for --help and tables. */
  description: string;
  system: System;
  /** The HNN paper's Table 1 row (`hnn reproduce`'s paper and pixel tables). */
  published?: PublishedResult;
  /** The D-HNN paper's figures (`hnn reproduce --dissipative`). */
  publishedDissipative?: PublishedDissipative;
}

/** A state task: a system (or measured data) with its dataset, training and energy protocols. */
export interface StateTask extends TaskBase {
  /** The D-HNN's coupled weight decay of D on this task (default DISSIPATION_WEIGHT_DECAY, models/kinds.ts). */
  dissipationWeightDecay?: number;
  kind: 'state';
  /**
   * The web page trains it live: `hnn web` ships its seed-0 dataset and the page trains the
   * protocol's model on it in the browser. Meant for systems whose protocol model (200 x 200, full
   * batch) takes a few milliseconds per step, so a loss curve forms within seconds (default false).
   */
  liveTrain?: boolean;
  data: StateDataSpec;
  train: StateTrainProtocol;
  energy: SimulatedEnergyEval | MeasuredEnergyEval;
  /** What `hnn reproduce --quick` changes (documented in its output). */
  quick: { steps: number; data?: Partial<Pick<SimulatedData, 'trajectories' | 'points'>> };
}

/** A label column beyond the state, kept for the reference's conventions. */
export interface ExtraLabel {
  name: string;
  description: string;
  of(x: Float64Array): number;
}

/** Physical parameters drawn per trial (the DeepMind suite's random-parameter variants). */
export interface RandomParams {
  /** Each parameter is drawn uniformly from its range, in this order, per trial. */
  ranges: Readonly<Record<string, readonly [number, number]>>;
  /** The task's system with those parameters. */
  system(params: Readonly<Record<string, number>>): System;
}

/** How the frames of a pixel task are made. */
export interface PixelData {
  trials: number;
  /** Frames per trial (a trial of F frames gives F - 3 samples). */
  frames: number;
  /** Frame side N (N x N). */
  size: number;
  /** Time between frames. */
  frameDt: number;
  /** Classical RK4 substeps per frame of the exact field (frames far more accurate than float32 pixels). */
  substeps: number;
  testFraction: number;
  /** Initial state of each trial. */
  sample(rng: Rng): Float64Array;
  /** What `sample` draws, for the manifest. */
  sampling: Record<string, string>;
  /** Simulation sources besides the exact field ('ode') this task offers (renderer/sources.ts). */
  engines?: readonly string[];
  /** Label columns after the state (default none). */
  extraLabels?: readonly ExtraLabel[];
  /** Rasteriser subsamples per axis on edge pixels. */
  samples: number;
  /** What `--random-params` draws per trial (default: the option is refused). */
  randomParams?: RandomParams;
  /**
   * Version of the system's drawing (view and shapes; default 1). Frames past a dataset's own are
   * rendered again for rollouts, so a dataset drawn by another version is refused, not mixed.
   */
  sceneVersion?: number;
}

/** Training protocol of a pixel task (docs/PROTOCOLS.md, "Pixel pendulum"; its schema in ./schema.ts). */
export type PixelTrainProtocol = PixelTrainProtocolType;

export interface PixelEvaluation {
  /** Frames of every rollout. */
  rolloutFrames: number;
  /**
   * Factor on the system's H in the pixel energy metric, so the numbers compare with the published
   * ones (the pendulum's reference measured H / 8; see its file).
   */
  energyScale: number;
  /** State coordinate whose oscillation gives the swing or orbit period; null where there is none (chaos). */
  periodCoordinate: number | null;
  /** Features of the latent-to-state map of the energy metric: 'affine' (default) or 'quadratic' (src/eval/pixel.ts LatentMap, src/tasks/vocabulary.ts). */
  latentMap?: LatentMapKind;
  /** What a rollout does to its latent after every frame: 'none' (default) or 'autoencoder' (src/tasks/vocabulary.ts). */
  projection?: RolloutProjection;
}

/** A pixel task: a system drawn to frames, with its frame, training and evaluation protocols. */
export interface PixelTask extends TaskBase {
  kind: 'pixel';
  data: PixelData;
  train: PixelTrainProtocol;
  evaluation: PixelEvaluation;
  quick: { steps: number };
  /** How to print the published numbers: losses and energy at their own scales. */
  publishedScales?: { loss: number; energy: number };
  /** Frames imported by `hnn import video`: no state, no renderer; the truth is the stored frames. */
  imported?: boolean;
}

/** Any task: state or pixel. */
export type Task = StateTask | PixelTask;
