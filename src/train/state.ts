// Training a state-space model (HNN, baseline or D-HNN) on a state dataset: the paper's protocol
// (Adam with coupled L2 weight decay, full batch or a fresh seeded permutation per step), on the
// current engine (./engine.ts).
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import { DynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { fieldParamsOf } from '../../models/layout.ts';
import { stateLoss } from '../../models/losses.ts';
import { TfjsOps } from '../engine/tfjs-ops.ts';
import { Rng } from '../util/rng.ts';
import { adamSettings, createStepEngine, type StepEngine } from './engine.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { stateStepDefinition, type VariableSpec } from './step-definition.ts';
import type { JsonlLog } from './log.ts';

export interface StateSplit {
  /** inputs row-major [rows, dim] */
  x: Float64Array;
  /** target derivatives row-major [rows, dim] */
  dx: Float64Array;
  rows: number;
}

export interface StateData {
  dim: number;
  train: StateSplit;
  test: StateSplit;
}

export interface StateTrainConfig {
  kind: ModelKind;
  seed: number;
  /** total_steps of the reference; the loop runs steps + 1 updates */
  steps: number;
  /** null = full batch */
  batchSize: number | null;
  weightDecay: number;
  /** D-HNN: the coupled weight decay of D's weights (default weightDecay); H's is weightDecay */
  dissipationWeightDecay?: number;
  lr: number;
  hidden: number[];
  /** updates between log lines (default 200) */
  logEvery?: number;
  /** ONNX Runtime's intra-op threads (default every core; ignored by the tfjs engines) */
  threads?: number;
}

/** Loss of the model on a whole split, in chunks (no gradient). */
export function splitLoss(model: DynamicsModel, x: tf.Tensor2D, dx: tf.Tensor2D, chunk = 5000): number {
  const rows = x.shape[0];
  const params = fieldParamsOf(model.spec, model.variables());
  let sum = 0;
  inChunks(rows, chunk, (start, n) => {
    const loss = stateLoss(new TfjsOps(), params, x.slice([start, 0], [n, -1]), dx.slice([start, 0], [n, -1]));
    sum += loss.dataSync()[0] * n;
  });
  return sum / rows;
}

export interface StateTrainResult extends LoopResult {
  model: DynamicsModel;
  /** What trained: the engine's one-line description. */
  engine: string;
  /** ONNX Runtime's intra-op threads (null on a tfjs engine). */
  threads: number | null;
}

/** The model's variables with their weight decay: H's (or the baseline's) weightDecay, the D-HNN's D its own. */
export function stateVariables(
  model: DynamicsModel,
  cfg: Pick<StateTrainConfig, 'weightDecay' | 'dissipationWeightDecay'>,
): VariableSpec[] {
  const first = model.mlp.variables().length;
  const keys = model.keys();
  return model.variables().map((v, i) => ({
    key: keys[i],
    shape: v.shape,
    weightDecay: i < first ? cfg.weightDecay : (cfg.dissipationWeightDecay ?? cfg.weightDecay),
  }));
}

/** Rows of a split as float32 batches: the whole split, or `size` rows of a permutation per step. */
export class StateBatches {
  readonly x: Float32Array;
  readonly y: Float32Array;
  private readonly allX: Float32Array;
  private readonly allY: Float32Array;
  constructor(
    split: StateSplit,
    private readonly dim: number,
    readonly size: number,
  ) {
    this.allX = Float32Array.from(split.x);
    this.allY = Float32Array.from(split.dx);
    const full = size === split.rows;
    this.x = full ? this.allX : new Float32Array(size * dim);
    this.y = full ? this.allY : new Float32Array(size * dim);
  }
  /** Copies the given rows into the batch buffers. */
  fill(rows: ArrayLike<number>): void {
    const d = this.dim;
    for (let i = 0; i < this.size; i++) {
      this.x.set(this.allX.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
      this.y.set(this.allY.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
    }
  }
}

/**
 * Trains a state model from its seed on `data` and returns it with the training curve: HNN and
 * baseline under the paper's loss mean((f(x) - dx/dt)^2), the D-HNN with D's own weight decay.
 * `cfg.steps` is the reference's total_steps (steps + 1 updates run); batches are drawn from the
 * seed's `batches` stream. The engine is the current backend's (src/tf/backend.ts, initBackend).
 */
export async function trainStateModel(
  cfg: StateTrainConfig,
  data: StateData,
  opts: { log?: JsonlLog; quiet?: boolean; label?: string } = {},
): Promise<StateTrainResult> {
  const model = DynamicsModel.init({ kind: cfg.kind, dim: data.dim, hidden: cfg.hidden }, cfg.seed);
  const fullBatch = cfg.batchSize === null || cfg.batchSize >= data.train.rows;
  const rows = fullBatch ? data.train.rows : cfg.batchSize!;
  const def = stateStepDefinition(model.spec, stateVariables(model, cfg), rows, data.dim);
  const engine = await createStepEngine(def, model.variables(), adamSettings(cfg.lr), { threads: cfg.threads });
  const batches = new StateBatches(data.train, data.dim, rows);
  const test = {
    x: tf.tensor2d(Float32Array.from(data.test.x), [data.test.rows, data.dim]),
    dx: tf.tensor2d(Float32Array.from(data.test.dx), [data.test.rows, data.dim]),
  };
  const batchRng = new Rng(cfg.seed).fork('batches');
  try {
    const result = await runLoop({
      updates: cfg.steps + 1,
      step: async () => {
        // a fresh seeded permutation every step, as the reference's torch.randperm(n)[:batch]
        if (!fullBatch) batches.fill(batchRng.permutation(data.train.rows).subarray(0, rows));
        return { loss: (await engine.step([batches.x, batches.y]))[0] };
      },
      evaluate: () => {
        syncModel(model, engine);
        return { testLoss: splitLoss(model, test.x, test.dx) };
      },
      logEvery: cfg.logEvery ?? 200,
      log: opts.log,
      label: opts.label ?? `train ${cfg.kind}`,
      quiet: opts.quiet,
    });
    syncModel(model, engine);
    return { ...result, model, engine: engine.description, threads: engine.threads };
  } finally {
    engine.dispose();
    tf.dispose([test.x, test.dx]);
  }
}

/** Copies an ORT engine's weights into the model's variables (tfjs engines train them in place). */
export function syncModel(model: { assign(values: readonly Float32Array[]): void }, engine: StepEngine): void {
  if (!engine.ownsModelVariables) model.assign(engine.weights());
}
