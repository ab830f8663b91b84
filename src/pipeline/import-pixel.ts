// Pixel datasets made by `hnn import video` in the pixel pipeline: loading them (no labels, no
// initial states: the truth is the stored test frames) and evaluating a model trained on them
// (src/eval/imported.ts: VPT and pixel MSE along rollouts from the held-out trials, and the learned
// H's drift along the model's own rollouts).
import type { DatasetManifest } from '../../datasets/format.ts';
import type { PixelDatasetParams } from '../../datasets/pixel.ts';
import { hamiltonianFunction } from '../../models/f64.ts';
import type { PixelModel, PixelLossConfig } from '../../models/pixel.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import {
  learnedEnergyDrift,
  scoreImportedRollout,
  summariseImported,
  type ImportedPixelRollout,
  type ImportedPixelSummary,
  type LearnedEnergyDrift,
} from '../eval/imported.ts';
import { encodeRows, latentField, latentRollout, projectedRollouts, type LatentRollout } from '../eval/pixel.ts';
import { squaredErrorStats, type MeanSem } from '../eval/stats.ts';
import type { PixelTask } from '../tasks/task.ts';
import { splitSampleLosses, type PixelSplit } from '../train/pixel.ts';
import { UserError } from '../util/errors.ts';
import type { NpyArray } from '../util/npy.ts';
import type { PixelDataset, RolloutSettings } from './pixel.ts';

/** Checks an imported pixel dataset's arrays against its manifest and returns it as a PixelDataset (label width 0). */
export function importedPixelDataset(
  dir: string,
  task: PixelTask,
  manifest: DatasetManifest,
  params: PixelDatasetParams,
  arrays: Record<string, NpyArray>,
): PixelDataset {
  const bad = (why: string) =>
    new UserError(`dataset ${dir} is not a valid pixel-import dataset (${why}); import it again with \`hnn import video\``);
  const held = manifest.params.testTrials;
  if (!Array.isArray(held) || held.length < 1 || held.length >= params.trials)
    throw bad('params.testTrials is not a list of held-out trials');
  if (!(params.frames >= 4)) throw bad(`params.frames is ${params.frames}; a trial needs at least 4 frames`);
  const values = params.size * params.size * params.channels;
  const perTrial = params.frames - 3;
  const testTrials = held.length;
  const trainRows = (params.trials - testTrials) * perTrial;
  const want: Record<string, number[]> = {
    trainPixels: [trainRows, 2 * values],
    trainNextPixels: [trainRows, 2 * values],
    testPixels: [testTrials * perTrial, 2 * values],
    testNextPixels: [testTrials * perTrial, 2 * values],
    testFrames: [testTrials, params.frames, values],
  };
  for (const [name, shape] of Object.entries(want)) {
    const a = arrays[name];
    if (!a) throw bad(`no ${name} array`);
    if (!(a.data instanceof Float32Array)) throw bad(`${name} is ${a.data.constructor.name}, expected Float32Array`);
    if (a.shape.join(',') !== shape.join(',')) throw bad(`${name} has shape [${a.shape}], expected [${shape}]`);
  }
  const split = (x: string, next: string): PixelSplit => ({
    x: arrays[x].data as Float32Array,
    next: arrays[next].data as Float32Array,
    rows: arrays[x].shape[0],
  });
  const noLabels = (rows: number): NpyArray => ({ data: new Float64Array(0), shape: [rows, 0] });
  return {
    dir,
    task,
    manifest,
    params,
    arrays: { ...arrays, trainLabels: noLabels(trainRows), testLabels: noLabels(testTrials * perTrial) },
    data: {
      frameSize: params.size,
      channels: params.channels,
      perTrial,
      train: split('trainPixels', 'trainNextPixels'),
      test: split('testPixels', 'testNextPixels'),
    },
    perTrial,
    testTrials,
    labelWidth: 0,
  };
}

/** The most frames a rollout of this dataset can be scored over: a trial's frames less the first. */
export function importedRolloutLimit(ds: PixelDataset): number {
  return ds.params.frames - 1;
}

/** True frames 1..frames of test trial `trial` (rollout frame f shows trial frame f + 1). */
export function importedTruth(ds: PixelDataset, trial: number, frames: number): Float32Array {
  const limit = importedRolloutLimit(ds);
  if (frames > limit)
    throw new UserError(
      `this imported dataset's trials hold ${ds.params.frames} frames, so a rollout can be scored over at most ${limit}; pass --frames ${limit} or fewer`,
    );
  const values = ds.params.size * ds.params.size * ds.params.channels;
  const all = ds.arrays.testFrames.data as Float32Array;
  const start = (trial * ds.params.frames + 1) * values;
  return all.slice(start, start + frames * values);
}

type TermStats = Record<'total' | 'recon' | 'consistency' | 'hnn', MeanSem>;

export interface ImportedPixelEvaluation {
  trainTerms: TermStats;
  testTerms: TermStats;
  rollouts: ImportedPixelRollout[];
  latents: LatentRollout[];
  summary: ImportedPixelSummary;
  /** HNN and D-HNN: the drift of their learned H along their own rollouts; null for the baseline (no H) */
  learnedEnergyDrift: LearnedEnergyDrift | null;
}

function termStats(s: Record<'total' | 'recon' | 'consistency' | 'hnn', Float64Array>): TermStats {
  const st = (a: Float64Array) => squaredErrorStats(a, a.length);
  return { total: st(s.total), recon: st(s.recon), consistency: st(s.consistency), hnn: st(s.hnn) };
}

/** Latent rollouts from the first sample of each test trial. */
export function importedLatents(model: PixelModel, weights: NamedWeights, ds: PixelDataset, s: RolloutSettings): LatentRollout[] {
  const w = model.input;
  const z0s = Array.from({ length: ds.testTrials }, (_, t) =>
    encodeRows(model, ds.data.test.x.subarray(t * ds.perTrial * w, (t * ds.perTrial + 1) * w), 1),
  );
  const field = latentField(model.spec.kind, weights);
  if (s.projection === 'autoencoder') return projectedRollouts(model, field, z0s, s.frames, s.integrator);
  return z0s.map((z0) => latentRollout(field, z0, s.frames, { integrator: s.integrator }));
}

/** Losses on both splits, rollouts of every test trial scored against its frames, and the learned H's drift. */
export function evaluateImportedPixelModel(
  model: PixelModel,
  weights: NamedWeights,
  ds: PixelDataset,
  loss: PixelLossConfig,
  s: RolloutSettings,
): ImportedPixelEvaluation {
  const trainTerms = termStats(splitSampleLosses(model, ds.data.train, loss));
  const testTerms = termStats(splitSampleLosses(model, ds.data.test, loss));
  const latents = importedLatents(model, weights, ds, s);
  const rollouts = latents.map((l, t) => scoreImportedRollout(model, l, importedTruth(ds, t, s.frames), s.frames));
  const kind = model.spec.kind;
  const drift =
    kind === 'baseline'
      ? null
      : learnedEnergyDrift(
          hamiltonianFunction(weights, kind),
          latents.map((l) => l.z),
          rollouts.map((r) => r.reencoded),
          encodeRows(model, ds.data.test.x, ds.data.test.rows),
          model.spec.latent,
        );
  return { trainTerms, testTerms, rollouts, latents, summary: summariseImported(rollouts, s.frames), learnedEnergyDrift: drift };
}
