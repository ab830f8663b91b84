// The convolutional autoencoder (--encoder conv) against a float64 reference written here with
// plain loops (frames as channels, 'same' stride-2 convolutions, transposed convolutions as the
// adjoint scatter): encodings and decodings agree, the weight gradients of the reconstruction loss
// match central finite differences of the reference, and a saved pixel model with this encoder and
// a context of 3 frames loads back to the same outputs. Frame stacks (datasets/stacks.ts) are the
// trial's consecutive frames, with the labels of the pair they start at.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { ConvAutoencoder, type ConvAutoencoderSpec } from '../models/conv-autoencoder.ts';
import { PixelModel, DEFAULT_PIXEL_LOSS } from '../models/pixel.ts';
import { loadPixelModel, savePixelModel } from '../models/storage.ts';
import type { NamedWeights } from '../models/mlp.ts';
import { frameStacks, pickRows } from '../datasets/stacks.ts';
import { Rng } from '../src/util/rng.ts';

type Image = { h: number; w: number; c: number; v: Float64Array };

const at = (im: Image, y: number, x: number, c: number) => im.v[(y * im.w + x) * im.c + c];

/** 'same' padding of a stride-s, k-wide window over n inputs: the offset of output 0's window. */
function padStart(n: number, k: number, s: number): number {
  const out = Math.ceil(n / s);
  return Math.floor(Math.max((out - 1) * s + k - n, 0) / 2);
}

function conv(im: Image, W: NamedWeights[string], b: NamedWeights[string], s: number): Image {
  const [k, , cin, cout] = W.shape;
  const h = Math.ceil(im.h / s);
  const w = Math.ceil(im.w / s);
  const [top, left] = [padStart(im.h, k, s), padStart(im.w, k, s)];
  const v = new Float64Array(h * w * cout);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let co = 0; co < cout; co++) {
        let sum = b.values[co];
        for (let a = 0; a < k; a++)
          for (let bb = 0; bb < k; bb++) {
            const y = i * s - top + a;
            const x = j * s - left + bb;
            if (y < 0 || y >= im.h || x < 0 || x >= im.w) continue;
            for (let ci = 0; ci < cin; ci++) sum += at(im, y, x, ci) * W.values[((a * k + bb) * cin + ci) * cout + co];
          }
        v[(i * w + j) * cout + co] = sum;
      }
  return { h, w, c: cout, v };
}

/** The transposed convolution to an output of oh x ow: each input value scattered through the filter [k, k, out, in]. */
function convT(im: Image, W: NamedWeights[string], b: NamedWeights[string], s: number, oh: number, ow: number): Image {
  const [k, , cout, cin] = W.shape;
  const [top, left] = [padStart(oh, k, s), padStart(ow, k, s)];
  const v = new Float64Array(oh * ow * cout);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let co = 0; co < cout; co++) v[(y * ow + x) * cout + co] = b.values[co];
  for (let i = 0; i < im.h; i++)
    for (let j = 0; j < im.w; j++)
      for (let a = 0; a < k; a++)
        for (let bb = 0; bb < k; bb++) {
          const y = i * s - top + a;
          const x = j * s - left + bb;
          if (y < 0 || y >= oh || x < 0 || x >= ow) continue;
          for (let co = 0; co < cout; co++)
            for (let ci = 0; ci < cin; ci++)
              v[(y * ow + x) * cout + co] += at(im, i, j, ci) * W.values[((a * k + bb) * cout + co) * cin + ci];
        }
  return { h: oh, w: ow, c: cout, v };
}

function dense(x: Float64Array, W: NamedWeights[string], b: NamedWeights[string]): Float64Array {
  const [n, m] = W.shape;
  const out = Float64Array.from(b.values);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j] += x[i] * W.values[i * m + j];
  return out;
}

const relu = <T extends { v: Float64Array } | Float64Array>(a: T): T => {
  if (a instanceof Float64Array) return a.map((x) => Math.max(0, x)) as T;
  return { ...a, v: a.v.map((x) => Math.max(0, x)) };
};

