// What `hnn rollout` (runRollout) takes and returns: apart from the runner, so that the rollout of
// imported data shares the types without importing it.
import { type ModelKind } from '../../models/kinds.ts';
import { type RolloutProjection } from '../eval/integrators.ts';
import { type RolloutIntegrator } from '../eval/pixel.ts';
import { type PixelDataset } from '../../datasets/pixel-load.ts';

/** A model folder per kind. */
export type ModelDirs = Partial<Record<ModelKind, string>>;

export interface RolloutOptions {
  modelDirs: ModelDirs;
  /** Default: the dataset the models were trained on (from their metadata). */
  dataDir?: string;
  /** The dataset of dataDir, already read (the main job reads it while a model still trains). */
  dataset?: PixelDataset;
  /** FILE.gif or FILE.mp4; a GIF is always written (FILE.gif next to an .mp4). */
  out: string;
  frames?: number;
  /** Default: each model's own (defaultRolloutIntegrator of its latent step, as its evaluation used). */
  integrator?: RolloutIntegrator;
  /** Default: the task's (taskProjection), as the models' evaluation used. */
  projection?: RolloutProjection;
  /** Test trial to roll out (default 0: the first test pair). */
  trial?: number;
  /** Folder of the two PNGs (default: next to the video, named after it). */
  plotsDir?: string;
  backend?: string;
  quiet?: boolean;
  /** Overwrite an existing video of the same name. */
  force?: boolean;
}

export interface RolloutResult {
  /** Video files written (the GIF first). */
  videos: string[];
  phasePlot: string | null;
  energyPlot: string;
  /** Per model: VPT (frames) and energy MSE of this rollout. */
  /** periodRatio: null when the rollout or the truth swings less than twice */
  scores: Record<string, { vpt: number; energyMse: number; periodRatio: number | null }>;
  /** Things the user should know (e.g. no ffmpeg for the MP4). */
  notes: string[];
  /** Imported datasets: the comparison over every held-out trial (scores is then empty: there is no true energy). */
  imported?: ImportedComparison;
}

export interface ImportedModelComparison {
  integrator: RolloutIntegrator;
  vptPerTrial: number[];
  vptMedian: number;
  vptMean: number;
  /** VPT against the model's own reconstructions of the frames (src/eval/imported.ts): the dynamics alone */
  vptReconMedian: number;
  vptReconPerTrial: number[];
  pixelMseMean: number;
  /** pixel MSE of the model's reconstructions of the true frames: the floor under pixelMseMean */
  reconMseMean: number;
  /** drift of the reference H along this model's decoded frames, per held-out trial and on average (null: no HNN given) */
  hDrift: { mean: number; perTrial: number[] } | null;
}

export interface ImportedComparison {
  frames: number;
  trials: number;
  /** the model whose learned H is the yardstick */
  reference: 'hnn' | 'dhnn' | null;
  /** drift of that H along the true frames of each trial */
  truthHDrift: { mean: number; perTrial: number[] } | null;
  models: Partial<Record<ModelKind, ImportedModelComparison>>;
  description: string;
  notes: string[];
}
