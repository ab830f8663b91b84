// One pixel experiment end to end, for any pixel task: dataset folder -> joint training
// (checkpoints, resume) -> saved model -> losses, pixel energy MSE, VPT, period -> metrics.json
// (written last) + log + loss plot.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetChecksum, readDataset, readManifest, type DatasetManifest } from '../../datasets/format.ts';
import {
  generatePixelDataset,
  outdatedDataset,
  paramNames,
  pixelParamsOf,
  pixelTaskOf,
  renderTruth,
  testTrialCount,
  trialSystem,
  type PixelDatasetParams,
  type PixelTaskRef,
} from '../../datasets/pixel.ts';
import { contextOf, PixelModel, type PixelEncoder, type PixelLossConfig } from '../../models/pixel.ts';
import { loadPixelModel, savePixelModel } from '../../models/storage.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { DISSIPATION_FORM, type LatentStep } from '../../models/kinds.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import {
  encodeRows,
  fitLatentMap,
  latentField,
  latentMapKind,
  pixelRollout,
  projectedRollouts,
  scoreLatentRollout,
  summariseRollouts,
  type LatentMap,
  type LatentMapKind,
  type PixelEnergySummary,
  type PixelRollout,
  type RolloutIntegrator,
  type RolloutScoring,
  type RolloutTruth,
} from '../eval/pixel.ts';
import { squaredErrorStats, type MeanSem } from '../eval/stats.ts';
import { latentDissipation, type DissipationSummary } from '../eval/dissipation.ts';
import { LatentRolloutHelper } from '../eval/latent-pool.ts';
import { defaultRolloutIntegrator, taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import type { RunMetricsBase } from './state.ts';
import { linePlot } from '../media/plot.ts';
import { describeBackend, initBackend, threadsFor } from '../tf/backend.ts';
import { JsonlLog } from '../train/log.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import {
  checkCheckpointDataset,
  latentWeightDecay,
  pixelTrainConfig,
  removeCheckpoint,
  splitSampleLosses,
  trainPixelModel,
  type PixelData,
  type PixelSplit,
  type PixelTrainConfig,
} from '../train/pixel.ts';
import type { PixelTask } from '../tasks/task.ts';
import { pixelTrainProtocolSchema } from '../tasks/schema.ts';
import { parseOptions } from '../util/options.ts';
import type { System } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { checkMetricsFinite, readMetrics } from './metrics.ts';
import { CHECKPOINT_FILE, METRICS_FILE, openRunOutput, RUN_DATASET, type RunOutput } from './run-output.ts';
import type { NpyArray } from '../util/npy.ts';
import { frameStacks, pickRows, type FrameStacks } from '../../datasets/stacks.ts';
import { packageVersions } from '../util/versions.ts';
export { CHECKPOINT_FILE } from './run-output.ts';

/** The training settings a pixel run may change (the rest are the task protocol's). */
const pixelTrainOverridesSchema = pixelTrainProtocolSchema.pick({ lr: true, batchSize: true, weightDecay: true, hidden: true }).partial();

