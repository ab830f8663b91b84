// What a pixel run records: its metrics.json, the training settings in it, the check that a finished
// run was trained as a reproduction expects, and the re-evaluation of a finished run from its model.
import { join } from 'node:path';
import { loadPixelDataset, withContext } from '../../datasets/pixel-load.ts';
import { pixelTaskOf } from '../../datasets/pixel.ts';
import { DISSIPATION_FORM, type LatentStep } from '../../models/kinds.ts';
import { contextOf } from '../../models/pixel.ts';
import { loadPixelModel } from '../../models/storage.ts';
import type { DissipationSummary } from '../eval/dissipation.ts';
import { evaluatePixelModel, type TermStats } from '../eval/pixel-evaluation.ts';
import { latentMapKind, type LatentMapKind, type PixelEnergySummary, type RolloutIntegrator } from '../eval/pixel.ts';
import type { RolloutProjection } from '../eval/integrators.ts';
import { initBackend } from '../tf/backend.ts';
import { latentWeightDecay, pixelTrainConfig, type PixelTrainConfig } from '../train/pixel.ts';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { readMetrics } from './metrics.ts';
import type { RunMetricsBase } from './metrics.ts';

/** What a pixel run's metrics.json holds: losses per term, energy MSE, VPT, periods, the rollout and training settings. */
export interface PixelMetrics extends RunMetricsBase<string>, PixelEnergySummary {
  dataset: RunMetricsBase<string>['dataset'] & { frameSize: number; engine: string };
  /** Loss terms (mean, std/sqrt(N) over samples); trainLoss/testLoss are the total. */
  trainTerms: TermStats;
  testTerms: TermStats;
  /**
   * latentMap: absent in runs evaluated before quadratic maps existed (they are affine); projection:
   * absent in runs evaluated before projections existed (none)
   */
  rollout: {
    frames: number;
    integrator: RolloutIntegrator;
    latentMapR2: number[];
    latentMap?: LatentMapKind;
    projection?: RolloutProjection;
  };
  resumedFrom: number | null;
  /** D-HNN latent models: the learned dissipation in the state's units */
  dissipation?: DissipationSummary;
}

/** The training settings a pixel run records in metrics.json. */
export function pixelProtocol(cfg: PixelTrainConfig): Record<string, unknown> {
  return {
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    weightDecay: cfg.weightDecay,
    dynamicsWeightDecay: latentWeightDecay(cfg),
    hidden: cfg.spec.hidden,
    latent: cfg.spec.latent,
    dynHidden: cfg.spec.dynHidden,
    // recorded only when set: runs made before these options existed keep their protocol record
    ...(cfg.spec.encoder ? { encoder: cfg.spec.encoder } : {}),
    ...(cfg.spec.context ? { context: cfg.spec.context } : {}),
    ...(cfg.spec.kind === 'dhnn' ? DISSIPATION_FORM : {}),
    loss: cfg.loss,
  };
}

/** The settings a finished pixel run is checked against: the defaults, except those given. */
export interface ExpectedPixelProtocol {
  dynamicsWeightDecay?: number;
  /** the paper's one-step Euler loss instead of the project's default */
  paperProtocol?: boolean;
  latentStep?: LatentStep;
}

/**
 * Why a finished pixel run was not trained with the expected settings (null when it was): a
 * reproduction or the main job must not reuse a run made otherwise.
 */
export function pixelProtocolMismatch(m: PixelMetrics, expected: ExpectedPixelProtocol = {}): string | null {
  const { dynamicsWeightDecay, paperProtocol = false, latentStep } = expected;
  const cfg = pixelTrainConfig(
    pixelTaskOf(m.task),
    m.model,
    m.seed,
    m.dataset.frameSize,
    dynamicsWeightDecay !== undefined ? { dynamicsWeightDecay } : {},
    paperProtocol,
  );
  if (latentStep) cfg.loss = { ...cfg.loss, latentStep };
  const want = pixelProtocol(cfg);
  if (JSON.stringify(m.protocol) === JSON.stringify(want)) return null;
  const decay = Number(m.protocol.dynamicsWeightDecay ?? m.protocol.weightDecay);
  const wantDecay = Number(want.dynamicsWeightDecay);
  return decay !== wantDecay
    ? `its latent model was trained with weight decay ${decay.toExponential()}, not ${wantDecay.toExponential()}`
    : `it was trained with non-default settings (${JSON.stringify(m.protocol)})`;
}

/**
 * Re-runs the evaluation of a finished experiment folder from its saved model (no training) and
 * rewrites metrics.json with the new losses, energy MSE and VPT (training fields are kept).
 */
export async function runPixelEvaluation(opts: {
  outDir: string;
  dataDir?: string;
  frames?: number;
  integrator?: RolloutIntegrator;
  projection?: RolloutProjection;
  backend?: string;
}): Promise<PixelMetrics> {
  const path = join(opts.outDir, 'metrics.json');
  const old = readMetrics<PixelMetrics>(path);
  if (typeof old.task !== 'string' || pixelTaskOf(old.task).kind !== 'pixel')
    throw new UserError(`${path} is not the result of a pixel task`);
  await initBackend(opts.backend ?? 'auto');
  const loaded = loadPixelModel(join(opts.outDir, 'model'));
  try {
    const ds = withContext(loadPixelDataset(opts.dataDir ?? old.dataset.dir, old.task), contextOf(loaded.topology));
    if (ds.params.size !== loaded.topology.frameSize)
      throw new UserError(
        `the model takes ${loaded.topology.frameSize}x${loaded.topology.frameSize} frames, the dataset has ${ds.params.size}x${ds.params.size}; pass the dataset it was trained on`,
      );
    const frames = opts.frames ?? old.rollout.frames;
    const integrator = opts.integrator ?? old.rollout.integrator;
    const projection = opts.projection ?? old.rollout.projection ?? 'none';
    const r = await evaluatePixelModel(loaded.model, loaded.weights, ds, loaded.topology.loss, { frames, integrator, projection });
    const metrics: PixelMetrics = {
      ...old,
      trainLoss: r.trainTerms.total,
      testLoss: r.testTerms.total,
      trainTerms: r.trainTerms,
      testTerms: r.testTerms,
      ...r.againstTrivial,
      ...r.summary,
      ...(r.dissipation ? { dissipation: r.dissipation } : {}),
      rollout: { frames, integrator, latentMapR2: r.map.r2, latentMap: latentMapKind(r.map), projection },
      versions: packageVersions(),
    };
    writeJsonAtomic(path, metrics);
    return metrics;
  } finally {
    loaded.model.dispose();
  }
}
