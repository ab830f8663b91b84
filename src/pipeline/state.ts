// One state experiment end to end: dataset -> training -> saved model -> metrics.json (+ log, plots).
import { join } from 'node:path';
import { loadStateDataset, STATE_GENERATOR_VERSION, stateTaskOf, writeStateDataset, type StateDataset } from '../../datasets/state.ts';
import { energyEvalConfig, type EnergyEvalSettings } from '../../datasets/energy-eval.ts';
import type { SimulatedEnergyEval, StateTask } from '../tasks/task.ts';
import type { LatentStep } from '../tasks/vocabulary.ts';
import { parseOptions } from '../util/options.ts';
import { VPT_THRESHOLD } from '../eval/pixel.ts';
import { quickEvaluation, QUICK_EVAL_BELOW, stateRunOptionsSchema, type EvaluationSizes, type StateRunOptions } from './options.ts';
import type { z } from 'zod';
import { saveDynamicsModel } from '../../models/storage.ts';
import {
  STATE_DISSIPATION_FORM,
  DISSIPATION_DECAY_SCOPE,
  DISSIPATION_SCHEDULE,
  DISSIPATION_WEIGHT_DECAY,
  type DissipationDecayScope,
  type DissipationForm,
  type DissipationSchedule,
  type ModelKind,
} from '../../models/kinds.ts';
import { fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { againstNoMotion, derivativeErrors, derivativeLoss, type AgainstNoMotion } from '../eval/derivative.ts';
import { energyEvaluation, type EnergyResult } from '../eval/energy.ts';
import { stateDissipation, type DissipationSummary } from '../eval/dissipation.ts';
import type { DissipationOptions } from './dissipation-options.ts';
import { squaredErrorStats, type MeanCi, type MeanSem } from '../eval/stats.ts';
import { describeBackend, initBackend, threadsFor } from '../tf/backend.ts';
import { JsonlLog } from '../train/log.ts';
import { trainStateModel, type StateData, type StateTrainConfig, type StateTrainResult } from '../train/state.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { checkMetricsFinite, metricsHead, type RunMetricsBase } from './metrics.ts';
import { METRICS_FILE, openRunOutput, RUN_DATASET, type RunOutput } from './run-output.ts';
import { stateLossPlot } from './run-log.ts';
import { packageVersions } from '../util/versions.ts';
import { UserError } from '../util/errors.ts';
import { asStateTask, resolveRunTask } from '../../datasets/import-task.ts';
import { isImportTaskName } from '../tasks/imported.ts';
import { finishImportedState, type ImportedStateMetrics } from './import-state.ts';
import { hasDataset } from '../../datasets/format.ts';

type ParsedRunOptions = z.output<typeof stateRunOptionsSchema>;

export type { StateRunOptions } from './options.ts';

/** What a state run returns: metrics of a known system, or (imported data) the import's own metrics. */
export type StateRunResult =
  | { metrics: StateMetrics; weights: NamedWeights; energy: EnergyResult; imported?: undefined }
  | { metrics: ImportedStateMetrics; weights: NamedWeights; energy: null; imported: true };

/** What a state run's metrics.json holds. */
export interface StateMetrics extends RunMetricsBase<string> {
  /**
   * Energy MSE over the trajectories whose true rollout succeeded; `failed`: learned rollouts that
   * stopped early; `truthFailed`: true rollouts that failed (left out), with their reasons.
   */
  energyMse: MeanCi & {
    trajectories: number;
    failed: number;
    truthFailed: number;
    truthFailures: Record<string, number>;
    description: string;
  };
  /**
   * The test loss at the loop's periodic evaluations (after updates i with i % every === 0), for the
   * D-HNN paper's statistic, the mean of the last k (src/eval/statistic.ts); absent in older runs.
   */
  testLossHistory?: { every: number; steps: number[]; testLoss: number[] };
  /** State MSE along the same rollouts. */
  stateMse: MeanCi;
  /** Valid prediction time of the same rollouts, in time units (src/eval/energy.ts). */
  vpt: { mean: number; median: number; perTrajectory: number[]; threshold: number };
  /** The evaluation's sizes and time: 'full' (the task's protocol), 'quick' or the sizes given. */
  evaluation: { mode: string; count: number; rtol: number; atol: number; t1: number; points: number };
  evalSeconds: number;
  /** D-HNN runs: the learned dissipation against the data's friction (src/eval/dissipation.ts) */
  dissipation?: DissipationSummary;
}

/** The training settings a state run uses and records in metrics.json (`protocol`). */
export type StateRunProtocol = StateTask['train'] & {
  dissipationWeightDecay?: number;
  dissipationSchedule?: DissipationSchedule;
  dissipation?: DissipationForm;
  dissipationDecayOn?: DissipationDecayScope;
  /** K > 1: the K-step trajectory loss instead of the derivative loss, with its integrator */
  rolloutSteps?: number;
  rolloutIntegrator?: LatentStep;
};

/**
 * The training settings of a run: the task's protocol with the run's changes (steps, `train`), and
 * for a D-HNN the decay of D (the run's, else the task's, else DISSIPATION_WEIGHT_DECAY) and its
 * form. A finished run is reused only when its recorded protocol equals this (protocolMismatch).
 */
export function stateRunProtocol(
  task: StateTask,
  kind: ModelKind,
  opts: Pick<ParsedRunOptions, 'steps' | 'train' | keyof DissipationOptions>,
): StateRunProtocol {
  return {
    ...task.train,
    ...opts.train,
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.train?.rolloutSteps ? { rolloutIntegrator: opts.train.rolloutIntegrator ?? 'leapfrog' } : {}),
    ...(kind === 'dhnn'
      ? {
          dissipationWeightDecay: opts.dissipationWeightDecay ?? task.dissipationWeightDecay ?? DISSIPATION_WEIGHT_DECAY,
          dissipationSchedule: opts.dissipationSchedule ?? DISSIPATION_SCHEDULE,
          dissipation: opts.dissipationForm ?? STATE_DISSIPATION_FORM,
          dissipationDecayOn: opts.dissipationDecayOn ?? DISSIPATION_DECAY_SCOPE,
        }
      : {}),
  };
}

