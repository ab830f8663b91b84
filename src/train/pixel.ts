// Joint training of the pixel model (autoencoder + latent HNN or baseline): the paper's protocol
// (batch 200 drawn afresh each step without replacement, 10000 steps (+1 update, as the reference), Adam 1e-3,
// coupled weight decay 1e-5), with checkpoints and exact resume. One deliberate difference: the
// latent model's decay is scaled by its loss term's weight (see latentWeightDecay).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import {
  convSpecOf,
  DEFAULT_PIXEL_LOSS,
  pixelInputSize,
  PixelModel,
  type LossTerms,
  type PixelLossConfig,
  type PixelModelSpec,
} from '../../models/pixel.ts';
import type { ModelKind } from '../../models/kinds.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { UserError } from '../util/errors.ts';
import { activeInputsOf, type ActiveInputs } from '../../models/autoencoder-pass.ts';
import type { PixelData, PixelSplit } from '../../datasets/pixel-load.ts';
export type { PixelData, PixelSplit } from '../../datasets/pixel-load.ts';
import type { PixelTask } from '../tasks/task.ts';
import { writeFileAtomic } from '../util/files.ts';
import { Rng } from '../util/rng.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { adamSettings, createStepEngine, createTermsEvaluator, type StepEngine } from './engine.ts';
import type { JsonlLog } from './log.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { splitColumns, WindowBatcher, windowsPerStep } from './pixel-batches.ts';
import { windowStepDefinition, type StepDefinition, type VariableSpec } from './step-definition.ts';
import { syncModel } from './state.ts';
export { windowsPerStep } from './pixel-batches.ts';

/** The full training configuration of a pixel model (the task protocol with any changes); checkpoints record it. */
export interface PixelTrainConfig {
  spec: PixelModelSpec;
  seed: number;
  /** total_steps of the reference; the loop runs steps + 1 updates. */
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /**
   * Weight decay of the latent dynamics model (HNN or baseline); default: latentWeightDecay's rule.
   * The reference's literal protocol ("1e-5 on all parameters") is dynamicsWeightDecay = weightDecay.
   */
  dynamicsWeightDecay?: number;
  loss: PixelLossConfig;
  logEvery: number;
  /** Updates between checkpoints. */
  checkpointEvery: number;
  /** ONNX Runtime's intra-op threads (default every core; not part of the configuration a checkpoint checks). */
  threads?: number;
}

/**
 * The training configuration of a pixel task's protocol (its record; docs/PROTOCOLS.md): the latent
 * holds (q, p), two values per degree of freedom of the task's system.
 */
export function pixelTrainConfig(
  task: PixelTask,
  kind: ModelKind,
  seed: number,
  frameSize: number,
  over: Partial<Omit<PixelTrainConfig, 'spec' | 'seed'>> = {},
  /** The paper's protocol (a one-step latent loss) instead of the task's default. */
  paper = false,
): PixelTrainConfig {
  const p = task.train;
  const K = paper ? 1 : p.rolloutSteps;
  return {
    spec: { kind, frameSize, hidden: p.hidden, latent: 2 * task.system.dof, dynHidden: p.dynHidden },
    seed,
    steps: p.steps,
    batchSize: p.batchSize,
    lr: p.lr,
    weightDecay: p.weightDecay,
    // K = 1 is recorded without the field, as runs made before the option recorded it; the paper's
    // protocol keeps its Euler step, the project's default rolls K leapfrog steps (docs/PROTOCOLS.md)
    loss: K === 1 ? DEFAULT_PIXEL_LOSS : { ...DEFAULT_PIXEL_LOSS, latentStep: p.latentStep, rolloutSteps: K },
    logEvery: 200,
    checkpointEvery: 250,
    ...over,
  };
}

/**
 * The latent model's coupled weight decay: dynamicsWeightDecay when given, else weightDecay times
 * the latent term's weight. Coupled L2 adds wd * theta to the gradient of the WHOLE loss, but the
 * latent model's only gradient is the latent term's, weight 0.1: relative to that term the
 * protocol's 1e-5 acts as 1e-4, which over-regularises H and gets the learned swing period wrong
 * by 6-9% (README, "Pixel pendulum"). Scaling by the weight gives the latent model the same decay
 * relative to its loss as the autoencoder gets relative to its own.
 */
export function latentWeightDecay(cfg: Pick<PixelTrainConfig, 'weightDecay' | 'dynamicsWeightDecay' | 'loss'>): number {
  // toPrecision: 1e-5 * 0.1 is 1.0000000000000002e-6 in binary, recorded as 1e-6
  return cfg.dynamicsWeightDecay ?? Number((cfg.weightDecay * cfg.loss.hnn).toPrecision(12));
}

