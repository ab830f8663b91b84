// Pixel datasets made by `hnn import video` in the pixel pipeline: loading them (no labels, no
// initial states: the truth is the stored test frames) and evaluating a model trained on them
// (src/eval/imported.ts: VPT and pixel MSE along rollouts from the held-out trials, and the learned
// H's drift along the model's own rollouts).
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
import type { PixelAgainstTrivial } from '../eval/pixel-learned.ts';
import { splitSampleLosses } from '../train/pixel.ts';
import { UserError } from '../util/errors.ts';
import type { PixelDataset } from '../../datasets/pixel-load.ts';
import { termStats, testAgainstTrivial, type RolloutSettings, type TermStats } from '../eval/pixel-evaluation.ts';

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

export interface ImportedPixelEvaluation {
  trainTerms: TermStats;
  testTerms: TermStats;
  /** whether the model learned anything (src/eval/pixel-learned.ts) */
  againstTrivial: PixelAgainstTrivial;
  rollouts: ImportedPixelRollout[];
  latents: LatentRollout[];
  summary: ImportedPixelSummary;
  /** HNN and D-HNN: the drift of their learned H along their own rollouts; null for the baseline (no H) */
  learnedEnergyDrift: LearnedEnergyDrift | null;
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
  const testSamples = splitSampleLosses(model, ds.data.test, loss);
  const testTerms = termStats(testSamples);
  const zTest = encodeRows(model, ds.data.test.x, ds.data.test.rows);
  const againstTrivial = testAgainstTrivial(model, ds, testSamples, zTest);
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
          zTest,
          model.spec.latent,
        );
  return {
    trainTerms,
    testTerms,
    againstTrivial,
    rollouts,
    latents,
    summary: summariseImported(rollouts, s.frames),
    learnedEnergyDrift: drift,
  };
}
