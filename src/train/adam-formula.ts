// Adam as in PyTorch (eps added to the bias-corrected square root, bias correction on both moments)
// with COUPLED L2 weight decay (wd * theta added to the gradient, biases included; not AdamW), written
// once on the engine's Ops: the ONNX training graphs apply it, and so does the tfjs optimiser
// (./adam.ts) where its fused kernel (src/tf/kernels.ts, the same rounding bit for bit) is unavailable.
import type { Ops } from '../engine/ops.ts';

export interface AdamConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

/** Per-step scalars: lr / (1 - beta1^t) and sqrt(1 - beta2^t), computed in float64 from the step count t. */
export function adamScalars(lr: number, c: AdamConstants, t: number): { stepSize: number; sqrtBc2: number } {
  return { stepSize: lr / (1 - c.beta1 ** t), sqrtBc2: Math.sqrt(1 - c.beta2 ** t) };
}

/**
 * One update of one variable from its gradient parts (summed, reshaped to theta's shape):
 *   g = sum + wd theta;  m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;
 *   theta' = theta - stepSize m' / (sqrt(v') / sqrtBc2 + eps)
 * `stepSize` and `sqrtBc2` are scalars of the lowering (inputs of a graph, fed every step).
 */
export function adamUpdate<T>(
  o: Ops<T>,
  v: { theta: T; m: T; v: T },
  parts: readonly T[],
  weightDecay: number,
  c: AdamConstants,
  stepSize: T,
  sqrtBc2: T,
): { theta: T; m: T; v: T } {
  const shape = o.shape(v.theta);
  const sum = o.addN(parts);
  const grad = o.shape(sum).join(',') === shape.join(',') ? sum : o.reshape(sum, shape);
  const g = weightDecay > 0 ? o.add(grad, o.scale(v.theta, weightDecay)) : grad;
  const m = o.add(o.scale(v.m, c.beta1), o.scale(g, 1 - c.beta1));
  const second = o.add(o.scale(v.v, c.beta2), o.scale(o.square(g), 1 - c.beta2));
  const denom = o.add(o.div(o.sqrt(second), sqrtBc2), o.scalar(c.eps));
  return { theta: o.sub(v.theta, o.mul(o.div(m, denom), stepSize)), m, v: second };
}
