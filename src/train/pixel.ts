// Joint training of the pixel model (autoencoder + latent HNN or baseline): the paper's protocol
// (batch 200 by a fresh permutation each step, 10000 steps (+1 update, as the reference), Adam 1e-3,
// coupled weight decay 1e-5), with checkpoints and exact resume. One deliberate difference: the
// latent model's decay is scaled by its loss term's weight (see latentWeightDecay).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import {
  DEFAULT_PIXEL_LOSS,
  pixelInputSize,
  PixelModel,
  type LossTerms,
  type PixelLossConfig,
  type PixelModelSpec,
} from '../../models/pixel.ts';
import type { ModelKind } from '../../models/kinds.ts';
import { UserError } from '../util/errors.ts';
import type { PixelTask } from '../tasks/task.ts';
import { pixelPendulumTask } from '../systems/pendulum.ts';
import { writeFileAtomic } from '../util/files.ts';
import { Rng } from '../util/rng.ts';
import { Adam } from './adam.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { JsonlLog } from './log.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { makePixelStep } from './steps.ts';
import { hasWindowGradient, windowPixelLossGradients } from '../../models/backprop.ts';

/** Pixel pairs, row-major [rows, 2 N^2] float32. */
export interface PixelSplit {
  x: Float32Array;
  next: Float32Array;
  rows: number;
}

export interface PixelData {
  frameSize: number;
  /** Values per pixel: 1 grey, 3 RGB. */
  channels?: 1 | 3;
  /** Consecutive rows per trial (a trial's pairs k = 0..perTrial-1): needed by multi-step windows. */
  perTrial?: number;
  train: PixelSplit;
  test: PixelSplit;
}

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

/** Rows of a split copied into reusable buffers (batching in JS keeps the dataset off the tensor heap). */
class Batcher {
  readonly x: Float32Array;
  readonly next: Float32Array;
  constructor(
    private readonly split: PixelSplit,
    readonly size: number,
    private readonly width: number,
  ) {
    this.x = new Float32Array(size * width);
    this.next = new Float32Array(size * width);
  }
  fill(rows: ArrayLike<number>): void {
    const w = this.width;
    for (let i = 0; i < this.size; i++) {
      const r = rows[i];
      this.x.set(this.split.x.subarray(r * w, (r + 1) * w), i * w);
      this.next.set(this.split.next.subarray(r * w, (r + 1) * w), i * w);
    }
  }
}

/**
 * Windows of K + 1 consecutive pairs of one trial, copied into reusable buffers: pair j of window i
 * at rows [j * count + i]. Pairs 0..K-1 are the x rows r..r+K-1, pair K the next pair of row r+K-1.
 */
class WindowBatcher {
  readonly pairs: Float32Array;
  /** The rows a window may start at: within its trial, K pairs before the trial's last. */
  readonly starts: Int32Array;
  constructor(
    private readonly split: PixelSplit,
    perTrial: number,
    readonly K: number,
    readonly count: number,
    private readonly width: number,
  ) {
    if (perTrial - K < 1)
      throw new UserError(`--rollout-steps ${K} needs trials of more than ${K + 3} frames; use fewer steps or longer trials`);
    const perWindow = perTrial - K + 1;
    const trials = split.rows / perTrial;
    this.starts = Int32Array.from({ length: trials * perWindow }, (_, i) => Math.floor(i / perWindow) * perTrial + (i % perWindow));
    this.pairs = new Float32Array((K + 1) * count * width);
  }
  fill(starts: ArrayLike<number>): void {
    const w = this.width;
    const { x, next } = this.split;
    for (let i = 0; i < this.count; i++) {
      const r = starts[i];
      for (let j = 0; j < this.K; j++) this.pairs.set(x.subarray((r + j) * w, (r + j + 1) * w), (j * this.count + i) * w);
      const last = r + this.K - 1;
      this.pairs.set(next.subarray(last * w, (last + 1) * w), (this.K * this.count + i) * w);
    }
  }
}

/** Windows of K + 1 pairs per step: as many as keep the encoder's rows per step the same as the one-step loss's (2 per pair). */
export function windowsPerStep(batchSize: number, K: number): number {
  return Math.max(1, Math.floor((2 * batchSize) / (K + 1)));
}

