// One state experiment end to end: dataset -> training -> saved model -> metrics.json (+ log, plots).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadStateDataset,
  STATE_GENERATOR_VERSION,
  stateTaskOf,
  writeStateDataset,
  type StateDataset,
  type StateOverrides,
  type TaskRef,
} from '../../datasets/state.ts';
import type { StateTask } from '../tasks/task.ts';
import { saveDynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { DISSIPATION_FORM, DISSIPATION_WEIGHT_DECAY } from '../../models/kinds.ts';
import { fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { derivativeLoss } from '../eval/derivative.ts';
import { energyEvaluation, type EnergyResult } from '../eval/energy.ts';
import { stateDissipation, type DissipationSummary } from '../eval/dissipation.ts';
import type { MeanCi, MeanSem } from '../eval/stats.ts';
import { linePlot } from '../media/plot.ts';
import { describeBackend, initBackend } from '../tf/backend.ts';
import { JsonlLog } from '../train/log.ts';
import { trainStateModel, type StateData } from '../train/state.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { checkMetricsFinite } from './metrics.ts';
import { METRICS_FILE, openRunOutput, RUN_DATASET, type RunOutput } from './run-output.ts';
import { packageVersions } from '../util/versions.ts';

export interface StateRunOptions {
  /** a task of the registry by name, or a task record (e.g. a user's own system) */
  task: TaskRef;
  kind: ModelKind;
  seed: number;
  /** defaults to the task's protocol */
  steps?: number;
  /** an existing dataset folder; default: generate one into <out>/dataset */
  dataDir?: string;
  /** changes to the dataset protocol when generating (reduced runs); recorded in the manifest */
  dataOverrides?: StateOverrides;
  /** D-HNN: the weight decay of D (default the task's, else DISSIPATION_WEIGHT_DECAY, models/kinds.ts) */
  dissipationWeightDecay?: number;
  outDir: string;
  backend?: string;
  /** Intra-op threads of the training engine (sweeps fix it per run: a run is deterministic for an engine and thread count; the tfjs backends run one). */
  threads?: number;
  force?: boolean;
  quiet?: boolean;
  plots?: boolean;
}

/** What every metrics.json starts with, state or pixel. */
export interface RunMetricsBase<Task extends string> {
  task: Task;
  model: ModelKind;
  seed: number;
  steps: number;
  updates: number;
  backend: string;
  protocol: Record<string, unknown>;
  dataset: { dir: string; seed: number; trainRows: number; testRows: number };
  /** mean, std/sqrt(rows) */
  trainLoss: MeanSem;
  testLoss: MeanSem;
  trainSeconds: number;
  msPerStep: number;
  versions: Record<string, string | null>;
}

export interface StateMetrics extends RunMetricsBase<string> {
  energyMse: MeanCi & { trajectories: number; failed: number; description: string };
  /** D-HNN runs: the learned dissipation against the data's friction (src/eval/dissipation.ts) */
  dissipation?: DissipationSummary;
}

export function toStateData(ds: StateDataset): StateData {
  return {
    dim: ds.dim,
    train: { x: ds.trainX, dx: ds.trainDx, rows: ds.trainRows },
    test: { x: ds.testX, dx: ds.testDx, rows: ds.testRows },
  };
}

/**
 * The dataset of a run: the given folder, or one generated into the run's own dataset/ subfolder
 * (a complete one left there by an interrupted run is reused when it was made the same way).
 */
function runDataset(task: StateTask, opts: StateRunOptions, work: string): { dataset: StateDataset; dir: string } {
  if (opts.dataDir) return { dataset: loadStateDataset(opts.dataDir, task), dir: opts.dataDir };
  const dir = join(work, RUN_DATASET);
  const sameOverrides = (p: Record<string, unknown>) =>
    Object.entries(opts.dataOverrides ?? {}).every(([k, v]) => v === undefined || p[k] === v);
  if (existsSync(join(dir, 'manifest.json'))) {
    const left = loadStateDataset(dir, task);
    if (left.seed === opts.seed && left.params.generatorVersion === STATE_GENERATOR_VERSION && sameOverrides(left.params))
      return { dataset: left, dir };
  }
  return { dataset: writeStateDataset(dir, task, opts.seed, opts.dataOverrides, { force: true, command: 'hnn train' }).dataset, dir };
}

/** Trains one model on one task and writes everything to opts.outDir; metrics.json is written last. */
export async function runStateExperiment(
  opts: StateRunOptions,
): Promise<{ metrics: StateMetrics; weights: NamedWeights; energy: EnergyResult }> {
  const task = stateTaskOf(opts.task);
  const out = openRunOutput(opts.outDir, {
    force: opts.force,
    command: `hnn train --task ${task.name} --model ${opts.kind}`,
    info: { task: task.name, model: opts.kind, seed: opts.seed },
  });
  try {
    const result = await runStateIn(task, out, opts);
    out.publish();
    return result;
  } finally {
    out.release();
  }
}

async function runStateIn(
  task: StateTask,
  out: RunOutput,
  opts: StateRunOptions,
): Promise<{ metrics: StateMetrics; weights: NamedWeights; energy: EnergyResult }> {
  if (!opts.quiet) for (const n of out.notes) process.stderr.write(`${n}\n`);
  const protocol = {
    ...task.train,
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    // the D-HNN's D: a stronger decay than H's (models/kinds.ts); recorded with the protocol
    ...(opts.kind === 'dhnn'
      ? {
          dissipationWeightDecay: opts.dissipationWeightDecay ?? task.dissipationWeightDecay ?? DISSIPATION_WEIGHT_DECAY,
          ...DISSIPATION_FORM,
        }
      : {}),
  };
  const { dataset, dir: workDataDir } = runDataset(task, opts, out.work);
  const dataDir = out.final(workDataDir);
  const backend = await initBackend(opts.backend ?? 'auto');
  if (!opts.quiet) process.stderr.write(`${describeBackend(backend)}\n`);
  const log = new JsonlLog(join(out.work, 'log.jsonl'));
  log.write({ event: 'start', task: task.name, model: opts.kind, seed: opts.seed, protocol, backend: backend.name, dataDir });

  const data = toStateData(dataset);
  const trained = await trainStateModel({ kind: opts.kind, seed: opts.seed, logEvery: 200, ...protocol }, data, {
    log,
    quiet: opts.quiet,
    label: `${task.name} ${opts.kind}`,
  });
  const weights = trained.model.read();
  const metadata = { task: task.name, seed: opts.seed, steps: protocol.steps, backend: backend.name, dataset: dataDir };
  await saveDynamicsModel(join(out.work, 'model'), trained.model, metadata);

  const trainLoss = derivativeLoss(trained.model, data.train, data.dim);
  const testLoss = derivativeLoss(trained.model, data.test, data.dim);
  trained.model.dispose();
  const energy = energyEvaluation(task, fieldFunction(opts.kind, weights));
  const dissipation = opts.kind === 'dhnn' ? stateDissipation(task, weights, energy, dataset.testX) : undefined;

  const metrics: StateMetrics = {
    task: task.name,
    model: opts.kind,
    seed: opts.seed,
    steps: protocol.steps,
    updates: protocol.steps + 1,
    backend: backend.name,
    protocol,
    dataset: { dir: dataDir, seed: dataset.seed, trainRows: dataset.trainRows, testRows: dataset.testRows },
    trainLoss,
    testLoss,
    energyMse: {
      mean: energy.mean,
      ci: energy.ci,
      trajectories: energy.perTrajectory.length,
      failed: energy.failed,
      description: energy.description,
    },
    ...(dissipation ? { dissipation } : {}),
    trainSeconds: trained.seconds,
    msPerStep: trained.msPerStep,
    versions: packageVersions(),
  };
  log.write({ event: 'done', trainLoss, testLoss, energyMse: metrics.energyMse, dissipation, trainSeconds: trained.seconds });
  if (opts.plots !== false) {
    await linePlot(join(out.work, 'plots', 'loss.png'), {
      title: `${task.name} ${opts.kind}: training curve`,
      xLabel: 'step',
      yLabel: 'loss (MSE of dx/dt)',
      logY: true,
      series: [
        { name: 'train (batch)', x: trained.history.map((h) => h.step), y: trained.history.map((h) => h.loss) },
        { name: 'test', x: trained.history.map((h) => h.step), y: trained.history.map((h) => h.testLoss) },
      ],
    });
  }
  checkMetricsFinite(metrics);
  writeJsonAtomic(join(out.work, METRICS_FILE), metrics);
  return { metrics, weights, energy };
}