/** The pixel model's variables with their coupled weight decay (the autoencoder's, then the latent model's). */
export function pixelVariables(model: PixelModel, cfg: PixelTrainConfig): VariableSpec[] {
  const aeCount = model.ae.variables().length;
  const latent = latentWeightDecay(cfg);
  const keys = model.keys();
  return model.variables().map((v, i) => ({ key: keys[i], shape: v.shape, weightDecay: i < aeCount ? cfg.weightDecay : latent }));
}

function checkData(cfg: PixelTrainConfig, data: PixelData): number {
  const width = pixelInputSize(cfg.spec);
  if ((data.channels ?? 1) !== (cfg.spec.channels ?? 1))
    throw new UserError(
      `dataset frames have ${data.channels ?? 1} channels, the model expects ${cfg.spec.channels ?? 1}; use a matching dataset or model`,
    );
  if (data.frameSize !== cfg.spec.frameSize)
    throw new UserError(
      `dataset frames are ${data.frameSize}x${data.frameSize}, the model expects ${cfg.spec.frameSize}x${cfg.spec.frameSize}; use a matching dataset or model`,
    );
  for (const [name, s] of [
    ['train', data.train],
    ['test', data.test],
  ] as const) {
    if (s.x.length !== s.rows * width || s.next.length !== s.rows * width)
      throw new UserError(`dataset ${name} split has ${s.x.length} values for ${s.rows} rows of ${width}; regenerate the dataset`);
  }
  if (data.train.rows < 1) throw new UserError('dataset has no training rows; regenerate it with more trials');
  return width;
}

/** Per-sample loss terms over a whole split, in chunks (no weight gradients). */
export function splitSampleLosses(
  model: PixelModel,
  split: PixelSplit,
  loss: PixelLossConfig = DEFAULT_PIXEL_LOSS,
  chunk = 1000,
): LossTerms<Float64Array> {
  const out = {
    total: new Float64Array(split.rows),
    recon: new Float64Array(split.rows),
    consistency: new Float64Array(split.rows),
    hnn: new Float64Array(split.rows),
  };
  const w = model.input;
  inChunks(split.rows, chunk, (start, n) => {
    const x = tf.tensor2d(split.x.subarray(start * w, (start + n) * w), [n, w]);
    const nx = tf.tensor2d(split.next.subarray(start * w, (start + n) * w), [n, w]);
    const s = model.sampleLosses(x, nx, loss);
    for (const k of ['total', 'recon', 'consistency', 'hnn'] as const) out[k].set(s[k].dataSync(), start);
  });
  return out;
}

function meanOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

export interface PixelTrainOptions {
  log?: JsonlLog;
  quiet?: boolean;
  label?: string;
  /** Where checkpoints go; none are written without it. */
  checkpointPath?: string;
  /** Continue from checkpointPath. */
  resume?: boolean;
  /** Stop after this many updates (tests of resume); the checkpoint is then written at that step. */
  stopAfter?: number;
  /** Rows of the test split for the curve's test loss at log points (default all). */
  evalRows?: number;
  /** The dataset's identity (its manifest's sha256), recorded in checkpoints: a resume on other data is refused. */
  datasetId?: string;
  /** The dataset folder, for messages. */
  datasetDir?: string;
}

export interface PixelTrainResult extends LoopResult {
  model: PixelModel;
  /** What trained: the engine's one-line description. */
  engine: string;
  /** ONNX Runtime's intra-op threads (null on a tfjs engine). */
  threads: number | null;
  /**
   * Training rows each step's windows are drawn from: batchSize, or all of them when batchSize is
   * not smaller (./pixel-batches.ts windowsPerStep).
   */
  batchRows: number;
  /** Input columns the encoder's first product ran over in training (models/autoencoder-pass.ts ActiveInputs), of the frame pair's width. */
  inputColumns: { active: number; of: number };
  /** Update the run started from (0, or the checkpoint's step). */
  startStep: number;
  /** True when every update ran (not stopped by stopAfter). */
  finished: boolean;
  /** Training seconds over all sessions of a resumed run. */
  totalSeconds: number;
}

function configKey(cfg: PixelTrainConfig): Record<string, unknown> {
  // the resolved latent decay: a checkpoint made under another default is refused, not resumed
  return JSON.parse(
    JSON.stringify({
      ...cfg,
      dynamicsWeightDecay: latentWeightDecay(cfg),
      logEvery: undefined,
      checkpointEvery: undefined,
      threads: undefined,
    }),
  );
}

/** Refuses a checkpoint made on another dataset than `datasetId` (a manifest's sha256). */
export function checkCheckpointDataset(
  path: string,
  meta: Record<string, unknown>,
  datasetId: string | undefined,
  datasetDir?: string,
): void {
  const made = meta.dataset;
  if (datasetId === undefined || made === datasetId) return;
  throw new UserError(
    `checkpoint ${path} was made on another dataset (manifest sha256 ${String(made).slice(0, 12)}...), not on ${datasetDir ?? 'this one'} (${datasetId.slice(0, 12)}...); resume with --data set to the dataset it was trained on, or run with --force to start over`,
  );
}

