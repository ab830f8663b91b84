// A trained pixel model's evaluation: the loss terms on both splits, the latent-to-state map, and the
// rollouts of the test trials with energy MSE, VPT and period (and the D-HNN's learned dissipation).
import { trialSystem } from '../../datasets/pixel.ts';
import type { PixelDataset } from '../../datasets/pixel-load.ts';
import type { PixelLossConfig, PixelModel } from '../../models/pixel.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import type { PixelTask } from '../tasks/task.ts';
import type { LatentMapKind, RolloutIntegrator, RolloutProjection } from '../tasks/vocabulary.ts';
import { splitSampleLosses } from '../train/pixel.ts';
import { latentDissipation, type DissipationSummary } from './dissipation.ts';
import { pixelAgainstTrivial, type PixelAgainstTrivial } from './pixel-learned.ts';
import { LatentRolloutHelper } from './latent-pool.ts';
import {
  encodeRows,
  fitLatentMap,
  latentField,
  latentMapKind,
  projectedRollouts,
  scoreLatentRollout,
  summariseRollouts,
  type LatentMap,
  type PixelEnergySummary,
  type PixelRollout,
} from './pixel.ts';
import { EVAL_TRIALS, energyName, rolloutScoring, trialTruth } from './pixel-trials.ts';
import { squaredErrorStats, type MeanSem } from './stats.ts';

export type TermStats = Record<'total' | 'recon' | 'consistency' | 'hnn', MeanSem>;

export function termStats(s: Record<'total' | 'recon' | 'consistency' | 'hnn', Float64Array>): TermStats {
  const st = (a: Float64Array) => squaredErrorStats(a, a.length);
  return { total: st(s.total), recon: st(s.recon), consistency: st(s.consistency), hnn: st(s.hnn) };
}

export interface PixelEvaluation {
  trainTerms: TermStats;
  testTerms: TermStats;
  map: LatentMap;
  rollouts: PixelRollout[];
  summary: PixelEnergySummary;
  /** whether the model learned anything: its latent step and reconstruction against trivial ones, on the test split */
  againstTrivial: PixelAgainstTrivial;
  /** D-HNN latent models: the learned dissipation in the state's units (src/eval/dissipation.ts) */
  dissipation?: DissipationSummary;
}

/** How the rollouts of an evaluation are made. */
export interface RolloutSettings {
  frames: number;
  integrator: RolloutIntegrator;
  projection: RolloutProjection;
  /** the cores the rollouts may use (default every core): 1 keeps them on the caller's thread */
  threads?: number;
}

/**
 * Losses on both splits, the latent map, and rollouts of the first test trials (their latent parts
 * on two cores, unless they are projected: a projection needs the autoencoder, which is here).
 */
export async function evaluatePixelModel(
  model: PixelModel,
  weights: NamedWeights,
  ds: PixelDataset,
  loss: PixelLossConfig,
  { frames, integrator, projection, threads }: RolloutSettings,
): Promise<PixelEvaluation> {
  // started first: its thread loads while the losses are computed
  const helper = projection === 'none' ? new LatentRolloutHelper(threads) : null;
  try {
    // the helper starts on the latent rollouts now; this thread joins them after the losses and the map
    const trials = Array.from({ length: Math.min(EVAL_TRIALS, ds.testTrials) }, (_, t) => t);
    const w = model.input;
    const z0s = trials.map((t) => encodeRows(model, ds.data.test.x.subarray(t * ds.perTrial * w, (t * ds.perTrial + 1) * w), 1));
    const pending = helper?.begin({ kind: model.spec.kind, weights, z0s, frames, integrator });
    const trainTerms = termStats(splitSampleLosses(model, ds.data.train, loss));
    const testSamples = splitSampleLosses(model, ds.data.test, loss);
    const testTerms = termStats(testSamples);
    const zTest = encodeRows(model, ds.data.test.x, ds.data.test.rows);
    const againstTrivial = testAgainstTrivial(model, ds, testSamples, zTest);
    const map = fitTrainMap(model, ds);
    const latents = pending
      ? await pending.finish()
      : projectedRollouts(model, latentField(model.spec.kind, weights), z0s, frames, integrator);
    const rollouts = trials.map((t, i) => {
      const truth = trialTruth(ds, t, frames);
      return scoreLatentRollout(model, latents[i], truth, map, rolloutScoring(ds.task, truth.system), frames);
    });
    const summary = summariseRollouts(rollouts, trials, frames, energyName(ds.task));
    if (model.spec.kind !== 'dhnn') return { trainTerms, testTerms, againstTrivial, map, rollouts, summary };
    const dissipation = latentDissipation(
      trialSystem(ds.task, ds.params, undefined),
      weights,
      map,
      ds.params.frameDt,
      rollouts.map((r) => r.latent.z.subarray(0, r.latent.reached * model.spec.latent)),
      zTest,
    );
    return { trainTerms, testTerms, againstTrivial, map, rollouts, summary, dissipation };
  } finally {
    await helper?.close();
  }
}

/**
 * The model's test terms (splitSampleLosses on the test split) against a still latent and the mean
 * pair; `zTest` holds the test rows' encodings, which the caller needs too.
 */
export function testAgainstTrivial(
  model: PixelModel,
  ds: PixelDataset,
  terms: { hnn: Float64Array; recon: Float64Array },
  zTest: Float64Array,
): PixelAgainstTrivial {
  const t = ds.data.test;
  const zNext = encodeRows(model, t.next, t.rows);
  return pixelAgainstTrivial(terms, zTest, zNext, model.spec.latent, t, ds.data.train);
}

/** The map latent -> state (the task's kind, affine by default) fitted on the training set's encodings. */
export function fitTrainMap(model: PixelModel, ds: PixelDataset): LatentMap {
  const z = encodeRows(model, ds.data.train.x, ds.data.train.rows);
  return fitLatentMap(z, ds.arrays.trainLabels.data, ds.data.train.rows, ds.labelWidth, ds.task.system.dim, taskLatentMap(ds.task));
}

/** The map saved with a model, when it maps to the state with the features the task now uses (else it is refitted). */
export function savedLatentMap(metadata: Record<string, unknown>, task: PixelTask): LatentMap | undefined {
  const map = metadata.latentMapTarget === 'state' ? (metadata.latentMap as LatentMap | undefined) : undefined;
  return map && latentMapKind(map) === taskLatentMap(task) ? map : undefined;
}

/** The kind of latent-to-state map a task's energy metric uses. */
export function taskLatentMap(task: PixelTask): LatentMapKind {
  return task.evaluation.latentMap ?? 'affine';
}