/**
 * What differs between a finished run's recorded protocol and the one asked for, in words (null
 * when nothing does): every training setting counts, so a run made otherwise is never reused.
 */
export function protocolMismatch(had: Record<string, unknown>, want: StateRunProtocol): string | null {
  const keys = [...new Set([...Object.keys(want), ...Object.keys(had)])].filter((k) => TRAINING_KEYS.includes(k));
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const differ = keys.filter((k) => !same(had[k], (want as Record<string, unknown>)[k]));
  if (differ.length === 0) return null;
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  return differ.map((k) => `${k} ${show(had[k])} (asked: ${show((want as Record<string, unknown>)[k])})`).join(', ');
}

/** The protocol keys that change what a run trains (all of StateRunProtocol's). */
const TRAINING_KEYS = [
  'steps',
  'batchSize',
  'weightDecay',
  'lr',
  'hidden',
  'evalEvery',
  'dissipationWeightDecay',
  'dissipationSchedule',
  'dissipation',
  'dissipationDecayOn',
  'rolloutSteps',
  'rolloutIntegrator',
];

/** Updates between test evaluations of a state run when its protocol sets none. */
export const DEFAULT_EVAL_EVERY = 200;

/** The test loss at the loop's periodic evaluations (the last record is the final model's, kept only when periodic). */
function periodicTestLoss(history: Array<Record<string, number>>, every: number): NonNullable<StateMetrics['testLossHistory']> {
  const at = history.filter((h) => h.step % every === 0 && Number.isFinite(h.testLoss));
  return { every, steps: at.map((h) => h.step), testLoss: at.map((h) => h.testLoss) };
}

/** A dataset's arrays as trainStateModel reads them (no copy). */
export function toStateData(ds: StateDataset): StateData {
  return {
    dim: ds.dim,
    train: { x: ds.trainX, dx: ds.trainDx, t: ds.trainT, rows: ds.trainRows },
    test: { x: ds.testX, dx: ds.testDx, rows: ds.testRows },
  };
}

/**
 * The dataset of a run: the given folder, or one generated into the run's own dataset/ subfolder
 * (a complete one left there by an interrupted run is reused when it was made the same way).
 */
function runDataset(task: StateTask, opts: ParsedRunOptions, work: string): { dataset: StateDataset; dir: string } {
  if (opts.dataDir) return { dataset: loadStateDataset(opts.dataDir, task), dir: opts.dataDir };
  const dir = join(work, RUN_DATASET);
  const sameOverrides = (p: Record<string, unknown>) =>
    Object.entries(opts.dataOverrides ?? {}).every(([k, v]) => v === undefined || p[k] === v);
  if (hasDataset(dir)) {
    const left = loadStateDataset(dir, task);
    if (left.seed === opts.seed && left.params.generatorVersion === STATE_GENERATOR_VERSION && sameOverrides(left.params))
      return { dataset: left, dir };
  }
  return { dataset: writeStateDataset(dir, task, opts.seed, opts.dataOverrides, { force: true, command: 'hnn train' }).dataset, dir };
}