/** Trains (or resumes training of) one pixel model. */
export async function trainPixelModel(cfg: PixelTrainConfig, data: PixelData, opts: PixelTrainOptions = {}): Promise<PixelTrainResult> {
  const width = checkData(cfg, data);
  const batchRng = new Rng(cfg.seed).fork('batches');
  const start = startingPoint(cfg, opts, batchRng);
  const { model } = start;
  const K = cfg.loss.rolloutSteps ?? 1;
  const batchRows = Math.min(cfg.batchSize, data.train.rows);
  const count = windowsPerStep(batchRows, K);
  const active = inputColumnsOf(model, data.train);
  const windows = new WindowBatcher(data.train, data.perTrial ?? null, K, count, width, narrowSplit(data.train, width, active));
  const def = windowStepDefinition(model.spec, convSpecOf(model.spec), pixelVariables(model, cfg), { K, count, width, active }, cfg.loss);
  const engine = await createStepEngine(def, model.variables(), adamSettings(cfg.lr), { threads: cfg.threads });
  let curve: Awaited<ReturnType<typeof curveEvaluator>> | undefined;
  try {
    if (start.adam)
      engine.load(
        model.variables().map((v) => v.dataSync() as Float32Array),
        start.adam,
      );
    const evalSplit = firstRows(data.test, Math.min(opts.evalRows ?? data.test.rows, data.test.rows), width);
    curve = evalSplit.rows > 0 ? await curveEvaluator(model, cfg, evalSplit, engine) : undefined;
    const save = checkpointWriter(cfg, opts, { model, engine, batchRng, priorSeconds: start.priorSeconds, t0: performance.now() });
    const updates = cfg.steps + 1;
    const result = await runLoop({
      updates,
      startAt: start.step,
      step: async () => {
        // a fresh seeded draw without replacement every step (the reference: torch.randperm(n)[:batch])
        const order = batchRng.sample(windows.starts.length, windows.count);
        windows.fill(Array.from(order, (i) => windows.starts[i]));
        const [recon, consistency, hnn] = await engine.step([windows.pairs, windows.head]);
        const l = cfg.loss;
        return { loss: l.recon * recon + l.consistency * consistency + l.hnn * hnn, recon, consistency, hnn };
      },
      evaluate: curve?.evaluate,
      logEvery: cfg.logEvery,
      log: opts.log,
      label: opts.label ?? `pixel ${cfg.spec.kind}`,
      quiet: opts.quiet,
      checkpoint: opts.checkpointPath ? { every: cfg.checkpointEvery, save } : undefined,
      stopAfter: opts.stopAfter,
    });
    const finished = result.lastStep >= updates;
    // a stopped run leaves a checkpoint at exactly the step it stopped
    if (!finished) save(result.lastStep);
    syncModel(model, engine);
    const inputColumns = { active: active?.columns.length ?? width, of: width };
    const engineInfo = { engine: engine.description, threads: engine.threads, batchRows, inputColumns };
    return { ...result, ...engineInfo, model, startStep: start.step, finished, totalSeconds: start.priorSeconds + result.seconds };
  } finally {
    curve?.dispose();
    engine.dispose();
  }
}

/**
 * The input columns the MLP encoder is fed in training: those lit in some frame of the training
 * split (pairs and successors, every row the step can feed), or null for all of them (a
 * convolutional encoder, or more than half of the columns lit).
 */
export function inputColumnsOf(model: PixelModel, train: PixelSplit): ActiveInputs | null {
  if ((model.spec.encoder ?? 'mlp') !== 'mlp') return null;
  const active = activeInputsOf([train.x, train.next], model.input);
  // the encoder is fed a copy of the split at those columns: worth its memory when they are few
  return active && active.columns.length <= model.input / 2 ? active : null;
}

/** The training split at the active columns, which the step's encoder input is drawn from (none without). */
export function narrowSplit(train: PixelSplit, width: number, active: ActiveInputs | null) {
  return active ? { split: splitColumns(train, width, active.columns), width: active.columns.length } : undefined;
}

/**
 * The training curve's test point: the one-step loss terms on the first test rows, at the engine's
 * weights. On ONNX Runtime a graph of the one-step definition's forward pass computes them (its
 * terms are the batch means of splitSampleLosses' rows); on tfjs the model itself.
 */
