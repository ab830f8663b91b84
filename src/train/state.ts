// Training a state-space model (HNN or baseline) on a state dataset: the paper's protocol.
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import { DynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { Rng } from '../util/rng.ts';
import { Adam } from './adam.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { makeStateStep } from './steps.ts';
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
}

function toTensor(split: StateSplit, dim: number): { x: tf.Tensor2D; dx: tf.Tensor2D } {
  return { x: tf.tensor2d(Float32Array.from(split.x), [split.rows, dim]), dx: tf.tensor2d(Float32Array.from(split.dx), [split.rows, dim]) };
}

/** Loss of the model on a whole split, in chunks (no gradient). */
export function splitLoss(model: DynamicsModel, x: tf.Tensor2D, dx: tf.Tensor2D, chunk = 5000): number {
  const rows = x.shape[0];
  let sum = 0;
  inChunks(rows, chunk, (start, n) => {
    sum += model.loss(x.slice([start, 0], [n, -1]), dx.slice([start, 0], [n, -1])).dataSync()[0] * n;
  });
  return sum / rows;
}

export interface StateTrainResult extends LoopResult {
  model: DynamicsModel;
}

export async function trainStateModel(
  cfg: StateTrainConfig,
  data: StateData,
  opts: { log?: JsonlLog; quiet?: boolean; label?: string } = {},
): Promise<StateTrainResult> {
  const model = DynamicsModel.init({ kind: cfg.kind, dim: data.dim, hidden: cfg.hidden }, cfg.seed);
  const vars = model.variables();
  // variables() holds H's (or the baseline's) weights first, then the D-HNN's D
  const first = model.mlp.variables().length;
  const weightDecay = vars.map((_, i) => (i < first ? cfg.weightDecay : (cfg.dissipationWeightDecay ?? cfg.weightDecay)));
  const optimiser = new Adam(vars, { lr: cfg.lr, weightDecay });
  const train = toTensor(data.train, data.dim);
  const test = toTensor(data.test, data.dim);
  const batchRng = new Rng(cfg.seed).fork('batches');
  const fullBatch = cfg.batchSize === null || cfg.batchSize >= data.train.rows;

  const fast = makeStateStep(model, optimiser);
  const step = (): Record<string, number> =>
    tf.tidy(() => {
      let x = train.x;
      let dx = train.dx;
      if (!fullBatch) {
        // a fresh seeded permutation every step, as the reference's torch.randperm(n)[:batch]
        const idx = tf.tensor1d(batchRng.permutation(data.train.rows).subarray(0, cfg.batchSize!), 'int32');
        x = tf.gather(train.x, idx);
        dx = tf.gather(train.dx, idx);
      }
      return { loss: fast.step(x, dx) };
    });

  const result = await runLoop({
    updates: cfg.steps + 1,
    step,
    evaluate: () => ({ testLoss: splitLoss(model, test.x, test.dx) }),
    logEvery: cfg.logEvery ?? 200,
    log: opts.log,
    label: opts.label ?? `train ${cfg.kind}`,
    quiet: opts.quiet,
  });
  optimiser.dispose();
  tf.dispose([train.x, train.dx, test.x, test.dx]);
  return { ...result, model };
}