/**
 * Trains one model on one task and writes everything to opts.outDir; metrics.json is written last,
 * and only when every number in it is finite and the evaluation was not refused (then the run is
 * left unfinished). Options are validated first (UserError with a "did you mean" for a typo).
 */
export async function runStateExperiment(options: StateRunOptions): Promise<StateRunResult> {
  const opts = parseOptions(stateRunOptionsSchema, options, 'runStateExperiment options');
  // an import task by name takes its shape from its dataset
  const task =
    typeof opts.task === 'string' && isImportTaskName(opts.task)
      ? asStateTask(resolveRunTask(opts.task, opts.dataDir))
      : stateTaskOf(opts.task);
  if (task.data.source === 'imported' && opts.kind === 'dhnn')
    throw new UserError(
      'the D-HNN is not evaluated on imported states (its friction metric needs a known system); train --model hnn or baseline',
    );
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

/** The evaluation a run does: its mode and the energy protocol's sizes (see evaluationSchema). */
export function evaluationOf(
  task: StateTask,
  steps: number,
  asked?: EvaluationSizes,
): { mode: string; sizes: Partial<SimulatedEnergyEval> } {
  const mode = asked ?? (steps < QUICK_EVAL_BELOW ? 'quick' : 'full');
  if (mode === 'full' || task.data.source === 'measured') return { mode: 'full', sizes: {} };
  if (mode === 'quick') return { mode: 'quick', sizes: quickEvaluation(steps) };
  return { mode: 'custom', sizes: mode };
}

async function runStateIn(task: StateTask, out: RunOutput, opts: ParsedRunOptions): Promise<StateRunResult> {
  if (!opts.quiet) for (const n of out.notes) process.stderr.write(`${n}\n`);
  const protocol = stateRunProtocol(task, opts.kind, opts);
  const { dataset, dir: workDataDir } = runDataset(task, opts, out.work);
  const dataDir = out.final(workDataDir);
  const backend = await initBackend(opts.backend ?? 'auto');
  const threads = opts.threads ?? threadsFor(1);
  if (!opts.quiet) process.stderr.write(`${describeBackend(backend, threads)}\n`);
  const log = new JsonlLog(join(out.work, 'log.jsonl'));
  log.write({ event: 'start', task: task.name, model: opts.kind, seed: opts.seed, protocol, backend: backend.name, dataDir });

  const data = toStateData(dataset);
  const trained = await trainStateModel(stateTrainConfig(opts, protocol, threads), data, {
    log,
    quiet: opts.quiet,
    label: `${task.name} ${opts.kind}`,
  });
  const weights = trained.model.read();
  const metadata = { task: task.name, seed: opts.seed, steps: protocol.steps, backend: backend.name, dataset: dataDir };
  await saveDynamicsModel(join(out.work, 'model'), trained.model, metadata);

  const evalStart = performance.now();
  const trainLoss = derivativeLoss(trained.model, data.train, data.dim);
  const testErrors = derivativeErrors(trained.model, data.test, data.dim);
  const testLoss = squaredErrorStats(testErrors, data.test.rows);
  const noMotion = againstNoMotion(testErrors, data.test, data.dim);
  trained.model.dispose();
  if (task.data.source === 'imported') {
    const common = { task, kind: opts.kind, seed: opts.seed, protocol, dataset, dataDir, backend: backend.name, weights };
    const run = { ...common, trainLoss, testLoss, noMotion, trained, work: out.work, log, plots: opts.plots !== false };
    return { metrics: await finishImportedState(run), weights, energy: null, imported: true };
  }
  const evaluation = evaluationOf(task, protocol.steps, opts.evaluation);
  const settings = energyEvalConfig(task, 0, evaluation.sizes);
  const energy = energyEvaluation(task, fieldFunction(opts.kind, weights), settings);
  const dissipation = opts.kind === 'dhnn' ? stateDissipation(task, weights, energy, dataset.testX) : undefined;
  const metrics = stateMetricsOf(
    { task, opts, protocol, backend: backend.name, dataset, dataDir, trained, trainLoss, testLoss, noMotion },
    {
      energy,
      evaluation: { mode: evaluation.mode, settings, seconds: (performance.now() - evalStart) / 1000 },
      dissipation,
    },
  );
  log.write({ event: 'done', trainLoss, testLoss, energyMse: metrics.energyMse, dissipation, trainSeconds: trained.seconds });
  if (opts.plots !== false) await stateLossPlot(join(out.work, 'plots', 'loss.png'), `${task.name} ${opts.kind}`, trained.history);
  checkMetricsFinite(metrics);
  writeJsonAtomic(join(out.work, METRICS_FILE), metrics);
  return { metrics, weights, energy };
}

/** trainStateModel's configuration for a run: its protocol, with the D-HNN's and the trajectory loss's settings when set. */
function stateTrainConfig(opts: ParsedRunOptions, protocol: StateRunProtocol, threads: number): StateTrainConfig {
  const { steps, batchSize, weightDecay, lr, hidden, dissipationWeightDecay, dissipationSchedule, dissipation, dissipationDecayOn } =
    protocol;
  return {
    kind: opts.kind,
    seed: opts.seed,
    logEvery: protocol.evalEvery ?? DEFAULT_EVAL_EVERY,
    steps,
    batchSize,
    weightDecay,
    lr,
    hidden,
    threads,
    ...(protocol.rolloutSteps ? { rolloutSteps: protocol.rolloutSteps, rolloutIntegrator: protocol.rolloutIntegrator ?? 'leapfrog' } : {}),
    ...(dissipationWeightDecay !== undefined ? { dissipationWeightDecay } : {}),
    ...(dissipationSchedule !== undefined ? { dissipationSchedule } : {}),
    ...(dissipation !== undefined ? { dissipationForm: dissipation } : {}),
    ...(dissipationDecayOn !== undefined ? { dissipationDecayOn } : {}),
  };
}

/** What a state run trained and measured, as metrics.json records it. */
function stateMetricsOf(
  run: {
    task: StateTask;
    opts: ParsedRunOptions;
    protocol: StateRunProtocol;
    backend: string;
    dataset: StateDataset;
    dataDir: string;
    trained: StateTrainResult;
    trainLoss: MeanSem;
    testLoss: MeanSem;
    noMotion: AgainstNoMotion;
  },
  e: {
    energy: EnergyResult;
    evaluation: { mode: string; settings: EnergyEvalSettings; seconds: number };
    dissipation: DissipationSummary | undefined;
  },
): StateMetrics {
  const { task, opts, protocol, dataset, trained } = run;
  const { settings } = e.evaluation;
  return {
    ...metricsHead(task.name, opts.kind, opts.seed, protocol.steps, run.backend),
    training: {
      engine: trained.engine,
      threads: trained.threads,
      batchRows: trained.batchRows,
      ...(trained.dissipationGate ? { dissipationGate: trained.dissipationGate } : {}),
    },
    protocol,
    dataset: { dir: run.dataDir, seed: dataset.seed, trainRows: dataset.trainRows, testRows: dataset.testRows },
    trainLoss: run.trainLoss,
    testLoss: run.testLoss,
    againstNoMotion: run.noMotion,
    testLossHistory: periodicTestLoss(trained.history, protocol.evalEvery ?? DEFAULT_EVAL_EVERY),
    ...energyMetrics(e.energy),
    evaluation: {
      mode: e.evaluation.mode,
      count: settings.initialStates.length,
      rtol: settings.rtol,
      atol: settings.atol,
      t1: settings.t1,
      points: settings.points,
    },
    evalSeconds: e.evaluation.seconds,
    ...(e.dissipation ? { dissipation: e.dissipation } : {}),
    trainSeconds: trained.seconds,
    msPerStep: trained.msPerStep,
    versions: packageVersions(),
  };
}

/** The energy MSE, state MSE and VPT of a run's rollouts, as metrics.json records them. */
function energyMetrics(energy: EnergyResult): Pick<StateMetrics, 'energyMse' | 'stateMse' | 'vpt'> {
  return {
    energyMse: {
      mean: energy.mean,
      ci: energy.ci,
      trajectories: energy.perTrajectory.length - energy.truthFailed,
      failed: energy.failed,
      truthFailed: energy.truthFailed,
      truthFailures: energy.truthFailures,
      description: energy.description,
    },
    stateMse: energy.stateMse,
    vpt: { mean: energy.vptMean, median: energy.vptMedian, perTrajectory: energy.vpt, threshold: VPT_THRESHOLD },
  };
}
