// The training steps' definitions on tfjs models, for tests: the hand-derived gradients of a model's
// loss through the tfjs lowering (what the tfjs engine runs), and engines over a model's variables.
import * as tf from '@tensorflow/tfjs';
import { TfjsOps } from '../../src/engine/tfjs-ops.ts';
import { stateLossGradients, windowLossGradients } from '../../models/losses.ts';
import { fieldParamsOf, pixelParamsOf } from '../../models/layout.ts';
import { convSpecOf, type PixelLossConfig, type PixelModel } from '../../models/pixel.ts';
import type { DynamicsModel } from '../../models/dynamics.ts';

/** The state loss and each variable's gradient (summed parts, the variable's shape), on tfjs. */
export function tfjsStateGradients(model: DynamicsModel, x: tf.Tensor, y: tf.Tensor): { loss: tf.Tensor; grads: tf.Tensor[] } {
  const { loss, grads } = stateLossGradients(new TfjsOps(), fieldParamsOf(model.spec, model.variables()), x, y);
  return { loss, grads: sumParts(grads, model.variables()) };
}

/** The window loss (K pairs after the first) terms and each variable's gradient, on tfjs. */
export function tfjsWindowGradients(model: PixelModel, pairs: tf.Tensor[], cfg: PixelLossConfig): { terms: tf.Tensor; grads: tf.Tensor[] } {
  const K = pairs.length - 1;
  const params = pixelParamsOf(model.spec, convSpecOf(model.spec), model.variables());
  const { terms, grads } = windowLossGradients(new TfjsOps(), params, tf.concat(pairs.slice(0, K), 0), tf.concat(pairs, 0), K, cfg);
  return { terms, grads: sumParts(grads, model.variables()) };
}

function sumParts(grads: tf.Tensor[][], vars: tf.Variable[]): tf.Tensor[] {
  return grads.map((parts, i) => tf.reshape(tf.addN(parts.map((p) => tf.reshape(p, vars[i].shape))), vars[i].shape));
}
