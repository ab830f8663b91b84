// The end of a state run on imported trajectories (hnn import states): the evaluation of
// src/eval/imported-state.ts in place of the energy metric of a known system, and its metrics.json
// (energyMse only where the dataset holds an energy expression; docs/IMPORT.md).
import { join } from 'node:path';
import type { StateDataset } from '../../datasets/state.ts';
import { fieldFunction, hamiltonianFunction } from '../../models/f64.ts';
import type { ModelKind } from '../../models/kinds.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { evaluateImportedState, type ImportedStateEvaluation } from '../eval/imported-state.ts';
import type { MeanSem } from '../eval/stats.ts';
import type { AgainstNoMotion } from '../eval/derivative.ts';
import type { StateTask } from '../tasks/task.ts';
import type { JsonlLog } from '../train/log.ts';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { checkMetricsFinite, metricsHead } from './metrics.ts';
import { METRICS_FILE } from './run-output.ts';
import { stateLossPlot } from './run-log.ts';
import type { RunMetricsBase } from './metrics.ts';

export interface ImportedStateMetrics extends RunMetricsBase<string> {
  dataset: RunMetricsBase<string>['dataset'] & { source: unknown };
  rollouts: ImportedStateEvaluation['rollouts'];
  learnedEnergyDrift: ImportedStateEvaluation['learnedEnergyDrift'];
  /** present only where the dataset holds an energy expression */
  energyMse?: NonNullable<ImportedStateEvaluation['energyMse']>;
}

export interface ImportedStateRun {
  task: StateTask;
  kind: ModelKind;
  seed: number;
  protocol: Record<string, unknown> & { steps: number };
  dataset: StateDataset & { testTrial?: Float64Array };
  dataDir: string;
  backend: string;
  weights: NamedWeights;
  trainLoss: MeanSem;
  testLoss: MeanSem;
  noMotion: AgainstNoMotion;
  trained: { seconds: number; msPerStep: number; history: Array<Record<string, number>> };
  work: string;
  log: JsonlLog;
  plots: boolean;
}

/** Evaluates, plots and writes metrics.json of a state run on imported data. */
export async function finishImportedState(r: ImportedStateRun): Promise<ImportedStateMetrics> {
  const ds = r.dataset;
  if (!ds.testTrial) throw new UserError(`dataset ${r.dataDir} lacks its testTrial array; import it again with \`hnn import states\``);
  const hasEnergy = (ds.params.energy ?? null) !== null;
  const evaluation = evaluateImportedState(
    { dim: ds.dim, testX: ds.testX, testT: ds.testT, testTrial: ds.testTrial },
    fieldFunction(r.kind, r.weights),
    r.kind === 'hnn' ? hamiltonianFunction(r.weights, 'hnn') : null,
    hasEnergy ? (x) => r.task.system.energy(x) : null,
  );
  const metrics: ImportedStateMetrics = {
    ...metricsHead(r.task.name, r.kind, r.seed, r.protocol.steps, r.backend),
    protocol: r.protocol,
    dataset: { dir: r.dataDir, seed: ds.seed, trainRows: ds.trainRows, testRows: ds.testRows, source: ds.params.source },
    trainLoss: r.trainLoss,
    testLoss: r.testLoss,
    againstNoMotion: r.noMotion,
    rollouts: evaluation.rollouts,
    learnedEnergyDrift: evaluation.learnedEnergyDrift,
    ...(evaluation.energyMse ? { energyMse: evaluation.energyMse } : {}),
    trainSeconds: r.trained.seconds,
    msPerStep: r.trained.msPerStep,
    versions: packageVersions(),
  };
  r.log.write({
    event: 'done',
    trainLoss: r.trainLoss,
    testLoss: r.testLoss,
    rollouts: evaluation.rollouts.stateMse.mean,
    trainSeconds: r.trained.seconds,
  });
  if (r.plots) await stateLossPlot(join(r.work, 'plots', 'loss.png'), `${r.task.name} ${r.kind}`, r.trained.history);
  checkMetricsFinite(metrics, ['trainLoss.mean', 'testLoss.mean', 'rollouts.stateMse.mean', ...(hasEnergy ? ['energyMse.mean'] : [])]);
  writeJsonAtomic(join(r.work, METRICS_FILE), metrics);
  return metrics;
}