/** One row (frame after frame, each N x N x ch) -> latent, in float64. */
function encode64(w: NamedWeights, s: ConvAutoencoderSpec, row: ArrayLike<number>): Float64Array {
  const { frameSize: N, frames: F, channels: ch } = s;
  const im: Image = { h: N, w: N, c: F * ch, v: new Float64Array(N * N * F * ch) };
  for (let f = 0; f < F; f++)
    for (let p = 0; p < N * N; p++) for (let c = 0; c < ch; c++) im.v[p * F * ch + f * ch + c] = row[(f * N * N + p) * ch + c];
  const h = relu(conv(relu(conv(im, w['ae/c1'], w['ae/c1b'], 2)), w['ae/c2'], w['ae/c2b'], 2));
  return dense(relu(dense(h.v, w['ae/e1'], w['ae/e1b'])), w['ae/e2'], w['ae/e2b']);
}

function decode64(w: NamedWeights, s: ConvAutoencoderSpec, z: Float64Array): Float64Array {
  const { frameSize: N, frames: F, channels: ch } = s;
  const f2 = w['ae/c2'].shape[3];
  const h = relu(dense(relu(dense(z, w['ae/d1'], w['ae/d1b'])), w['ae/d2'], w['ae/d2b']));
  const m = relu(convT({ h: N / 4, w: N / 4, c: f2, v: h }, w['ae/t1'], w['ae/t1b'], 2, N / 2, N / 2));
  const out = convT(m, w['ae/t2'], w['ae/t2b'], 2, N, N);
  const row = new Float64Array(F * N * N * ch);
  for (let f = 0; f < F; f++)
    for (let p = 0; p < N * N; p++) for (let c = 0; c < ch; c++) row[(f * N * N + p) * ch + c] = out.v[p * F * ch + f * ch + c];
  return row;
}

function recon64(w: NamedWeights, s: ConvAutoencoderSpec, x: Float32Array, rows: number): number {
  const width = x.length / rows;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const rec = decode64(w, s, encode64(w, s, row));
    total += rec.reduce((acc, v, i) => acc + (row[i] - v) ** 2, 0) / width;
  }
  return total / rows;
}

function rows(n: number, width: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * width }, () => rng.uniform());
}

const SPECS: ConvAutoencoderSpec[] = [
  { frameSize: 8, frames: 3, channels: 1, hidden: 5, latent: 2, filters: [2, 3] },
  { frameSize: 8, frames: 2, channels: 3, hidden: 4, latent: 4, filters: [3, 2] },
];