/**
 * One update of the window loss (models/pixel.ts, windowLoss); returns the batch's terms before the
 * update. The hand-written gradient (models/backprop.ts) serves the Euler and leapfrog steps of the
 * MLP autoencoder; tfjs's autodiff the rest (fast: false forces it, for the tests).
 */
export function makeWindowStep(
  model: PixelModel,
  optimiser: Adam,
  loss: PixelLossConfig,
  batch: Pick<WindowBatcher, 'pairs' | 'K' | 'count'>,
  fast = true,
): () => LossTerms<number> {
  const vars = model.variables();
  const width = model.input;
  const { K, count } = batch;
  // pair j of every window, a view of the reusable buffer: uploaded as tensors of their own, because
  // on wasm a slice of one big tensor copies all of it out of the heap first
  const blocks = (from: number, to: number) => batch.pairs.subarray(from * count * width, to * count * width);
  const handWritten = fast && hasWindowGradient(loss.latentStep) && (model.spec.encoder ?? 'mlp') === 'mlp';
  if (handWritten)
    return () => {
      const t = tf.tidy(() => {
        const xAll = tf.tensor2d(blocks(0, K + 1), [(K + 1) * count, width]);
        const xHead = tf.tensor2d(blocks(0, K), [K * count, width]);
        const { terms, grads } = windowPixelLossGradients(model, xHead, xAll, K, loss);
        optimiser.apply(grads);
        return terms;
      });
      const v = t.dataSync();
      t.dispose();
      return { total: loss.recon * v[0] + loss.consistency * v[1] + loss.hnn * v[2], recon: v[0], consistency: v[1], hnn: v[2] };
    };
  return () => {
    const values = tf.tidy(() => {
      const pairs = Array.from({ length: K + 1 }, (_, j) => tf.tensor2d(blocks(j, j + 1), [count, width]));
      let terms: tf.Tensor | null = null;
      const { grads } = tf.variableGrads(() => {
        const t = model.windowLoss(pairs, loss);
        terms = tf.keep(tf.stack([t.total, t.recon, t.consistency, t.hnn]));
        return t.total;
      }, vars);
      optimiser.apply(vars.map((v) => grads[v.name]));
      return terms as unknown as tf.Tensor;
    });
    const v = values.dataSync();
    values.dispose();
    return { total: v[0], recon: v[1], consistency: v[2], hnn: v[3] };
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

/** Adam for a pixel model: coupled weight decay per variable (autoencoder, then latent model). */
export function pixelAdam(model: PixelModel, cfg: PixelTrainConfig): Adam {
  const aeCount = model.ae.variables().length;
  const latent = latentWeightDecay(cfg);
  const wd = model.variables().map((_, i) => (i < aeCount ? cfg.weightDecay : latent));
  return new Adam(model.variables(), { lr: cfg.lr, weightDecay: wd });
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

/** One optimisation step of the joint loss on a batch; returns the batch loss terms. */
export function makeStep(
  model: PixelModel,
  optimiser: Adam,
  loss: PixelLossConfig,
): (x: Float32Array, next: Float32Array, rows: number) => LossTerms<number> {
  const fast = makePixelStep(model, optimiser, loss);
  return (x, next, rows) => fast.step(x, next, rows);
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
    JSON.stringify({ ...cfg, dynamicsWeightDecay: latentWeightDecay(cfg), logEvery: undefined, checkpointEvery: undefined }),
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
  const batchSize = Math.min(cfg.batchSize, data.train.rows);
  const batchRng = new Rng(cfg.seed).fork('batches');
  let startStep = 0;
  let priorSeconds = 0;
  let model: PixelModel;
  let optimiser: Adam;
  if (opts.resume) {
    if (!opts.checkpointPath) throw new Error('resume needs a checkpoint path');
    const ck = loadCheckpoint(opts.checkpointPath);
    const { dataset: _ckDataset, ...ckConfig } = ck.meta as { dataset?: string };
    checkCheckpointDataset(opts.checkpointPath, ck.meta, opts.datasetId, opts.datasetDir);
    const want = configKey(cfg);
    if (JSON.stringify(ckConfig) !== JSON.stringify(want)) {
      throw new UserError(
        `checkpoint ${opts.checkpointPath} was made with a different configuration; resume with the same options, or run with --force to start over`,
      );
    }
    model = PixelModel.fromWeights(cfg.spec, ck.weights);
    optimiser = pixelAdam(model, cfg);
    optimiser.load(ck.adam);
    batchRng.setState(ck.rng);
    startStep = ck.step;
    priorSeconds = ck.elapsed;
    if (opts.log) truncateLog(opts.log.path, startStep);
    opts.log?.write({ event: 'resume', step: startStep });
  } else {
    model = PixelModel.init(cfg.spec, cfg.seed);
    optimiser = pixelAdam(model, cfg);
  }
  const K = cfg.loss.rolloutSteps ?? 1;
  const windows = K > 1 ? new WindowBatcher(data.train, data.perTrial ?? 0, K, windowsPerStep(batchSize, K), width) : null;
  const windowStep = windows ? makeWindowStep(model, optimiser, cfg.loss, windows) : null;
  const step = makeStep(model, optimiser, cfg.loss);
  const batch = new Batcher(data.train, batchSize, width);
  const evalSplit = subset(data.test, Math.min(opts.evalRows ?? data.test.rows, data.test.rows), width);
  const t0 = performance.now();
  const save = (nextStep: number) => {
    if (!opts.checkpointPath) return;
    const elapsed = priorSeconds + (performance.now() - t0) / 1000;
    saveCheckpoint(opts.checkpointPath, {
      step: nextStep,
      weights: model.read(),
      adam: optimiser.state(),
      rng: batchRng.getState(),
      meta: { ...configKey(cfg), ...(opts.datasetId !== undefined ? { dataset: opts.datasetId } : {}) },
      elapsed,
    });
  };
  const updates = cfg.steps + 1;
  const result = await runLoop({
    updates,
    startAt: startStep,
    step: () => {
      let t: LossTerms<number>;
      if (windows && windowStep) {
        const order = batchRng.permutation(windows.starts.length).subarray(0, windows.count);
        windows.fill(Array.from(order, (i) => windows.starts[i]));
        t = windowStep();
      } else {
        // a fresh seeded permutation every step, as the reference's torch.randperm(n)[:batch]
        batch.fill(batchRng.permutation(data.train.rows).subarray(0, batchSize));
        t = step(batch.x, batch.next, batchSize);
      }
      return { loss: t.total, recon: t.recon, consistency: t.consistency, hnn: t.hnn };
    },
    evaluate:
      evalSplit.rows > 0
        ? () => {
            const s = splitSampleLosses(model, evalSplit, cfg.loss);
            return {
              testLoss: meanOf(s.total),
              testRecon: meanOf(s.recon),
              testConsistency: meanOf(s.consistency),
              testHnn: meanOf(s.hnn),
            };
          }
        : undefined,
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
  optimiser.dispose();
  return { ...result, model, startStep, finished, totalSeconds: priorSeconds + result.seconds };
}

function subset(s: PixelSplit, rows: number, width: number): PixelSplit {
  return { x: s.x.subarray(0, rows * width), next: s.next.subarray(0, rows * width), rows };
}

/** Drops step records at or after `step` (written by the killed run after its last checkpoint). */
export function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        const r = JSON.parse(line) as { event?: string; step?: number };
        return !(r.event === 'step' && typeof r.step === 'number' && r.step >= step);
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

/**
 * One full-size joint training step (batch 200 of random pairs) to time repeatedly: what
 * `hnn bench` measures (the PyTorch CPU reference takes about 30 ms here).
 */
export async function pixelJointStep(
  opts: { kind?: 'hnn' | 'baseline'; frameSize?: number; batchSize?: number } = {},
): Promise<{ step: () => void; dispose: () => void }> {
  // the paper's one-step loss: the step the PyTorch peer of `npm run bench` takes too
  const cfg = pixelTrainConfig(pixelPendulumTask, opts.kind ?? 'hnn', 0, opts.frameSize ?? 28, {}, true);
  const batchSize = opts.batchSize ?? cfg.batchSize;
  const model = PixelModel.init(cfg.spec, 0);
  const optimiser = pixelAdam(model, cfg);
  const step = makeStep(model, optimiser, cfg.loss);
  const rng = new Rng(1);
  const x = new Float32Array(batchSize * model.input).map(() => rng.uniform());
  const next = new Float32Array(batchSize * model.input).map(() => rng.uniform());
  return {
    step: () => void step(x, next, batchSize),
    dispose: () => {
      optimiser.dispose();
      model.dispose();
    },
  };
}
