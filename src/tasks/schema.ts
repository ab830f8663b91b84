// The zod schemas of the task options: one definition per option, shared by the library
// (defineStateTask, definePixelTask, trainStateModel, runStateExperiment), system files and the
// command line. The option types are derived from them (z.infer), so the types and what is
// accepted at run time cannot disagree. Objects are strict: an unknown key is an error with a
// "did you mean" (src/util/options.ts).
import { z } from 'zod';
import { LATENT_STEPS } from './vocabulary.ts';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const positive = () => z.number().positive();
const tolerance = () => z.number().positive().lt(1);
/** A coupled L2 weight decay: >= 0, and at most 1000 (larger ones only flatten the network to 0). */
export const decay = () => z.number().min(0).max(1000);

/** Training protocol of a state task: Adam with coupled L2 weight decay (docs/PROTOCOLS.md). */
export const stateTrainProtocolSchema = z.strictObject({
  /** Training steps (the loop runs steps + 1 updates). */
  steps: int(1, 1e8),
  /** Rows per batch; null = the full training split. */
  batchSize: int(1).nullable(),
  /** Coupled L2 weight decay of the network (H's, or the baseline's). */
  weightDecay: decay(),
  /** Adam's learning rate. */
  lr: positive().max(1),
  /** Hidden layer widths of the MLP. */
  hidden: z.array(int(1, 16384)).min(1).max(32),
  /** Updates between test-loss evaluations (and log lines); default 200. */
  evalEvery: int(1, 1e8).optional(),
});

/** How a simulated state dataset is made (the fields of SimulatedData less `source`). */
export const simulatedDataSchema = z.strictObject({
  /** Trajectories integrated from sampled initial states. */
  trajectories: int(2, 1e7),
  t0: z.number(),
  t1: z.number(),
  /** Evenly spaced samples per trajectory, t0 and t1 included. */
  points: int(2, 1e7),
  rtol: tolerance(),
  atol: positive(),
  /** Std of the Gaussian noise added to the inputs x after the targets are computed (0 = none). */
  noiseStd: z.number().min(0),
  /** Fraction of trajectories in the test split. */
  testFraction: z.number().gt(0).lt(1),
  /** Which split takes the first trajectories. */
  first: z.enum(['train', 'test']),
  /**
   * Where the random draws come from. 'numpy-legacy': the reference code's own draws (numpy's legacy
   * generator seeded with the seed, in its order: per trajectory a point of the square [-1, 1]^2
   * normalised to the system's initialRadius rule, then the q noise, then the p noise), so seed s
   * gives the reference's dataset at seed s. 'rng': this project's Rng streams and the system's sampler.
   */
  randomSource: z.enum(['numpy-legacy', 'rng']),
});

/** Energy MSE along rollouts of simulated systems (docs/PROTOCOLS.md, "Energy MSE"). */
export const simulatedEnergyEvalSchema = z.strictObject({
  /** Initial states rolled out. */
  count: int(1, 1e5),
  /** Rollouts run over t in [0, t1]. */
  t1: positive(),
  /** Evenly spaced comparison times. */
  points: int(2, 1e7),
  rtol: tolerance(),
  atol: positive(),
  /**
   * 'box': each coordinate uniform in +-[0.2, 1.0) with a random sign, from Rng(seed).fork("energy-eval");
   * 'sampler': the system's own sampler with seeds seed, seed + 1, ...
   */
  states: z.enum(['box', 'sampler']),
});

/** A task's name as a user may give it: a lower-case letter, then lower-case letters, digits and dashes. */
const taskName = () => z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower case letters, digits and dashes');