async function curveEvaluator(model: PixelModel, cfg: PixelTrainConfig, split: PixelSplit, engine: StepEngine) {
  const { def, data } = curveDefinition(model, cfg, split);
  const ort = await createTermsEvaluator(def, data, { threads: engine.threads ?? undefined });
  const l = cfg.loss;
  return {
    evaluate: async (): Promise<Record<string, number>> => {
      if (!ort) return (syncModel(model, engine), testTerms(model, split, cfg.loss));
      const [recon, consistency, hnn] = await ort.terms(engine.weights());
      return {
        testLoss: l.recon * recon + l.consistency * consistency + l.hnn * hnn,
        testRecon: recon,
        testConsistency: consistency,
        testHnn: hnn,
      };
    },
    dispose: () => ort?.dispose(),
  };
}

/** The one-step definition over all of `split`'s rows, and its data (pairs then successors; the pairs), for the curve. */
export function curveDefinition(
  model: PixelModel,
  cfg: PixelTrainConfig,
  split: PixelSplit,
): { def: StepDefinition; data: Float32Array[] } {
  const width = model.input;
  const n = split.rows * width;
  const def = windowStepDefinition(
    model.spec,
    convSpecOf(model.spec),
    pixelVariables(model, cfg),
    { K: 1, count: split.rows, width },
    cfg.loss,
  );
  const xAll = new Float32Array(2 * n);
  xAll.set(split.x.subarray(0, n), 0);
  xAll.set(split.next.subarray(0, n), n);
  return { def, data: [xAll, split.x.subarray(0, n)] };
}

/** Writes a checkpoint of the engine's state at a step (nothing without opts.checkpointPath). */
function checkpointWriter(
  cfg: PixelTrainConfig,
  opts: PixelTrainOptions,
  s: { model: PixelModel; engine: StepEngine; batchRng: Rng; priorSeconds: number; t0: number },
): (nextStep: number) => void {
  return (nextStep) => {
    if (!opts.checkpointPath) return;
    saveCheckpoint(opts.checkpointPath, {
      step: nextStep,
      weights: namedWeights(s.model, s.engine),
      adam: s.engine.adamState(),
      rng: s.batchRng.getState(),
      meta: { ...configKey(cfg), ...(opts.datasetId !== undefined ? { dataset: opts.datasetId } : {}) },
      elapsed: s.priorSeconds + (performance.now() - s.t0) / 1000,
    });
  };
}

/** A new model, or the checkpoint's (with its Adam state, batch stream, step and time) when resuming. */
function startingPoint(cfg: PixelTrainConfig, opts: PixelTrainOptions, batchRng: Rng) {
  if (!opts.resume) return { model: PixelModel.init(cfg.spec, cfg.seed), adam: null, step: 0, priorSeconds: 0 };
  if (!opts.checkpointPath) throw new Error('resume needs a checkpoint path');
  const ck = loadCheckpoint(opts.checkpointPath);
  const { dataset: _ckDataset, ...ckConfig } = ck.meta as { dataset?: string };
  checkCheckpointDataset(opts.checkpointPath, ck.meta, opts.datasetId, opts.datasetDir);
  if (JSON.stringify(ckConfig) !== JSON.stringify(configKey(cfg))) {
    throw new UserError(
      `checkpoint ${opts.checkpointPath} was made with a different configuration; resume with the same options, or run with --force to start over`,
    );
  }
  batchRng.setState(ck.rng);
  if (opts.log) truncateLog(opts.log.path, ck.step);
  opts.log?.write({ event: 'resume', step: ck.step });
  return { model: PixelModel.fromWeights(cfg.spec, ck.weights), adam: ck.adam, step: ck.step, priorSeconds: ck.elapsed };
}

/** The engine's current weights by the model's keys (a checkpoint's). */
function namedWeights(model: PixelModel, engine: StepEngine): NamedWeights {
  const values = engine.weights();
  const vars = model.variables();
  return Object.fromEntries(model.keys().map((k, i) => [k, { shape: vars[i].shape, values: values[i] }]));
}

/** The loss terms' means on (part of) the test split, for the training curve. */
function testTerms(model: PixelModel, split: PixelSplit, loss: PixelLossConfig): Record<string, number> {
  const s = splitSampleLosses(model, split, loss);
  return { testLoss: meanOf(s.total), testRecon: meanOf(s.recon), testConsistency: meanOf(s.consistency), testHnn: meanOf(s.hnn) };
}

/** The first `rows` rows of a split (views, no copy). */
export function firstRows(s: PixelSplit, rows: number, width: number): PixelSplit {
  return { x: s.x.subarray(0, rows * width), next: s.next.subarray(0, rows * width), rows };
}

/** Drops what the killed run wrote after its last checkpoint: step records at or after `step`, and any 'done'. */
export function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        const r = JSON.parse(line) as { event?: string; step?: number };
        // a 'done' here is an attempt killed before its metrics.json: the resumed run writes its own
        return r.event !== 'done' && !(r.event === 'step' && typeof r.step === 'number' && r.step >= step);
      } catch {
        return false; // a line cut by the kill
      }
    });
  writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

/** Removes a finished run's checkpoint. */
export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
