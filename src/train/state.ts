// Training a state-space model (HNN or baseline) on a state dataset: the paper's protocol.
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import { DynamicsModel } from '../../models/dynamics.ts';
import { Rng } from '../util/rng.ts';
import { Adam } from './adam.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { makeStateStep } from './steps.ts';
import type { JsonlLog } from './log.ts';
import { parseOptions } from '../util/options.ts';
import { UserError } from '../util/errors.ts';
import { stateTrainConfigSchema, type StateTrainConfig } from './options.ts';

/** One split of a state dataset as training reads it. */
export interface StateSplit {
  /** inputs row-major [rows, dim] */
  x: Float64Array;
  /** target derivatives row-major [rows, dim] */
  dx: Float64Array;
  rows: number;
}

/** A state dataset's two splits as training reads them (toStateData makes one from a StateDataset). */
export interface StateData {
  /** state dimension 2k */
  dim: number;
  train: StateSplit;
  test: StateSplit;
}

export type { StateTrainConfig } from './options.ts';

/** Refuses data whose arrays do not match their stated shape, or that hold a non-finite value. */
function checkStateData(data: StateData): void {
  if (!Number.isInteger(data.dim) || data.dim < 2 || data.dim % 2 !== 0)
    throw new UserError(`trainStateModel data: dim must be an even integer >= 2 (q's then p's), got ${data.dim}`);
  for (const name of ['train', 'test'] as const) {
    const s = data[name];
    if (!Number.isInteger(s.rows) || s.rows < 1)
      throw new UserError(`trainStateModel data: ${name}.rows must be a positive integer, got ${s.rows}`);
    for (const a of ['x', 'dx'] as const) {
      if (s[a].length !== s.rows * data.dim)
        throw new UserError(`trainStateModel data: ${name}.${a} holds ${s[a].length} values, rows x dim is ${s.rows * data.dim}`);
      const bad = s[a].findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`trainStateModel data: ${name}.${a}[${bad}] is ${s[a][bad]}; remove or fix that row`);
    }
  }
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

/** The trained model with the loop's history and timing. */
export interface StateTrainResult extends LoopResult {
  model: DynamicsModel;
}

/**
 * Trains a state model (HNN, baseline or D-HNN) on derivative targets with the paper's protocol:
 * Adam with coupled L2 weight decay, full batch or a fresh seeded permutation per step, steps + 1
 * updates. `cfg` is validated first (an unknown key, a value out of range or an unknown model kind
 * is a one-line UserError) and so is `data` (shapes, finite values). Same cfg and data, same
 * backend: the same weights. The caller owns the returned model (dispose it).
 */
export async function trainStateModel(
  config: StateTrainConfig,
  data: StateData,
  opts: { log?: JsonlLog; quiet?: boolean; label?: string } = {},
): Promise<StateTrainResult> {
  const cfg = parseOptions(stateTrainConfigSchema, config, 'trainStateModel config');
  checkStateData(data);
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