describe('convolutional autoencoder', () => {
  for (const spec of SPECS) {
    const name = `${spec.frames} frames of ${spec.frameSize}x${spec.frameSize}x${spec.channels}`;

    it(`${name}: encodes and decodes as the float64 reference`, async () => {
      await initBackend('wasm');
      const ae = ConvAutoencoder.init(spec, 3);
      const w = ae.read();
      const x = rows(4, ae.input, 1);
      const [z, rec] = tf.tidy(() => {
        const zt = ae.encode(tf.tensor2d(x, [4, ae.input]));
        return [zt.dataSync(), ae.decode(zt).dataSync()];
      });
      for (let r = 0; r < 4; r++) {
        const z64 = encode64(w, spec, x.subarray(r * ae.input, (r + 1) * ae.input));
        z64.forEach((v, i) => expect(z[r * spec.latent + i]).toBeCloseTo(v, 4));
        const rec64 = decode64(w, spec, Float64Array.from(z.subarray(r * spec.latent, (r + 1) * spec.latent)));
        rec64.forEach((v, i) => expect(Math.abs(rec[r * ae.input + i] - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
      }
      ae.dispose();
    });

    it(`${name}: reconstruction-loss gradients match finite differences of the reference`, async () => {
      await initBackend('wasm');
      const ae = ConvAutoencoder.init(spec, 5);
      const x = rows(3, ae.input, 2);
      const grads = tf.tidy(() => {
        const xt = tf.tensor2d(x, [3, ae.input]);
        const { grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(xt, ae.decode(ae.encode(xt)))) as tf.Scalar, ae.variables());
        return ae.variables().map((v) => grads[v.name].dataSync() as Float32Array);
      });
      const w = ae.read();
      const rng = new Rng(9);
      ae.keys.forEach((key, k) => {
        // two entries of every tensor, perturbed in float64
        for (let t = 0; t < 2; t++) {
          const i = Math.floor(rng.uniform() * w[key].values.length);
          const h = 1e-3;
          const plus = { ...w, [key]: { ...w[key], values: Float64Array.from(w[key].values) } };
          const minus = { ...w, [key]: { ...w[key], values: Float64Array.from(w[key].values) } };
          plus[key].values[i] += h;
          minus[key].values[i] -= h;
          const fd = (recon64(plus, spec, x, 3) - recon64(minus, spec, x, 3)) / (2 * h);
          expect(Math.abs(grads[k][i] - fd), `${key}[${i}]: autodiff ${grads[k][i]} vs finite difference ${fd}`).toBeLessThan(
            2e-3 * Math.abs(fd) + 2e-6,
          );
        }
      });
      ae.dispose();
    });
  }

  it('a pixel model with the conv encoder and a context of 3 frames saves and loads to the same outputs', async () => {
    await initBackend('wasm');
    const spec = { kind: 'hnn' as const, frameSize: 8, hidden: 6, latent: 2, dynHidden: [5], encoder: 'conv' as const, context: 3 };
    const model = PixelModel.init(spec, 1);
    expect(model.input).toBe(3 * 64);
    const x = rows(4, model.input, 3);
    const xn = rows(4, model.input, 4);
    const lossOf = (m: PixelModel) =>
      tf.tidy(() => m.loss(tf.tensor2d(x, [4, m.input]), tf.tensor2d(xn, [4, m.input]), DEFAULT_PIXEL_LOSS).total.dataSync()[0]);
    const dir = mkdtempSync(join(tmpdir(), 'hnn-conv-'));
    try {
      await savePixelModel(dir, model, DEFAULT_PIXEL_LOSS);
      const back = loadPixelModel(dir);
      expect(back.topology.encoder).toBe('conv');
      expect(back.topology.context).toBe(3);
      expect(lossOf(back.model)).toBe(lossOf(model));
      back.model.dispose();
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('frame stacks', () => {
  // a split of 2 trials x P pairs whose frame k of trial t holds the value 100 t + k everywhere
  const P = 5;
  const V = 3;
  const pairs = (() => {
    const x = new Float32Array(2 * P * 2 * V);
    const next = new Float32Array(2 * P * 2 * V);
    for (let t = 0; t < 2; t++)
      for (let r = 0; r < P; r++)
        for (let j = 0; j < 2; j++) {
          x.fill(100 * t + r + j, ((t * P + r) * 2 + j) * V, ((t * P + r) * 2 + j + 1) * V);
          next.fill(100 * t + r + j + 1, ((t * P + r) * 2 + j) * V, ((t * P + r) * 2 + j + 1) * V);
        }
    return { x, next, rows: 2 * P };
  })();

  it('are the consecutive frames of one trial, the successor shifted by one frame', () => {
    for (const C of [3, 4, 5]) {
      const s = frameStacks(pairs, P, C, V);
      expect(s.perTrial).toBe(P + 2 - C);
      expect(s.split.rows).toBe(2 * (P + 2 - C));
      for (let row = 0; row < s.split.rows; row++) {
        const [t, start] = [Math.floor(row / s.perTrial), row % s.perTrial];
        expect(s.sourceRows[row]).toBe(t * P + start);
        for (let j = 0; j < C; j++)
          for (let v = 0; v < V; v++) {
            expect(s.split.x[(row * C + j) * V + v]).toBe(100 * t + start + j);
            expect(s.split.next[(row * C + j) * V + v]).toBe(100 * t + start + j + 1);
          }
      }
    }
  });

  it('of two frames are the pairs themselves; labels follow the pair each stack starts at', () => {
    expect(frameStacks(pairs, P, 2, V).split).toBe(pairs);
    const s = frameStacks(pairs, P, 4, V);
    const labels = Float64Array.from({ length: 2 * P * 2 }, (_, i) => i);
    const picked = pickRows(labels, 2, s.sourceRows);
    expect(Array.from(picked.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(picked.subarray(6, 8))).toEqual([10, 11]); // trial 1 starts at pair row P
    expect(() => frameStacks(pairs, P, 6, V)).toThrow(/--context 6 needs trials of at least 8 frames/);
  });
});