/** What `defineStateTask` takes besides the system: every field optional, the paper's state protocol otherwise. */
export const stateTaskOptionsSchema = z.strictObject({
  /** Default: the system's name. */
  name: taskName().optional(),
  description: z.string().optional(),
  data: simulatedDataSchema.partial().optional(),
  train: stateTrainProtocolSchema.partial().optional(),
  energy: simulatedEnergyEvalSchema.partial().optional(),
  /** Steps of --quick (default: a fifth of the protocol's). */
  quickSteps: int(1, 1e8).optional(),
  /** The D-HNN's coupled weight decay of D on this task (default 3e-4, models/kinds.ts). */
  dissipationWeightDecay: decay().optional(),
});

/** Training protocol of a pixel task (docs/PROTOCOLS.md, "Pixel pendulum"). */
export const pixelTrainProtocolSchema = z.strictObject({
  steps: int(1, 1e8),
  batchSize: int(1),
  lr: positive().max(1),
  weightDecay: decay(),
  /** Autoencoder width. */
  hidden: int(1, 16384),
  /** Hidden sizes of the latent MLP. */
  dynHidden: z.array(int(1, 16384)).min(1).max(32),
  /**
   * Frames the latent loss rolls out from each window start: the project's default (the multi-step
   * loss of models/pixel.ts; docs/PROTOCOLS.md, "A robust pixel HNN"). The paper's protocol is 1,
   * which `hnn reproduce` of the paper's table keeps.
   */
  rolloutSteps: int(1, 64),
  /**
   * The latent step of that rollout (the project's default: leapfrog, whose one-step-per-frame map
   * the evaluation then rolls out). The paper's protocol is Euler, which `hnn reproduce` of the
   * paper's table keeps.
   */
  latentStep: z.enum(LATENT_STEPS),
});

/** How a user's pixel task makes its frames (a subset of PixelData: the sampler is the system's). */
export const pixelDataOptionsSchema = z.strictObject({
  trials: int(2, 1e6),
  /** Frames per trial (a trial of F frames gives F - 3 samples). */
  frames: int(4, 1e6),
  /** Frame side N (N x N). */
  size: int(8, 1024),
  /** Time between frames. */
  frameDt: positive(),
  /** Classical RK4 substeps per frame of the exact field. */
  substeps: int(1, 1e5),
  testFraction: z.number().gt(0).lt(1),
  /** Rasteriser subsamples per axis on edge pixels. */
  samples: int(1, 64),
});

/** What `definePixelTask` takes besides the system. */
export const pixelTaskOptionsSchema = z.strictObject({
  /** Default: pixel-<system name>. */
  name: taskName().optional(),
  description: z.string().optional(),
  data: pixelDataOptionsSchema.partial().optional(),
  train: pixelTrainProtocolSchema.partial().optional(),
  evaluation: z
    .strictObject({
      /** Frames of every rollout. */
      rolloutFrames: int(2, 1e6),
      /** Factor on H in the pixel energy metric. */
      energyScale: positive(),
      /** State coordinate whose oscillation gives the period; null where there is none. */
      periodCoordinate: int(0).nullable(),
      latentMap: z.enum(['affine', 'quadratic']),
      projection: z.enum(['none', 'autoencoder']),
    })
    .partial()
    .optional(),
  /** How the default scene draws the system when it has no scene of its own (default: plane for 2 or 4 coordinates, else line). */
  scene: z.enum(['plane', 'line']).optional(),
  /** Steps of --quick (default 300). */
  quickSteps: int(1, 1e8).optional(),
});

export type StateTrainProtocol = z.infer<typeof stateTrainProtocolSchema>;
export type SimulatedDataFields = z.infer<typeof simulatedDataSchema>;
export type SimulatedEnergyEval = z.infer<typeof simulatedEnergyEvalSchema>;
export type PixelTrainProtocol = z.infer<typeof pixelTrainProtocolSchema>;
/** What `defineStateTask` accepts. */
export type StateTaskOptions = z.input<typeof stateTaskOptionsSchema>;
/** What `definePixelTask` accepts. */
export type PixelTaskOptions = z.input<typeof pixelTaskOptionsSchema>;
