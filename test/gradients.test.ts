// The HNN and D-HNN losses differentiate tanh twice. Their weight gradients, from tfjs's autodiff
// (with the project's fixes) and from the hand-written backward pass of the training step
// (models/field-pass.ts, models/losses.ts), must match central finite differences of the same loss in float64.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { DynamicsModel, type ModelKind } from '../models/dynamics.ts';
import { tfjsStateGradients } from './helpers/steps.ts';
import { fieldFunction } from '../models/f64.ts';
import type { NamedWeights } from '../models/mlp.ts';
import { Rng } from '../src/util/rng.ts';

function batch(rows: number, dim: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * dim).map(() => rng.range(-1.5, 1.5));
  const y = new Float32Array(rows * dim).map(() => rng.range(-1, 1));
  return { x, y };
}

/** The paper's loss in float64 for given weights. */
function loss64(kind: ModelKind, w: NamedWeights, x: Float32Array, y: Float32Array, dim: number): number {
  const f = fieldFunction(kind, w);
  let s = 0;
  for (let r = 0; r < x.length / dim; r++) {
    const out = f(0, Float64Array.from(x.subarray(r * dim, (r + 1) * dim)));
    for (let j = 0; j < dim; j++) s += (out[j] - y[r * dim + j]) ** 2;
  }
  return s / x.length;
}

/**
 * The HNN's loss with the field made by tfjs's tape (tf.grad of H, then differentiated again in the
 * weights): the route whose second order goes through tanh's gradient, where tfjs 4.22 is wrong
 * unless the activation is safeTanh. The project's own field writes dH/dx as forward operations.
 */
function tapeLoss(apply: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const dH = tf.grad((xs: tf.Tensor) => tf.sum(apply(xs)))(x);
  const k = x.shape[1] / 2;
  const field = tf.concat([tf.slice(dH, [0, k], [-1, k]), tf.neg(tf.slice(dH, [0, 0], [-1, k]))], 1);
  return tf.mean(tf.squaredDifference(field, y));
}

/** The loss gradient of each variable, flat: from tfjs's autodiff of model.loss, or the hand-written pass. */
function analyticGradients(
  model: DynamicsModel,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  source: 'autodiff' | 'fast' | ((x: tf.Tensor) => tf.Tensor),
): Float32Array[] {
  if (source === 'fast') {
    return tf
      .tidy(() => tfjsStateGradients(model, x, y).grads)
      .map((g) => {
        const values = g.dataSync() as Float32Array;
        g.dispose();
        return values;
      });
  }
  const loss = typeof source === 'function' ? () => tapeLoss(source, x, y) : () => model.loss(x, y);
  const { grads } = tf.variableGrads(loss, model.variables());
  // A variable the tape lost (possible with the unsafe tanh) has gradient zero.
  const out = model.variables().map((v) => (grads[v.name] ? (grads[v.name].dataSync() as Float32Array) : new Float32Array(v.size)));
  tf.dispose(Object.values(grads));
  return out;
}

/** Max over all weights of |analytic - fd| / max(|fd|, 1e-3 * max|fd|). */
function maxRelativeError(
  kind: ModelKind,
  model: DynamicsModel,
  x: Float32Array,
  y: Float32Array,
  dim: number,
  source: 'autodiff' | 'fast' | ((x: tf.Tensor) => tf.Tensor) = 'autodiff',
): number {
  const rows = x.length / dim;
  const analytic = analyticGradients(model, tf.tensor2d(x, [rows, dim]), tf.tensor2d(y, [rows, dim]), source);
  const weights = model.read();
  const keys = model.keys();
  const fds: number[][] = [];
  const h = 1e-6;
  keys.forEach((key) => {
    const base = Float64Array.from(weights[key].values);
    const fd: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const v = Float64Array.from(base);
        v[i] += delta;
        return loss64(kind, { ...weights, [key]: { shape: weights[key].shape, values: v } }, x, y, dim);
      };
      fd.push((at(h) - at(-h)) / (2 * h));
    }
    fds.push(fd);
  });
  const scale = Math.max(...fds.flat().map(Math.abs));
  let worst = 0;
  fds.forEach((fd, t) =>
    fd.forEach((g, i) => (worst = Math.max(worst, Math.abs(analytic[t][i] - g) / Math.max(Math.abs(g), 1e-3 * scale)))),
  );
  return worst;
}

