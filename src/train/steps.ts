// Training steps: one Adam update of a model on one batch, as an object the training loops call.
// The fast path computes the loss gradient by hand (../../models/backprop.ts) and updates with the
// fused Adam kernel: 52 kernels per spring HNN step and 166 per pixel step on wasm (tf.profile),
// against 225 and 729 for tfjs's autodiff with the op-by-op Adam. The autodiff path stays available (fast: false) as the reference
// the tests compare against, and serves the pixel latent integrators the hand-written gradient
// does not cover (rk4, leapfrog).
import * as tf from '@tensorflow/tfjs';
import { stackedPixelLossGradients, stateLossGradients } from '../../models/backprop.ts';
import type { DynamicsModel } from '../../models/dynamics.ts';
import type { LossTerms, PixelLossConfig, PixelModel } from '../../models/pixel.ts';
import type { Adam } from './adam.ts';

export interface StepOptions {
  /** Hand-written gradients (default true); false: tfjs's autodiff of model.loss. */
  fast?: boolean;
}

export interface StateStep {
  /** True when the step uses the hand-written gradient. */
  readonly fast: boolean;
  /** One update on the batch (x, dx/dt); returns the batch loss before the update. */
  step(x: tf.Tensor2D, target: tf.Tensor2D): number;
}

function checkOptimiser(vars: tf.Variable[], adam: Adam): void {
  const own = adam.variables;
  if (own.length !== vars.length || own.some((v, i) => v !== vars[i]))
    throw new Error("the optimiser must be built over the model's variables(), in that order");
}

/** The training step of a state model (HNN or baseline) under the paper's loss. */
export function makeStateStep(model: DynamicsModel, adam: Adam, opts: StepOptions = {}): StateStep {
  const vars = model.variables();
  checkOptimiser(vars, adam);
  const fast = opts.fast ?? true;
  return {
    fast,
    step: (x, target) => {
      const loss = tf.tidy(() => {
        if (fast) {
          const { loss, grads } = stateLossGradients(model, x, target);
          adam.apply(grads);
          return loss;
        }
        const { value, grads } = tf.variableGrads(() => model.loss(x, target), vars);
        adam.apply(vars.map((v) => grads[v.name]));
        return value;
      });
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    },
  };
}

export interface PixelStep {
  /** True when the step uses the hand-written gradient. */
  readonly fast: boolean;
  /** One update on `rows` pairs (row-major [rows, 2 N^2] each); returns the batch's loss terms before the update. */
  step(x: Float32Array, next: Float32Array, rows: number): LossTerms<number>;
}

/** The joint training step of a pixel model; the hand-written gradient covers the Euler latent step. */
export function makePixelStep(model: PixelModel, adam: Adam, loss: PixelLossConfig, opts: StepOptions = {}): PixelStep {
  const vars = model.variables();
  checkOptimiser(vars, adam);
  const width = model.input;
  const fast = (opts.fast ?? true) && loss.latentStep === 'euler' && (model.spec.encoder ?? 'mlp') === 'mlp';
  // [x; next] for the upload, reused: allocating 2.5 MB per step cost 2-3 ms (the tensor made from it
  // is disposed within the step, so no tensor aliases it when it is overwritten)
  let both = new Float32Array(0);
  const autodiff = (xt: tf.Tensor2D, nt: tf.Tensor2D): tf.Tensor => {
    // the terms are read after the update: keep them past variableGrads' own tidy
    let terms: tf.Tensor | null = null;
    const { grads } = tf.variableGrads(() => {
      const t = model.loss(xt, nt, loss);
      terms = tf.keep(tf.stack([t.total, t.recon, t.consistency, t.hnn]));
      return t.total;
    }, vars);
    adam.apply(vars.map((v) => grads[v.name]));
    return terms as unknown as tf.Tensor;
  };
  return {
    fast,
    step: (x, next, rows) => {
      const size = rows * width;
      const terms = tf.tidy(() => {
        const xt = tf.tensor2d(x.subarray(0, size), [rows, width]);
        if (!fast) return autodiff(xt, tf.tensor2d(next.subarray(0, size), [rows, width]));
        // [x; next] assembled here: one upload instead of two plus a concat kernel
        if (both.length !== 2 * size) both = new Float32Array(2 * size);
        both.set(x.subarray(0, size));
        both.set(next.subarray(0, size), size);
        const { terms, grads } = stackedPixelLossGradients(model, xt, tf.tensor2d(both, [2 * rows, width]), loss);
        adam.apply(grads);
        return terms;
      });
      const v = terms.dataSync();
      terms.dispose();
      if (!fast) return { total: v[0], recon: v[1], consistency: v[2], hnn: v[3] };
      const total = loss.recon * v[0] + loss.consistency * v[1] + loss.hnn * v[2];
      return { total, recon: v[0], consistency: v[1], hnn: v[2] };
    },
  };
}
