// What `hnn reproduce` takes (runReproduce's options), and where runs trained elsewhere lie.
import type { ModelKind } from '../../models/dynamics.ts';
import { type LatentStep } from '../../models/kinds.ts';
import type { DissipationOptions } from './dissipation-options.ts';
import { type TestStatistic } from '../eval/statistic.ts';
import { type RolloutProjection } from '../eval/integrators.ts';
import type { StateTrainOverrides } from './options.ts';
import { type Reference } from './reproduce-table.ts';

/** The D-HNN's options (./dissipation-options.ts) apply to the state tasks; D's decay there instead of each task's. */
export interface ReproduceOptions extends DissipationOptions {
  tasks: string[];
  /** A user's system file some of the tasks come from (registered by the caller; workers register it too). */
  systemFile?: string;
  seeds: number;
  outDir: string;
  quick: boolean;
  backend: string;
  force: boolean;
  quiet: boolean;
  /** Pixel tasks: the latent model's weight decay (default: latentWeightDecay's rule; 1e-5 is the literal protocol). */
  dynamicsWeightDecay?: number;
  /** Runs trained at once (default: the machine's cores). */
  jobs?: number;
  /** The models trained on every task (default baseline and HNN). */
  models?: ModelKind[];
  /** The published figures the table compares with (default the HNN paper's). */
  reference?: Reference;
  /** Pixel tasks: the paper's one-step latent loss (the paper's table) instead of the tasks' defaults (the pixel table). */
  paperProtocol?: boolean;
  /** Pixel tasks: the latent step of the loss instead of the protocol's (the task's, leapfrog; the paper's table: euler). */
  latentStep?: LatentStep;
  /** Pixel tasks: what the rollouts do to the latent after every frame instead of each task's default (labelled in every output). */
  projection?: RolloutProjection;
  /** Steps of every run instead of the protocol's (labelled in every output). */
  steps?: number;
  /** Runs trained elsewhere (a queued sweep's workers, src/pipeline/sweep/reproduce-queue.ts) instead of here. */
  external?: ExternalRuns;
  /** The test loss the tables show: the final model's (default) or the mean of the last k evaluations. */
  statistic?: TestStatistic;
  /** State tasks: training settings instead of every task protocol's (recorded in each metrics.json). */
  train?: StateTrainOverrides;
}

/** Where runs trained elsewhere lie, and how to have them all finished. */
export interface ExternalRuns {
  runDir(task: string, seed: number, kind: ModelKind): string;
  /** the dataset the run trained on */
  dataDir(task: string, seed: number, kind: ModelKind): string;
  /** returns once every run is finished (throws when one failed) */
  run(): Promise<void>;
}
