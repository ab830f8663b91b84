// One pixel experiment end to end, for any pixel task: dataset folder -> joint training
// (checkpoints, resume) -> saved model -> losses, pixel energy MSE, VPT, period -> metrics.json
// (written last) + log + loss plot.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetChecksum, hasDataset, readManifest } from '../../datasets/format.ts';
import { generatePixelDataset, manifestPixelTask, outdatedDataset, pixelTaskOf, type PixelTaskRef } from '../../datasets/pixel.ts';
import { contextOf, type PixelEncoder, type PixelLossConfig } from '../../models/pixel.ts';
import { savePixelModel } from '../../models/storage.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { latentMapKind, type LatentMap, type PixelRollout, type RolloutIntegrator } from '../eval/pixel.ts';
import { defaultRolloutIntegrator, taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import { describeBackend, initBackend, threadsFor } from '../tf/backend.ts';
import { JsonlLog } from '../train/log.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import {
  checkCheckpointDataset,
  pixelTrainConfig,
  removeCheckpoint,
  trainPixelModel,
  type PixelTrainConfig,
  type PixelTrainResult,
} from '../train/pixel.ts';
import type { PixelTask } from '../tasks/task.ts';
import { pixelTrainProtocolSchema } from '../tasks/schema.ts';
import { parseOptions } from '../util/options.ts';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { checkMetricsFinite, metricsHead } from './metrics.ts';
import { CHECKPOINT_FILE, METRICS_FILE, openRunOutput, RUN_DATASET, type RunOutput } from './run-output.ts';
import { packageVersions } from '../util/versions.ts';
import { finishImportedPixelRun, type ImportedPixelMetrics } from './import-metrics.ts';
import { asPixelTask, resolveRunTask } from '../../datasets/import-task.ts';
import { isImportTaskName } from '../tasks/imported.ts';
import { loadPixelDataset, withContext, type PixelDataset } from '../../datasets/pixel-load.ts';
import { pixelProtocol, type PixelMetrics } from './pixel-metrics.ts';
import { evaluatePixelModel, type PixelEvaluation, type RolloutSettings } from '../eval/pixel-evaluation.ts';
import { lossCurvePlot } from './run-log.ts';
export type { PixelMetrics } from './pixel-metrics.ts';
export { CHECKPOINT_FILE } from './run-output.ts';

/** Rows of the test split a pixel run evaluates at each log point, for its curve (its final metrics use every row). */
export const CURVE_TEST_ROWS = 1000;

/** The training settings a pixel run may change (the rest are the task protocol's). */
const pixelTrainOverridesSchema = pixelTrainProtocolSchema.pick({ lr: true, batchSize: true, weightDecay: true, hidden: true }).partial();

/** The keys of `o` among `keys` whose values are defined. */
function pickDefined<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export interface PixelRunOptions {
  /** The pixel task (by name, or a record); default: the dataset's. */
  task?: PixelTaskRef;
  kind: ModelKind;
  seed: number;
  /** default: the protocol's 10000 */
  steps?: number;
  /** The dataset folder; default: generate one (seed = the run seed) into <out>/dataset. */
  dataDir?: string;
  outDir: string;
  backend?: string;
  /** ONNX Runtime's intra-op threads (default: every core; a run beside others gets its share) */
  threads?: number;
  force?: boolean;
  resume?: boolean;
  quiet?: boolean;
  /** Loss weights and latent-step integrator (default: the task protocol, docs/PROTOCOLS.md). */
  loss?: Partial<PixelLossConfig>;
  /** Weight decay of the latent dynamics model (default: latentWeightDecay's rule, 1e-6 under the protocol). */
  dynamicsWeightDecay?: number;
  /**
   * Training settings instead of the task protocol's (validated by pixelTrainProtocolSchema; hidden:
   * the autoencoder's width). Recorded in metrics.json and the checkpoint: a resume with others is refused.
   */
  train?: { lr?: number; batchSize?: number; weightDecay?: number; hidden?: number };
  /** The paper's one-step latent loss instead of the task's default rollout loss (`hnn reproduce` of the paper's table). */
  paperProtocol?: boolean;
  /** The autoencoder (default: the paper's MLP) and the frames per input row (default 2). */
  encoder?: PixelEncoder;
  context?: number;
  /** Rollout frames for VPT and energy (default: the task's). */
  frames?: number;
  /** Default: defaultRolloutIntegrator of the latent step (the model's own leapfrog step, else RK45). */
  integrator?: RolloutIntegrator;
  /** Default: the task's (taskProjection). */
  projection?: RolloutProjection;
  /** Updates between checkpoints (default 250). */
  checkpointEvery?: number;
  /** Tests: stop after this many updates, leaving a checkpoint (no evaluation). */
  stopAfter?: number;
}

