// The wasm backend's convolution gradients (src/tf/conv-kernels.ts, im2col + matMul) against the cpu
// backend's own kernels: the filter and input gradients of conv2d, the filter gradient of
// conv2dTranspose and its forward pass (the input-gradient kernel), for strides, paddings and kernel
// sizes the convolutional autoencoder uses and a few it does not.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { Rng } from '../src/util/rng.ts';

type Pad = 'same' | 'valid' | number;
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [3, 7, 6, 2], filter: [3, 3, 2, 4], strides: [2, 2], pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'valid' },
  // square filters only: the wasm backend's own forward conv2d fails on a 4x2 filter with strides [2, 1]
  { x: [2, 9, 6, 1], filter: [4, 4, 1, 3], strides: [2, 2], pad: 1 },
  { x: [2, 9, 7, 3], filter: [2, 2, 3, 2], strides: [2, 2], pad: 'valid' },
  { x: [4, 28, 28, 2], filter: [3, 3, 2, 16], strides: [2, 2], pad: 'same' },
];

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * On the current backend: the filter and input gradients of sum(w_out * conv2d(x, f)), the filter
 * gradient of sum(w_out * conv2dTranspose(z, f)) and the transposed convolution itself.
 */
function gradients(c: Case): Record<'conv' | 'input' | 'transposed' | 'transposedOut', Float32Array> {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(c.x), 1), c.x);
    const f = tf.tensor4d(values(size(c.filter), 2), c.filter);
    const y = tf.conv2d(x, f, c.strides, c.pad);
    const weight = tf.tensor(values(size(y.shape), 3), y.shape);
    const conv = tf.grad((ff) => tf.sum(tf.mul(weight, tf.conv2d(x, ff as tf.Tensor4D, c.strides, c.pad))))(f);
    const input = tf.grad((xx) => tf.sum(tf.mul(weight, tf.conv2d(xx as tf.Tensor4D, f, c.strides, c.pad))))(x);
    // the transposed convolution maps y's shape back to x's; its filter is [kh, kw, Cin(x), Cout(y)] too
    const z = tf.tensor4d(values(size(y.shape), 4), y.shape as [number, number, number, number]);
    const w2 = tf.tensor(values(size(c.x), 5), c.x);
    const transposed = tf.grad((ff) =>
      tf.sum(tf.mul(w2, tf.conv2dTranspose(z, ff as tf.Tensor4D, c.x, c.strides, c.pad as 'same' | 'valid' | number))),
    )(f);
    const transposedOut = tf.conv2dTranspose(z, f, c.x, c.strides, c.pad as 'same' | 'valid' | number);
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return { conv: read(conv), input: read(input), transposed: read(transposed), transposedOut: read(transposedOut) };
  });
}

function expectClose(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * scale);
}

describe('convolution gradients on wasm', () => {
  for (const c of CASES) {
    it(`x ${c.x} filter ${c.filter} strides ${c.strides} pad ${c.pad}: equals the cpu kernel`, async () => {
      await initBackend('wasm');
      await tf.setBackend('cpu');
      const want = gradients(c);
      await tf.setBackend('wasm');
      const got = gradients(c);
      expect(tf.getBackend()).toBe('wasm');
      for (const k of ['conv', 'input', 'transposed', 'transposedOut'] as const) expectClose(got[k], want[k]);
    });
  }
});
