// State models: initialisation, save/load round trip, float64 evaluator agreement.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/tf/backend.ts';
import { DynamicsModel } from '../models/dynamics.ts';
import { loadDynamicsModel, saveDynamicsModel } from '../models/storage.ts';
import { PixelModel } from '../models/pixel.ts';
import { Autoencoder } from '../models/autoencoder.ts';
import { ConvAutoencoder } from '../models/conv-autoencoder.ts';
import { Mlp } from '../models/mlp.ts';
import { fieldFunction, hamiltonianFunction } from '../models/f64.ts';
import { orthogonal, uniformBias } from '../models/init.ts';
import { Rng } from '../src/util/rng.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('initialisation', () => {
  it('orthogonal weights have orthonormal columns (tall) or rows (wide)', () => {
    for (const [fanIn, fanOut] of [
      [200, 200],
      [2, 200],
      [200, 1],
      [30, 7],
    ]) {
      const w = orthogonal(fanIn, fanOut, new Rng(1));
      const [n, m, at] =
        fanIn >= fanOut
          ? [fanOut, fanIn, (k: number, i: number) => w[i * fanOut + k]]
          : [fanIn, fanOut, (k: number, j: number) => w[k * fanOut + j]];
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += at(a, i) * at(b, i);
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
        }
      }
    }
  });

  it('biases are uniform within +-1/sqrt(fan_in) and the same seed gives the same model', () => {
    const b = uniformBias(16, 1000, new Rng(2));
    expect(Math.max(...b)).toBeLessThanOrEqual(0.25);
    expect(Math.min(...b)).toBeGreaterThanOrEqual(-0.25);
    expect(Math.max(...b)).toBeGreaterThan(0.2);
    const a1 = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [8, 8] }, 7).mlp.read();
    const a2 = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [8, 8] }, 7).mlp.read();
    const a3 = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [8, 8] }, 8).mlp.read();
    expect(a1['hnn/w1'].values).toEqual(a2['hnn/w1'].values);
    expect(a1['hnn/w1'].values).not.toEqual(a3['hnn/w1'].values);
    expect(a1['hnn/b2']).toBeUndefined(); // no output bias
  });
});