export interface PixelRunResult {
  metrics: PixelMetrics | null;
  /** A finished run on an imported dataset (its metrics have no energy; docs/IMPORT.md). */
  importedMetrics?: ImportedPixelMetrics;
  outDir: string;
  modelDir: string;
  /** Rollouts of the energy trials (trial 0 first), for plots. */
  rollouts: PixelRollout[];
  map: LatentMap | null;
}

/**
 * The dataset of a pixel run: the given folder, or one generated into the run's own dataset/
 * subfolder (a complete one left there by an interrupted run with the same seed is reused).
 */
async function pixelRunDataset(task: PixelTask, opts: PixelRunOptions, work: string): Promise<string> {
  if (opts.dataDir) return opts.dataDir;
  const dir = join(work, RUN_DATASET);
  if (hasDataset(dir)) {
    const m = readManifest(dir);
    if (m.kind === task.name && m.seed === opts.seed && !outdatedDataset(m)) return dir;
  }
  await generatePixelDataset(task, { out: dir, seed: opts.seed, quiet: opts.quiet, force: true });
  return dir;
}

/** The run's task: the one asked for, else the dataset's. */
function runTask(opts: PixelRunOptions): PixelTask {
  // an import task by name takes its shape from its dataset
  if (typeof opts.task === 'string' && isImportTaskName(opts.task)) return asPixelTask(resolveRunTask(opts.task, opts.dataDir));
  if (opts.task !== undefined) return pixelTaskOf(opts.task);
  if (!opts.dataDir) throw new UserError('a pixel run needs its task (--task) or a dataset (--data)');
  if (!existsSync(opts.dataDir)) throw new UserError(`dataset folder not found: ${opts.dataDir}; create it with \`hnn generate\``);
  return manifestPixelTask(readManifest(opts.dataDir));
}

/** Trains one pixel model and writes everything to opts.outDir; metrics.json is written last. */
export async function runPixelExperiment(opts: PixelRunOptions): Promise<PixelRunResult> {
  const task = runTask(opts);
  const out = openRunOutput(opts.outDir, {
    force: opts.force,
    resume: opts.resume,
    command: `hnn train --task ${task.name} --model ${opts.kind}`,
    info: { task: task.name, model: opts.kind, seed: opts.seed },
  });
  try {
    const r = await runPixelIn(task, out, opts);
    if (r.metrics || r.importedMetrics) out.publish();
    return { ...r, outDir: out.dir, modelDir: join(out.dir, 'model') };
  } finally {
    out.release();
  }
}

type RunResult = Omit<PixelRunResult, 'outDir' | 'modelDir'>;

/** What a run's stages share: its task, options, output folder, dataset and engine. */
interface RunContext {
  task: PixelTask;
  opts: PixelRunOptions;
  out: RunOutput;
  ckpt: string;
  logPath: string;
  dataDir: string;
  datasetId: string;
  backend: string;
}

/** A run's finished training: its configuration, the dataset it read, the trained model and the run's log. */
interface TrainedRun {
  cfg: PixelTrainConfig;
  ds: PixelDataset;
  trained: PixelTrainResult;
  log: JsonlLog;
}