/** maxRelativeError of a fresh model (`kind`, `dim`, `hidden`, initial weights from `seed`) on batch(16, dim, batchSeed); the model is disposed. */
function freshModelError(
  kind: ModelKind,
  dim: number,
  hidden: readonly number[],
  seed: number,
  batchSeed: number,
  source: 'autodiff' | 'fast' = 'autodiff',
): number {
  const model = DynamicsModel.init({ kind, dim, hidden: [...hidden] }, seed);
  const { x, y } = batch(16, dim, batchSeed);
  try {
    return maxRelativeError(kind, model, x, y, dim, source);
  } finally {
    model.dispose();
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`HNN loss weight gradients on ${backend}`, () => {
    it('match central finite differences (max relative error <= 1e-2)', async () => {
      await initBackend(backend);
      expect(freshModelError('hnn', 4, [12, 12], 3, 1)).toBeLessThan(1e-2);
    });

    it('baseline gradients match too', async () => {
      await initBackend(backend);
      expect(freshModelError('baseline', 2, [10, 10], 4, 2)).toBeLessThan(1e-2);
    });

    it("the D-HNN's autodiff gradients match too (H's and D's weights)", async () => {
      await initBackend(backend);
      expect(freshModelError('dhnn', 4, [9, 8], 5, 3)).toBeLessThan(1e-2);
    });

    it('the hand-written gradient of the training step matches central finite differences (HNN, baseline and D-HNN, 1 to 3 hidden layers)', async () => {
      await initBackend(backend);
      for (const [kind, dim, hidden, seed] of [
        ['hnn', 4, [12, 12], 3],
        ['hnn', 2, [9], 7],
        ['hnn', 2, [8, 7, 6], 8],
        ['baseline', 2, [10, 10], 4],
        ['baseline', 4, [6, 9, 5], 9],
        ['dhnn', 2, [10, 10], 10],
        ['dhnn', 4, [7, 6, 5], 11],
      ] as const) {
        expect(freshModelError(kind, dim, hidden, seed, seed, 'fast'), `${kind} ${hidden}`).toBeLessThan(1e-2);
      }
    });

    it("through tfjs's tape, plain tf.tanh gets the HNN's second-order gradient wrong and safeTanh right", async () => {
      await initBackend(backend);
      const { x, y } = batch(16, 2, 5);
      const model = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [12, 12] }, 6);
      const plain = (xs: tf.Tensor) => {
        let h = xs;
        model.mlp.weights.forEach((w, l) => {
          const b = model.mlp.biases[l];
          const z = b ? tf.add(tf.matMul(h, w), b) : tf.matMul(h, w);
          h = l + 1 < model.mlp.weights.length ? tf.tanh(z) : z; // second-order-safe: deliberately unsafe here, the point of the test
        });
        return h;
      };
      const safe = maxRelativeError('hnn', model, x, y, 2, (xs) => model.mlp.apply(xs));
      const unsafe = maxRelativeError('hnn', model, x, y, 2, plain);
      model.dispose();
      expect(safe).toBeLessThan(1e-2);
      expect(unsafe).toBeGreaterThan(0.1);
    });
  });
}

describe('fast matMul gradient', () => {
  it('equals the transposed-matMul gradient for all four transpose combinations', async () => {
    await initBackend('wasm');
    const rng = new Rng(9);
    const a = tf.tensor2d(
      new Float32Array(15).map(() => rng.normal()),
      [3, 5],
    );
    const b = tf.tensor2d(
      new Float32Array(20).map(() => rng.normal()),
      [5, 4],
    );
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const A = ta ? tf.transpose(a) : a;
      const B = tb ? tf.transpose(b) : b;
      const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([A, B]);
      // reference by explicit algebra: d/dA sum((AB)^2) = 2 (AB) B^T, through plain ops
      const C = tf.matMul(a, b);
      const refA = tf.mul(2, tf.matMul(C, tf.transpose(b)));
      const refB = tf.mul(2, tf.matMul(tf.transpose(a), C));
      const wantA = ta ? tf.transpose(refA) : refA;
      const wantB = tb ? tf.transpose(refB) : refB;
      expect(tf.max(tf.abs(tf.sub(ga, wantA))).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(tf.sub(gb, wantB))).dataSync()[0]).toBeLessThan(1e-4);
    }
  });
});
