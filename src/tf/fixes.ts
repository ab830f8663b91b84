// Numerical fixes every model relies on (docs/ENGINE.md, measured on tfjs 4.22):
// 1. tfjs's Tanh gradient reuses the forward output, which is not on the outer tape, so second-order
//    gradients (the HNN loss differentiates dH/dx) come out silently wrong. `safeTanh` fixes that.
// 2. tfjs's BatchMatMul gradient uses transposed matMuls, ~10x slower on wasm. We register a
//    gradient that transposes explicitly and then calls a plain matMul.
import * as tf from '@tensorflow/tfjs';
import { registerFusedKernels } from './kernels.ts';

/**
 * y = y0 (a tanh output already computed from x), differentiable in x with dy/dx = 1 - y0^2.
 * Used inside safeTanh's gradient so that the first derivative is itself differentiable in x
 * without computing tanh a second time. Its own gradient is first-order only, which is all the
 * HNN losses need (they differentiate tanh twice, never three times).
 */
const tanhOutputOf = tf.customGrad(((x: tf.Tensor, y0: tf.Tensor, save: tf.GradSaveFunc) => {
  save([y0]);
  return {
    value: tf.clone(y0),
    gradFunc: (dy: tf.Tensor, [ys]: tf.Tensor[]) => [tf.mul(dy, tf.sub(1, tf.square(ys))), tf.zerosLike(ys)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, y0: tf.Tensor) => tf.Tensor;

/** tanh whose gradient is correct to second order. */
export const safeTanh = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.tanh(x); // second-order-safe: see gradFunc
  save([x, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [xs, ys]: tf.Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(tanhOutputOf(xs, ys)))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

/** a^(T if ta) . b^(T if tb) with explicit transposes, so the backend only sees plain matMuls. */
function plainMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  return tf.matMul(ta ? swapLast(a) : a, tb ? swapLast(b) : b);
}

let installed = false;

/** Registers the fast matMul gradient and the fused kernels (once per process). */
export function installNumericalFixes(): void {
  if (installed) return;
  installed = true;
  registerFusedKernels();
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      if (!transposeA && !transposeB) return { a: () => plainMatMul(g, b, false, true), b: () => plainMatMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => plainMatMul(g, b, false, false), b: () => plainMatMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => plainMatMul(b, g, false, true), b: () => plainMatMul(a, g, false, false) };
      return { a: () => plainMatMul(b, g, true, true), b: () => plainMatMul(g, a, true, true) };
    },
  });
}

/** A variable initialised from `make()`, without leaving the initial tensor alive. */
export function variableOf(make: () => tf.Tensor, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable));
}