async function runPixelIn(task: PixelTask, out: RunOutput, opts: PixelRunOptions): Promise<RunResult> {
  if (!opts.quiet) for (const n of out.notes) process.stderr.write(`${n}\n`);
  const ckpt = join(out.work, CHECKPOINT_FILE);
  const workDataDir = await pixelRunDataset(task, opts, out.work);
  const dataDir = resolve(out.final(workDataDir));
  const pairs = loadPixelDataset(workDataDir, task);
  const datasetId = datasetChecksum(workDataDir);
  // a resume on other data is refused before anything else is said or loaded
  if (out.resume) checkCheckpointDataset(ckpt, loadCheckpoint(ckpt).meta, datasetId, dataDir);
  const backend = await initBackend(opts.backend ?? 'auto');
  const threads = opts.threads ?? threadsFor(1);
  if (!opts.quiet) process.stderr.write(`${describeBackend(backend, threads)}\n`);
  const cfg = pixelRunConfig(task, opts, pairs, threads);
  const ds = withContext(pairs, contextOf(cfg.spec));
  const run: RunContext = { task, opts, out, ckpt, logPath: join(out.work, 'log.jsonl'), dataDir, datasetId, backend: backend.name };
  const log = new JsonlLog(run.logPath);
  if (!out.resume)
    log.write({ event: 'start', task: task.name, model: opts.kind, seed: opts.seed, config: cfg, backend: backend.name, dataDir });
  const trained = await trainPixelModel(cfg, ds.data, {
    log,
    quiet: opts.quiet,
    label: `pixel ${opts.kind}`,
    checkpointPath: ckpt,
    resume: out.resume,
    datasetId,
    datasetDir: dataDir,
    stopAfter: opts.stopAfter,
    evalRows: Math.min(CURVE_TEST_ROWS, ds.data.test.rows),
  });
  if (!trained.finished) {
    trained.model.dispose();
    return { metrics: null, rollouts: [], map: null };
  }
  const t: TrainedRun = { cfg, ds, trained, log };
  return task.imported ? finishImportedRun(run, t) : finishRun(run, t);
}

/** The run's training configuration: the task's protocol with the run's options, checked against the dataset. */
function pixelRunConfig(task: PixelTask, opts: PixelRunOptions, pairs: PixelDataset, threads: number): PixelTrainConfig {
  const overrides = pickDefined(parseOptions(pixelTrainOverridesSchema, opts.train ?? {}, 'pixel run train options'), [
    'lr',
    'batchSize',
    'weightDecay',
  ]);
  const given = {
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.checkpointEvery !== undefined ? { checkpointEvery: opts.checkpointEvery } : {}),
    ...(opts.dynamicsWeightDecay !== undefined ? { dynamicsWeightDecay: opts.dynamicsWeightDecay } : {}),
  };
  const cfg = pixelTrainConfig(task, opts.kind, opts.seed, pairs.params.size, { ...given, threads, ...overrides }, opts.paperProtocol);
  if (opts.train?.hidden !== undefined) cfg.spec = { ...cfg.spec, hidden: opts.train.hidden };
  if (pairs.params.channels !== 1) cfg.spec = { ...cfg.spec, channels: pairs.params.channels };
  if (opts.encoder !== undefined) cfg.spec = { ...cfg.spec, encoder: opts.encoder };
  if (opts.context !== undefined) {
    if (!Number.isInteger(opts.context) || opts.context < 2 || opts.context > pairs.perTrial)
      throw new UserError(
        `--context must be an integer from 2 to ${pairs.perTrial} (the frames of a trial less three), got ${opts.context}`,
      );
    cfg.spec = { ...cfg.spec, context: opts.context };
  }
  if (cfg.spec.encoder === 'conv' && pairs.params.size % 4 !== 0)
    throw new UserError(
      `--encoder conv needs a frame size that is a multiple of 4, but the dataset's frames are ${pairs.params.size}; generate one with --size 28 or 32`,
    );
  cfg.loss = { ...cfg.loss, ...(opts.loss ?? {}) };
  if (!(Number.isInteger(cfg.steps) && cfg.steps >= 0)) throw new UserError(`steps must be a non-negative integer, got ${cfg.steps}`);
  return cfg;
}

