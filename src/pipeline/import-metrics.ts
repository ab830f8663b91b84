// metrics.json of a pixel run on an imported dataset: the losses, VPT and pixel MSE along rollouts
// from the held-out trials, and the learned H's drift along the model's own rollouts. It holds no
// energyMse: the data have no known energy (docs/IMPORT.md).
import type { ModelKind } from '../../models/kinds.ts';
import type { LearnedEnergyDrift, ImportedPixelSummary } from '../eval/imported.ts';
import type { RolloutIntegrator } from '../eval/integrators.ts';
import type { RolloutProjection } from '../eval/integrators.ts';
import type { TermStats } from '../eval/pixel-evaluation.ts';
import type { PixelTrainConfig } from '../train/pixel.ts';
import { join } from 'node:path';
import type { PixelModel } from '../../models/pixel.ts';
import { savePixelModel } from '../../models/storage.ts';
import type { JsonlLog } from '../train/log.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { evaluateImportedPixelModel, type ImportedPixelEvaluation } from './import-pixel.ts';
import { checkMetricsFinite, metricsHead } from './metrics.ts';
import { METRICS_FILE } from './run-output.ts';
import type { PixelDataset } from '../../datasets/pixel-load.ts';
import type { RunMetricsBase } from './metrics.ts';

export interface ImportedPixelMetrics extends RunMetricsBase<string>, ImportedPixelSummary {
  dataset: RunMetricsBase<string>['dataset'] & { frameSize: number; engine: string; source: unknown };
  trainTerms: TermStats;
  testTerms: TermStats;
  rollout: { frames: number; integrator: RolloutIntegrator; projection: RolloutProjection };
  /** null for the baseline, which learns no H */
  learnedEnergyDrift: LearnedEnergyDrift | null;
  resumedFrom: number | null;
}

export interface ImportedMetricsInput {
  /** the run's folder while it is written */
  work?: string;
  kind: ModelKind;
  seed: number;
  cfg: PixelTrainConfig;
  protocol: Record<string, unknown>;
  ds: PixelDataset;
  dataDir: string;
  backend: string;
  trained: { totalSeconds: number; msPerStep: number; startStep: number };
  resumed: boolean;
  rollout: ImportedPixelMetrics['rollout'];
  result: ImportedPixelEvaluation;
}

/**
 * The end of a pixel run on imported data: evaluation (src/pipeline/import-pixel.ts), the saved
 * model, the loss plot (`plot`), and metrics.json, written last after its headline numbers are
 * checked to be finite.
 */
export async function finishImportedPixelRun(
  model: PixelModel,
  modelDir: string,
  i: Omit<ImportedMetricsInput, 'result'> & { log: JsonlLog; plot: () => Promise<void>; work: string },
): Promise<ImportedPixelMetrics> {
  const result = evaluateImportedPixelModel(model, model.read(), i.ds, i.cfg.loss, i.rollout);
  const meta = { task: i.ds.task.name, seed: i.seed, steps: i.cfg.steps, backend: i.backend, dataset: i.dataDir };
  await savePixelModel(modelDir, model, i.cfg.loss, meta);
  model.dispose();
  const metrics = importedPixelMetrics({ ...i, result });
  i.log.write({
    event: 'done',
    trainLoss: metrics.trainLoss,
    testLoss: metrics.testLoss,
    vptMedian: metrics.vptMedian,
    trainSeconds: i.trained.totalSeconds,
  });
  await i.plot();
  checkMetricsFinite(metrics, ['trainLoss.mean', 'testLoss.mean', 'pixelMse.mean', 'vptMedian']);
  writeJsonAtomic(join(i.work, METRICS_FILE), metrics);
  return metrics;
}

export function importedPixelMetrics(i: ImportedMetricsInput): ImportedPixelMetrics {
  const r = i.result;
  return {
    ...metricsHead(i.ds.task.name, i.kind, i.seed, i.cfg.steps, i.backend),
    protocol: i.protocol,
    dataset: {
      dir: i.dataDir,
      seed: i.ds.manifest.seed,
      trainRows: i.ds.data.train.rows,
      testRows: i.ds.data.test.rows,
      frameSize: i.ds.params.size,
      engine: i.ds.params.engine,
      source: i.ds.manifest.params.source,
    },
    trainLoss: r.trainTerms.total,
    testLoss: r.testTerms.total,
    trainTerms: r.trainTerms,
    testTerms: r.testTerms,
    ...r.againstTrivial,
    ...r.summary,
    learnedEnergyDrift: r.learnedEnergyDrift,
    rollout: i.rollout,
    trainSeconds: i.trained.totalSeconds,
    msPerStep: i.trained.msPerStep,
    resumedFrom: i.resumed ? i.trained.startStep : null,
    versions: packageVersions(),
  };
}