/** The keys of `o` among `keys` whose values are defined. */
function pickDefined<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Test trials rolled out for energy MSE (5-group interval) and VPT: all of them (40 in the pendulum's protocol). */
export const EVAL_TRIALS = Infinity;

export interface PixelDataset {
  dir: string;
  task: PixelTask;
  manifest: DatasetManifest;
  params: PixelDatasetParams;
  arrays: Record<string, NpyArray>;
  data: PixelData;
  /** Samples per trial (frames - 3): test row t * perTrial is the first pair of test trial t. */
  perTrial: number;
  testTrials: number;
  /** Values per label row: the state, then the task's extra labels. */
  labelWidth: number;
}

/**
 * Reads a pixel dataset folder and checks it against itself: every array present with its dtype and
 * shape, the manifest's parameters (trials, frames, size) consistent with the arrays, at least one
 * train and one test trial. A failure names what disagrees and says to regenerate.
 */
export function loadPixelDataset(dir: string, ref?: PixelTaskRef): PixelDataset {
  const wanted = ref === undefined ? undefined : pixelTaskOf(ref);
  const { manifest, arrays } = readDataset(dir, wanted?.name);
  const task = wanted ?? pixelTaskOf(manifest.kind);
  const params = pixelParamsOf(manifest);
  const bad = (why: string) =>
    new UserError(`dataset ${dir} is not a valid ${task.name} dataset (${why}); regenerate it with \`hnn generate ${task.name}\``);
  for (const k of ['trials', 'frames', 'size'] as const) {
    if (!Number.isInteger(params[k]) || params[k] < 1)
      throw bad(`manifest.json params.${k} is ${String(params[k])}, not a positive integer`);
  }
  if (params.frames < 4) throw bad(`params.frames is ${params.frames}; a trial needs at least 4 frames`);
  const N = params.size;
  const width = 2 * N * N * params.channels;
  const perTrial = params.frames - 3;
  const testTrials = testTrialCount(params.trials, task.data.testFraction);
  const trainTrials = params.trials - testTrials;
  const dim = task.system.dim;
  const nParams = paramNames(task, params.randomParams).length;
  const labelWidth = dim + (task.data.extraLabels?.length ?? 0) + nParams;
  if (trainTrials < 1 || testTrials < 1)
    throw bad(`${trainTrials} train and ${testTrials} test trials; training and evaluation need at least one of each`);
  const want: Record<string, [typeof Float32Array | typeof Float64Array, number[]]> = {
    trainPixels: [Float32Array, [trainTrials * perTrial, width]],
    trainNextPixels: [Float32Array, [trainTrials * perTrial, width]],
    trainLabels: [Float64Array, [trainTrials * perTrial, labelWidth]],
    testPixels: [Float32Array, [testTrials * perTrial, width]],
    testNextPixels: [Float32Array, [testTrials * perTrial, width]],
    testLabels: [Float64Array, [testTrials * perTrial, labelWidth]],
    trialInitial: [Float64Array, [params.trials, dim]],
    ...(nParams ? { trialParams: [Float64Array, [params.trials, nParams]] as [typeof Float64Array, number[]] } : {}),
  };
  for (const [name, [type, shape]] of Object.entries(want)) {
    const a = arrays[name];
    if (!a) throw bad(`no ${name} array`);
    if (!(a.data instanceof type)) throw bad(`${name} is ${a.data.constructor.name}, expected ${type.name}`);
    if (a.shape.join(',') !== shape.join(','))
      throw bad(`${name} has shape [${a.shape}], but trials ${params.trials}, frames ${params.frames} and size ${N} make it [${shape}]`);
  }
  const f32 = (name: string) => arrays[name].data as Float32Array;
  const split = (x: string, next: string): PixelSplit => ({ x: f32(x), next: f32(next), rows: arrays[x].shape[0] });
  return {
    dir,
    task,
    manifest,
    params,
    arrays,
    data: {
      frameSize: N,
      channels: params.channels,
      perTrial,
      train: split('trainPixels', 'trainNextPixels'),
      test: split('testPixels', 'testNextPixels'),
    },
    perTrial,
    testTrials,
    labelWidth,
  };
}

/**
 * The dataset as stacks of `context` frames per row (models/pixel.ts, PixelModelSpec.context): the
 * splits, rows per trial and labels follow the stacks (datasets/stacks.ts); context 2 is the dataset itself.
 */
export function withContext(ds: PixelDataset, context: number): PixelDataset {
  if (context === 2) return ds;
  const V = ds.params.size * ds.params.size * ds.params.channels;
  const train = frameStacks(ds.data.train, ds.perTrial, context, V);
  const test = frameStacks(ds.data.test, ds.perTrial, context, V);
  const labels = (name: string, s: FrameStacks) => {
    const a = ds.arrays[name];
    return { data: pickRows(a.data as Float64Array, ds.labelWidth, s.sourceRows), shape: [s.split.rows, ds.labelWidth] };
  };
  return {
    ...ds,
    arrays: { ...ds.arrays, trainLabels: labels('trainLabels', train), testLabels: labels('testLabels', test) },
    data: { ...ds.data, perTrial: train.perTrial, train: train.split, test: test.split },
    perTrial: train.perTrial,
  };
}

/**
 * How the task scores rollouts: a system's H (the task's, or a trial's own with random parameters)
 * times the task's energy scale, and its periodic coordinate.
 */
export function rolloutScoring(task: PixelTask, system: System = task.system): RolloutScoring {
  const scale = task.evaluation.energyScale;
  return { energy: (x) => system.energy(x) * scale, periodCoordinate: task.evaluation.periodCoordinate };
}

/** The energy the pixel metric compares, for descriptions and plot labels. */
export function energyName(task: PixelTask): string {
  const scale = task.evaluation.energyScale;
  return `${scale === 1 ? '' : `${scale} x `}H of ${task.system.description}`;
}

/**
 * True frames 1..frames of a trial (rollout frame f is the pair [trial frame f+1 | f+2], and shows
 * its first frame), with the true energy and periodic coordinate of the newer frame of each pair,
 * the frame the dataset's labels (and so the latent map) describe.
 */
export function trialTruth(ds: PixelDataset, trial: number, frames: number): RolloutTruth & { system: System } {
  const r = renderTruth({ manifest: ds.manifest, arrays: ds.arrays }, trial, frames + 2);
  const values = ds.params.size * ds.params.size * ds.params.channels;
  const dim = ds.task.system.dim;
  const scoring = rolloutScoring(ds.task, r.system);
  const at = (f: number) => r.states.subarray((f + 2) * dim, (f + 3) * dim);
  const energy = Float64Array.from({ length: frames }, (_, f) => scoring.energy(at(f)));
  const c = scoring.periodCoordinate;
  const periodic = c === null ? new Float64Array(0) : Float64Array.from({ length: frames }, (_, f) => at(f)[c]);
  return { frames: r.frames.slice(values, (frames + 1) * values), energy, periodic, system: r.system };
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

type TermStats = Record<'total' | 'recon' | 'consistency' | 'hnn', MeanSem>;

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

function termStats(s: Record<'total' | 'recon' | 'consistency' | 'hnn', Float64Array>): TermStats {
  const st = (a: Float64Array) => squaredErrorStats(a, a.length);
  return { total: st(s.total), recon: st(s.recon), consistency: st(s.consistency), hnn: st(s.hnn) };
}

export interface PixelRunResult {
  metrics: PixelMetrics | null;
  outDir: string;
  modelDir: string;
  /** Rollouts of the energy trials (trial 0 first), for plots. */
  rollouts: PixelRollout[];
  map: LatentMap | null;
}

/** The training settings a pixel run records in metrics.json. */
function pixelProtocol(cfg: PixelTrainConfig): Record<string, unknown> {
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
 * The dataset of a pixel run: the given folder, or one generated into the run's own dataset/
 * subfolder (a complete one left there by an interrupted run with the same seed is reused).
 */
async function pixelRunDataset(task: PixelTask, opts: PixelRunOptions, work: string): Promise<string> {
  if (opts.dataDir) return opts.dataDir;
  const dir = join(work, RUN_DATASET);
  if (existsSync(join(dir, 'manifest.json'))) {
    const m = readManifest(dir);
    if (m.kind === task.name && m.seed === opts.seed && !outdatedDataset(m)) return dir;
  }
  await generatePixelDataset(task, { out: dir, seed: opts.seed, quiet: opts.quiet, force: true });
  return dir;
}

/** The run's task: the one asked for, else the dataset's. */
function runTask(opts: PixelRunOptions): PixelTask {
  if (opts.task !== undefined) return pixelTaskOf(opts.task);
  if (!opts.dataDir) throw new UserError('a pixel run needs its task (--task) or a dataset (--data)');
  if (!existsSync(opts.dataDir)) throw new UserError(`dataset folder not found: ${opts.dataDir}; create it with \`hnn generate\``);
  return pixelTaskOf(readManifest(opts.dataDir).kind);
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
    if (r.metrics) out.publish();
    return { ...r, outDir: out.dir, modelDir: join(out.dir, 'model') };
  } finally {
    out.release();
  }
}

async function runPixelIn(task: PixelTask, out: RunOutput, opts: PixelRunOptions): Promise<Omit<PixelRunResult, 'outDir' | 'modelDir'>> {
  if (!opts.quiet) for (const n of out.notes) process.stderr.write(`${n}\n`);
  const ckpt = join(out.work, CHECKPOINT_FILE);
  const logPath = join(out.work, 'log.jsonl');
  const workDataDir = await pixelRunDataset(task, opts, out.work);
  const dataDir = resolve(out.final(workDataDir));
  const pairs = loadPixelDataset(workDataDir, task);
  const datasetId = datasetChecksum(workDataDir);
  // a resume on other data is refused before anything else is said or loaded
  if (out.resume) checkCheckpointDataset(ckpt, loadCheckpoint(ckpt).meta, datasetId, dataDir);
  const backend = await initBackend(opts.backend ?? 'auto');
  const threads = opts.threads ?? threadsFor(1);
  if (!opts.quiet) process.stderr.write(`${describeBackend(backend, threads)}\n`);
  const cfg: PixelTrainConfig = pixelTrainConfig(
    task,
    opts.kind,
    opts.seed,
    pairs.params.size,
    {
      ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
      ...(opts.checkpointEvery !== undefined ? { checkpointEvery: opts.checkpointEvery } : {}),
      ...(opts.dynamicsWeightDecay !== undefined ? { dynamicsWeightDecay: opts.dynamicsWeightDecay } : {}),
      threads,
      ...pickDefined(parseOptions(pixelTrainOverridesSchema, opts.train ?? {}, 'pixel run train options'), [
        'lr',
        'batchSize',
        'weightDecay',
      ]),
    },
    opts.paperProtocol,
  );
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
  const ds = withContext(pairs, contextOf(cfg.spec));
  cfg.loss = { ...cfg.loss, ...(opts.loss ?? {}) };
  if (!(Number.isInteger(cfg.steps) && cfg.steps >= 0)) throw new UserError(`steps must be a non-negative integer, got ${cfg.steps}`);
  const log = new JsonlLog(logPath);
  if (!out.resume)
    log.write({
      event: 'start',
      task: task.name,
      model: opts.kind,
      seed: opts.seed,
      config: cfg,
      backend: backend.name,
      dataDir,
    });

  const trained = await trainPixelModel(cfg, ds.data, {
    log,
    quiet: opts.quiet,
    label: `pixel ${opts.kind}`,
    checkpointPath: ckpt,
    resume: out.resume,
    datasetId,
    datasetDir: dataDir,
    stopAfter: opts.stopAfter,
    evalRows: Math.min(1000, ds.data.test.rows),
  });
  const model = trained.model;
  const modelDir = join(out.work, 'model');
  if (!trained.finished) {
    model.dispose();
    return { metrics: null, rollouts: [], map: null };
  }
  const weights = model.read();
  const frames = opts.frames ?? task.evaluation.rolloutFrames;
  const integrator = opts.integrator ?? defaultRolloutIntegrator(cfg.loss.latentStep);
  const projection = opts.projection ?? taskProjection(task);
  const result = await evaluatePixelModel(model, weights, ds, cfg.loss, { frames, integrator, projection });
  const meta = {
    task: task.name,
    seed: opts.seed,
    steps: cfg.steps,
    backend: backend.name,
    dataset: dataDir,
    latentMap: result.map,
    latentMapTarget: 'state',
  };
  await savePixelModel(modelDir, model, cfg.loss, meta);
  model.dispose();

  const metrics: PixelMetrics = {
    task: task.name,
    model: opts.kind,
    seed: opts.seed,
    steps: cfg.steps,
    updates: cfg.steps + 1,
    backend: backend.name,
    training: { engine: trained.engine, threads: trained.threads },
    protocol: pixelProtocol(cfg),
    dataset: {
      dir: dataDir,
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
    ...result.summary,
    ...(result.dissipation ? { dissipation: result.dissipation } : {}),
    rollout: { frames, integrator, latentMapR2: result.map.r2, latentMap: latentMapKind(result.map), projection },
    trainSeconds: trained.totalSeconds,
    msPerStep: trained.msPerStep,
    resumedFrom: out.resume ? trained.startStep : null,
    versions: packageVersions(),
  };
  log.write({
    event: 'done',
    trainLoss: metrics.trainLoss,
    testLoss: metrics.testLoss,
    energyMse: metrics.energyMse.mean,
    vpt: metrics.vpt,
    trainSeconds: trained.seconds,
  });
  await lossCurvePlot(logPath, join(out.work, 'plots', 'loss.png'), `${task.name} ${opts.kind}: training curve`);
  checkMetricsFinite(metrics);
  writeJsonAtomic(join(out.work, METRICS_FILE), metrics);
  // after metrics.json: a kill in between leaves a finished run whose checkpoint the next claim removes
  removeCheckpoint(ckpt);
  return { metrics, rollouts: result.rollouts, map: result.map };
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

export interface PixelEvaluation {
  trainTerms: TermStats;
  testTerms: TermStats;
  map: LatentMap;
  rollouts: PixelRollout[];
  summary: PixelEnergySummary;
  /** D-HNN latent models: the learned dissipation in the state's units (src/eval/dissipation.ts) */
  dissipation?: DissipationSummary;
}

/** How the rollouts of an evaluation are made. */
export interface RolloutSettings {
  frames: number;
  integrator: RolloutIntegrator;
  projection: RolloutProjection;
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
  { frames, integrator, projection }: RolloutSettings,
): Promise<PixelEvaluation> {
  // started first: its thread loads while the losses are computed
  const helper = projection === 'none' ? new LatentRolloutHelper() : null;
  try {
    // the helper starts on the latent rollouts now; this thread joins them after the losses and the map
    const trials = Array.from({ length: Math.min(EVAL_TRIALS, ds.testTrials) }, (_, t) => t);
    const w = model.input;
    const z0s = trials.map((t) => encodeRows(model, ds.data.test.x.subarray(t * ds.perTrial * w, (t * ds.perTrial + 1) * w), 1));
    const pending = helper?.begin({ kind: model.spec.kind, weights, z0s, frames, integrator });
    const trainTerms = termStats(splitSampleLosses(model, ds.data.train, loss));
    const testTerms = termStats(splitSampleLosses(model, ds.data.test, loss));
    const map = fitTrainMap(model, ds);
    const latents = pending
      ? await pending.finish()
      : projectedRollouts(model, latentField(model.spec.kind, weights), z0s, frames, integrator);
    const rollouts = trials.map((t, i) => {
      const truth = trialTruth(ds, t, frames);
      return scoreLatentRollout(model, latents[i], truth, map, rolloutScoring(ds.task, truth.system), frames);
    });
    const summary = summariseRollouts(rollouts, trials, frames, energyName(ds.task));
    if (model.spec.kind !== 'dhnn') return { trainTerms, testTerms, map, rollouts, summary };
    const dissipation = latentDissipation(
      trialSystem(ds.task, ds.params, undefined),
      weights,
      map,
      ds.params.frameDt,
      rollouts.map((r) => r.latent.z.subarray(0, r.latent.reached * model.spec.latent)),
      encodeRows(model, ds.data.test.x, ds.data.test.rows),
    );
    return { trainTerms, testTerms, map, rollouts, summary, dissipation };
  } finally {
    await helper?.close();
  }
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

/** Rollout from the first pair of test trial `trial`, scored against its true continuation. */
export function rolloutTrial(
  model: PixelModel,
  weights: NamedWeights,
  ds: PixelDataset,
  map: LatentMap,
  trial: number,
  frames: number,
  integrator: RolloutIntegrator,
  projection: RolloutProjection,
): PixelRollout {
  const w = model.input;
  const row = trial * ds.perTrial;
  const x0 = ds.data.test.x.slice(row * w, (row + 1) * w);
  const truth = trialTruth(ds, trial, frames);
  return pixelRollout(model, weights, x0, truth, map, rolloutScoring(ds.task, truth.system), frames, integrator, projection);
}

export function readLog(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Loss curve of every term from log.jsonl (all sessions of a resumed run). */
export async function lossCurvePlot(logPath: string, out: string, title: string): Promise<void> {
  const steps = readLog(logPath).filter((r) => r.event === 'step') as Array<Record<string, number>>;
  if (steps.length === 0) return;
  const x = steps.map((r) => r.step);
  const s = (name: string, key: string, dashed = false) => ({ name, x, y: steps.map((r) => r[key] ?? NaN), dashed });
  await linePlot(out, {
    title,
    xLabel: 'step',
    yLabel: 'loss',
    logY: true,
    series: [
      s('total (batch)', 'loss'),
      s('reconstruction', 'recon'),
      s('consistency', 'consistency'),
      s('latent HNN (unweighted)', 'hnn'),
      s('total (test)', 'testLoss', true),
    ],
  });
}