/** How the run's rollouts are made: the options, else the task's and the latent step's defaults. */
function rolloutSettings(run: RunContext, cfg: PixelTrainConfig): RolloutSettings {
  return {
    frames: run.opts.frames ?? run.task.evaluation.rolloutFrames,
    integrator: run.opts.integrator ?? defaultRolloutIntegrator(cfg.loss.latentStep),
    projection: run.opts.projection ?? taskProjection(run.task),
    threads: cfg.threads,
  };
}

/** A run on an imported dataset: metrics without energy (docs/IMPORT.md). */
async function finishImportedRun(run: RunContext, t: TrainedRun): Promise<RunResult> {
  const { task, opts, out } = run;
  const { cfg, ds, trained, log } = t;
  const base = {
    kind: opts.kind,
    seed: opts.seed,
    cfg,
    protocol: pixelProtocol(cfg),
    ds,
    dataDir: run.dataDir,
    backend: run.backend,
    trained,
  };
  const plot = () => lossCurvePlot(run.logPath, join(out.work, 'plots', 'loss.png'), `${task.name} ${opts.kind}: training curve`);
  const metrics = await finishImportedPixelRun(trained.model, join(out.work, 'model'), {
    ...base,
    resumed: out.resume,
    rollout: rolloutSettings(run, cfg),
    log,
    plot,
    work: out.work,
  });
  removeCheckpoint(run.ckpt);
  return { metrics: null, importedMetrics: metrics, rollouts: [], map: null };
}

/** Evaluates the trained model, saves it with its latent map, and writes metrics.json last. */
async function finishRun(run: RunContext, t: TrainedRun): Promise<RunResult> {
  const { task, opts, out } = run;
  const { cfg, trained, log } = t;
  const model = trained.model;
  const rollout = rolloutSettings(run, cfg);
  const result = await evaluatePixelModel(model, model.read(), t.ds, cfg.loss, rollout);
  const meta = {
    task: task.name,
    seed: opts.seed,
    steps: cfg.steps,
    backend: run.backend,
    dataset: run.dataDir,
    latentMap: result.map,
    latentMapTarget: 'state',
  };
  await savePixelModel(join(out.work, 'model'), model, cfg.loss, meta);
  model.dispose();
  const metrics = pixelMetrics(run, t, result, rollout);
  log.write({
    event: 'done',
    trainLoss: metrics.trainLoss,
    testLoss: metrics.testLoss,
    energyMse: metrics.energyMse.mean,
    vpt: metrics.vpt,
    trainSeconds: trained.seconds,
  });
  await lossCurvePlot(run.logPath, join(out.work, 'plots', 'loss.png'), `${task.name} ${opts.kind}: training curve`);
  checkMetricsFinite(metrics);
  writeJsonAtomic(join(out.work, METRICS_FILE), metrics);
  // after metrics.json: a kill in between leaves a finished run whose checkpoint the next claim removes
  removeCheckpoint(run.ckpt);
  return { metrics, rollouts: result.rollouts, map: result.map };
}

function pixelMetrics(run: RunContext, t: TrainedRun, result: PixelEvaluation, rollout: RolloutSettings): PixelMetrics {
  const { task, opts, out } = run;
  const { cfg, ds, trained } = t;
  return {
    ...metricsHead(task.name, opts.kind, opts.seed, cfg.steps, run.backend),
    training: { engine: trained.engine, threads: trained.threads, batchRows: trained.batchRows, inputColumns: trained.inputColumns },
    protocol: pixelProtocol(cfg),
    dataset: {
      dir: run.dataDir,
      seed: ds.manifest.seed,
      trainRows: ds.data.train.rows,
      testRows: ds.data.test.rows,
      frameSize: ds.params.size,
      engine: ds.params.engine,
    },
    trainLoss: result.trainTerms.total,
    testLoss: result.testTerms.total,
    trainTerms: result.trainTerms,
    testTerms: result.testTerms,
    ...result.againstTrivial,
    ...result.summary,
    ...(result.dissipation ? { dissipation: result.dissipation } : {}),
    rollout: { ...rollout, latentMapR2: result.map.r2, latentMap: latentMapKind(result.map) },
    trainSeconds: trained.totalSeconds,
    msPerStep: trained.msPerStep,
    resumedFrom: out.resume ? trained.startStep : null,
    versions: packageVersions(),
  };
}