describe('construction: init(spec, seed) and fromWeights(spec, weights)', () => {
  it("init draws each layer's weight then bias from the seed's init:<name> stream", () => {
    const model = DynamicsModel.init({ kind: 'baseline', dim: 4, hidden: [9, 7] }, 11);
    const rng = new Rng(11).fork('init:baseline');
    // the documented draw order: w0 b0 w1 b1 w2 (no output bias)
    const want = [orthogonal(4, 9, rng), uniformBias(4, 9, rng), orthogonal(9, 7, rng), uniformBias(9, 7, rng), orthogonal(7, 4, rng)];
    const got = model.mlp.read();
    expect(model.mlp.keys).toEqual(['baseline/w0', 'baseline/b0', 'baseline/w1', 'baseline/b1', 'baseline/w2']);
    model.mlp.keys.forEach((k, i) => expect(Array.from(got[k].values), k).toEqual(Array.from(want[i])));
    model.dispose();
  });

  it('the autoencoders draw every tensor in variables() order from init:<name>; the networks default to their own names', () => {
    const rng = new Rng(4).fork('init:ae');
    const ae = Autoencoder.init({ input: 18, hidden: 5, latent: 2 }, 4);
    const aeSizes = [18, 5, 5, 5, 2, 5, 5, 5, 18];
    const aeWant = aeSizes.slice(1).flatMap((out, l) => [orthogonal(aeSizes[l], out, rng), uniformBias(aeSizes[l], out, rng)]);
    expect(ae.keys).toEqual(aeSizes.slice(1).flatMap((_, l) => [`ae/w${l + 1}`, `ae/b${l + 1}`]));
    // the filters' values are their [kh kw in, out] matrices (a transposed convolution's: [kh kw out, in]), row-major
    const conv = ConvAutoencoder.init({ frameSize: 8, frames: 3, channels: 1, hidden: 5, latent: 2, filters: [2, 3] }, 6, 'cae');
    const crng = new Rng(6).fork('init:cae');
    // [matrix rows, matrix cols, the bias's fan-in, the bias's length] of c1 c2 e1 e2 d1 d2 t1 t2
    const layers: Array<[number, number, number, number]> = [
      [27, 2, 27, 2], // c1: 3 frames -> 2 maps
      [18, 3, 18, 3],
      [12, 5, 12, 5], // e1: the 2x2x3 maps -> hidden
      [5, 2, 5, 2],
      [2, 5, 2, 5],
      [5, 12, 5, 12],
      [18, 3, 27, 2], // t1: 3 maps -> 2, filter [3, 3, 2, 3]
      [27, 2, 18, 3], // t2: 2 maps -> 3 frames, filter [3, 3, 3, 2]
    ];
    const convWant = layers.flatMap(([rows, cols, fanIn, size]) => [orthogonal(rows, cols, crng), uniformBias(fanIn, size, crng)]);
    for (const [net, want] of [
      [ae, aeWant],
      [conv, convWant],
    ] as const) {
      const got = net.read();
      expect(net.keys).toHaveLength(16);
      net.keys.forEach((k, i) => expect(Array.from(got[k].values), k).toEqual(Array.from(want[i])));
      net.dispose();
    }
    const mlp = Mlp.init({ sizes: [2, 3, 1], activation: 'tanh', outputBias: true }, 1);
    expect(mlp.keys).toEqual(['mlp/w0', 'mlp/b0', 'mlp/w1', 'mlp/b1']);
    mlp.dispose();
  });

  it('the pixel model draws its autoencoder from init:ae and its latent model from init:<kind>, independently', () => {
    const spec = { kind: 'hnn' as const, frameSize: 3, hidden: 5, latent: 2, dynHidden: [6, 6] };
    const pixel = PixelModel.init(spec, 4);
    const dyn = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [6, 6] }, 4);
    const rng = new Rng(4).fork('init:ae');
    const w1 = orthogonal(18, 5, rng);
    const got = pixel.read();
    expect(Array.from(got['ae/w1'].values)).toEqual(Array.from(w1));
    expect(Array.from(got['ae/b1'].values)).toEqual(Array.from(uniformBias(18, 5, rng)));
    const d = dyn.mlp.read();
    for (const k of dyn.mlp.keys) expect(Array.from(got[k].values), k).toEqual(Array.from(d[k].values));
    pixel.dispose();
    dyn.dispose();
  });

  it('fromWeights(read()) rebuilds the same model; a missing or misshapen tensor is refused without leaking', () => {
    const spec = { kind: 'hnn' as const, frameSize: 3, hidden: 5, latent: 2, dynHidden: [6, 6] };
    const a = PixelModel.init(spec, 2);
    const w = a.read();
    const b = PixelModel.fromWeights(spec, w);
    const wb = b.read();
    for (const k of a.keys()) expect(Array.from(wb[k].values), k).toEqual(Array.from(w[k].values));
    b.dispose();
    const before = tf.memory().numTensors;
    const { ['hnn/w2']: _dropped, ...missing } = w;
    expect(() => PixelModel.fromWeights(spec, missing)).toThrow(/no tensor "hnn\/w2"/);
    expect(() => PixelModel.fromWeights({ ...spec, dynHidden: [6, 7] }, w)).toThrow(/shape/);
    expect(() => DynamicsModel.fromWeights({ kind: 'hnn', dim: 2, hidden: [6, 7] }, w)).toThrow(/shape/);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

describe('save and load', () => {
  for (const kind of ['hnn', 'baseline'] as const) {
    it(`${kind}: TensorFlow.js artifacts round-trip the weights and the field exactly`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hnn-model-'));
      const model = DynamicsModel.init({ kind, dim: 4, hidden: [16, 16] }, 3);
      await saveDynamicsModel(dir, model, { note: 'test' });
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
      expect(json.modelTopology).toEqual({ kind, dim: 4, hidden: [16, 16] });
      const loaded = loadDynamicsModel(dir);
      expect(loaded.metadata).toEqual({ note: 'test' });
      const x = tf.tensor2d(
        new Float32Array(20).map((_, i) => Math.sin(i)),
        [5, 4],
      );
      const a = model.field(x).dataSync();
      const b = loaded.model.field(x).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
      model.dispose();
      loaded.model.dispose();
    });
  }
});

describe('float64 evaluator', () => {
  it('matches the tfjs field and Hamiltonian to float32 precision', () => {
    const model = DynamicsModel.init({ kind: 'hnn', dim: 4, hidden: [32, 32] }, 5);
    const weights = model.mlp.read();
    const rng = new Rng(4);
    const xs = Float32Array.from({ length: 40 }, () => rng.range(-1, 1));
    const x = tf.tensor2d(xs, [10, 4]);
    const tfField = model.field(x).dataSync();
    const tfH = model.hamiltonian(x).dataSync();
    const f = fieldFunction('hnn', weights);
    const H = hamiltonianFunction(weights);
    for (let r = 0; r < 10; r++) {
      const row = Float64Array.from(xs.subarray(r * 4, r * 4 + 4));
      const out = f(0, row);
      for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo(tfField[r * 4 + j], 5);
      expect(H(row)).toBeCloseTo(tfH[r], 5);
    }
    model.dispose();
  });

  it('the HNN field is the symplectic gradient: dq/dt = dH/dp, dp/dt = -dH/dq', () => {
    const model = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [16, 16] }, 6);
    const weights = model.mlp.read();
    const f = fieldFunction('hnn', weights);
    const H = hamiltonianFunction(weights);
    const x = Float64Array.of(0.3, -0.7);
    const h = 1e-6;
    const dHdq = (H([x[0] + h, x[1]]) - H([x[0] - h, x[1]])) / (2 * h);
    const dHdp = (H([x[0], x[1] + h]) - H([x[0], x[1] - h])) / (2 * h);
    const out = f(0, x);
    expect(out[0]).toBeCloseTo(dHdp, 7);
    expect(out[1]).toBeCloseTo(-dHdq, 7);
    model.dispose();
  });
});
