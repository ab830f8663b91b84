// The pixel model's joint loss: its weight gradients (autoencoder included, reached through
// d2H/dz2), from tfjs's autodiff and from the hand-written backward pass of the training step
// (models/losses.ts), must match central finite differences of the same loss in float64; the
// autoencoder has the reference's residual layout; save/load round-trips.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { DEFAULT_PIXEL_LOSS, PixelModel, type PixelLossConfig, type PixelModelSpec } from '../models/pixel.ts';
import { loadPixelModel, savePixelModel } from '../models/storage.ts';
import { fieldFunction } from '../models/f64.ts';
import { latentRollout } from '../src/eval/latent-rollout.ts';
import { tfjsWindowGradients } from './helpers/steps.ts';
import type { ModelKind } from '../models/kinds.ts';
import type { NamedWeights } from '../models/mlp.ts';
import { Rng } from '../src/util/rng.ts';

/** x . W + b for one row, float64. */
function dense(w: NamedWeights, key: string, x: number[]): number[] {
  const W = w[`ae/w${key}`];
  const b = w[`ae/b${key}`];
  const [fanIn, fanOut] = W.shape;
  const out = Array.from(b.values, Number);
  for (let i = 0; i < fanIn; i++) for (let j = 0; j < fanOut; j++) out[j] += x[i] * W.values[i * fanOut + j];
  return out;
}
const relu = (v: number[]) => v.map((a) => Math.max(0, a));
const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

/** The residual trunk written out independently of the model code. */
function encode64(w: NamedWeights, x: number[]): number[] {
  let h = relu(dense(w, '1', x));
  h = add(h, relu(dense(w, '2', h)));
  h = add(h, relu(dense(w, '3', h)));
  return dense(w, '4', h);
}
function decode64(w: NamedWeights, z: number[]): number[] {
  let h = relu(dense(w, '5', z));
  h = add(h, relu(dense(w, '6', h)));
  h = add(h, relu(dense(w, '7', h)));
  return dense(w, '8', h);
}

/** docs/PROTOCOLS.md task 5's loss in float64 (Euler latent step of dt). */
function loss64(kind: ModelKind, w: NamedWeights, x: Float32Array, xn: Float32Array, width: number, cfg: PixelLossConfig): number {
  const f = fieldFunction(kind, w);
  const rows = x.length / width;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const xr = Array.from(x.subarray(r * width, (r + 1) * width));
    const z = encode64(w, xr);
    const zn = encode64(w, Array.from(xn.subarray(r * width, (r + 1) * width)));
    const rec = decode64(w, z);
    const recon = rec.reduce((s, v, i) => s + (xr[i] - v) ** 2, 0) / width;
    const consistency = (z[1] - (zn[0] - z[0])) ** 2;
    const fz = f(0, Float64Array.from(z));
    const hnn = ((zn[0] - (z[0] + cfg.dt * fz[0])) ** 2 + (zn[1] - (z[1] + cfg.dt * fz[1])) ** 2) / 2;
    total += cfg.recon * recon + cfg.consistency * consistency + cfg.hnn * hnn;
  }
  return total / rows;
}

function pairs(rows: number, width: number, seed: number) {
  const rng = new Rng(seed);
  return { x: new Float32Array(rows * width).map(() => rng.uniform()), xn: new Float32Array(rows * width).map(() => rng.uniform()) };
}

/** Per variable: max over entries of |analytic - fd| / max(|fd|, 1e-3 * max|fd| of all variables). */
function gradientErrors(
  model: PixelModel,
  x: Float32Array,
  xn: Float32Array,
  cfg: PixelLossConfig,
  source: 'autodiff' | 'fast' = 'autodiff',
): Record<string, number> {
  const width = model.input;
  const rows = x.length / width;
  const vars = model.variables();
  const [xt, nt] = [tf.tensor2d(x, [rows, width]), tf.tensor2d(xn, [rows, width])];
  let analytic: Float32Array[];
  if (source === 'fast') {
    const flat = tf.tidy(() => tfjsWindowGradients(model, [xt, nt], cfg).grads);
    analytic = flat.map((g) => g.dataSync() as Float32Array);
    tf.dispose(flat);
  } else {
    const { grads } = tf.variableGrads(() => model.loss(xt, nt, cfg).total, vars);
    // a variable the tape lost (possible with the unsafe tanh) has gradient zero
    analytic = vars.map((v) => (grads[v.name] ? (grads[v.name].dataSync() as Float32Array) : new Float32Array(v.size)));
    tf.dispose(Object.values(grads));
  }
  tf.dispose([xt, nt]);
  const weights = model.read();
  const keys = model.keys();
  const h = 1e-6;
  const fds = keys.map((key) => {
    const base = Float64Array.from(weights[key].values);
    return Array.from(base, (_, i) => {
      const at = (delta: number) => {
        const v = Float64Array.from(base);
        v[i] += delta;
        return loss64(model.spec.kind, { ...weights, [key]: { shape: weights[key].shape, values: v } }, x, xn, width, cfg);
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  });
  const scale = Math.max(...fds.flat().map(Math.abs));
  const out: Record<string, number> = {};
  keys.forEach((key, t) => {
    out[key] = Math.max(...fds[t].map((g, i) => Math.abs(analytic[t][i] - g) / Math.max(Math.abs(g), 1e-3 * scale)));
  });
  return out;
}

const tiny = (kind: ModelKind): PixelModelSpec => ({ kind, frameSize: 2, hidden: 6, latent: 2, dynHidden: [8, 8] });

describe('pixel model loss gradients (wasm)', () => {
  for (const kind of ['hnn', 'baseline'] as const) {
    it(`${kind}: every weight gradient, encoder included, matches float64 finite differences`, async () => {
      await initBackend('wasm');
      const model = PixelModel.init(tiny(kind), 11);
      const { x, xn } = pairs(6, model.input, 5);
      // a large latent weight so the HNN term's path into the encoder matters
      const errors = gradientErrors(model, x, xn, { ...DEFAULT_PIXEL_LOSS, hnn: 1 });
      model.dispose();
      for (const [key, err] of Object.entries(errors)) expect(err, key).toBeLessThan(2e-2);
      expect(Object.keys(errors)).toContain('ae/w1');
      expect(Object.keys(errors)).toContain(`${kind}/w0`);
    });
  }

  for (const kind of ['hnn', 'baseline', 'dhnn'] as const) {
    it(`${kind}: the training step's hand-written gradient matches float64 finite differences too (other loss weights, dt)`, async () => {
      await initBackend('wasm');
      const model = PixelModel.init(tiny(kind), 12);
      const { x, xn } = pairs(6, model.input, 6);
      const errors = gradientErrors(model, x, xn, { ...DEFAULT_PIXEL_LOSS, recon: 0.7, consistency: 1.3, hnn: 1, dt: 0.5 }, 'fast');
      model.dispose();
      for (const [key, err] of Object.entries(errors)) expect(err, key).toBeLessThan(2e-2);
      // 8 autoencoder layers (w, b) + the latent MLP's w0 b0 w1 b1 w2 (the D-HNN: H's and D's)
      expect(Object.keys(errors)).toHaveLength(kind === 'dhnn' ? 26 : 21);
    });
  }

  it('the float32 loss equals the float64 reference', async () => {
    await initBackend('wasm');
    const model = PixelModel.init(tiny('hnn'), 2);
    const { x, xn } = pairs(5, model.input, 8);
    const t = model.loss(tf.tensor2d(x, [5, model.input]), tf.tensor2d(xn, [5, model.input]));
    const got = t.total.dataSync()[0];
    const terms = [t.recon, t.consistency, t.hnn].map((s) => s.dataSync()[0]);
    tf.dispose(Object.values(t));
    const want = loss64('hnn', model.read(), x, xn, model.input, DEFAULT_PIXEL_LOSS);
    model.dispose();
    expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
    expect(Math.abs(got - (terms[0] + terms[1] + 0.1 * terms[2])) / got).toBeLessThan(1e-5);
  });
});

describe('pixel model structure', () => {
  it('has the reference autoencoder sizes 2N^2 -> h -> h -> h -> 2 and back, plus a 2 -> h -> h -> 1 HNN', async () => {
    await initBackend('wasm');
    const model = PixelModel.init({ kind: 'hnn', frameSize: 28, hidden: 200, latent: 2, dynHidden: [200, 200] }, 0);
    const w = model.read();
    expect(w['ae/w1'].shape).toEqual([1568, 200]);
    expect(w['ae/w2'].shape).toEqual([200, 200]);
    expect(w['ae/w4'].shape).toEqual([200, 2]);
    expect(w['ae/w5'].shape).toEqual([2, 200]);
    expect(w['ae/w8'].shape).toEqual([200, 1568]);
    expect(w['ae/b8'].shape).toEqual([1568]);
    expect(w['hnn/w2'].shape).toEqual([200, 1]);
    expect(w['hnn/b2']).toBeUndefined(); // the reference's output layer has no bias
    const before = tf.memory().numTensors;
    const z = tf.tidy(() => model.encode(tf.zeros([3, 1568])));
    expect(z.shape).toEqual([3, 2]);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('each latent-step integrator reduces to z + h f(z) to first order and differs at second', async () => {
    await initBackend('wasm');
    const model = PixelModel.init(tiny('hnn'), 4);
    const z = tf.tensor2d([0.3, -0.2, 0.1, 0.4], [2, 2]);
    const h = 1e-3;
    const euler = model.latentStep(z, 'euler', h).dataSync();
    for (const m of ['rk4', 'leapfrog'] as const) {
      const other = model.latentStep(z, m, h).dataSync();
      for (let i = 0; i < 4; i++) expect(Math.abs(other[i] - euler[i])).toBeLessThan(1e-5);
    }
    const big = [model.latentStep(z, 'euler', 1).dataSync(), model.latentStep(z, 'rk4', 1).dataSync()];
    expect(Math.max(...big[0].map((v, i) => Math.abs(v - big[1][i])))).toBeGreaterThan(1e-6);
    model.dispose();
  });

  it('the leapfrog-frame rollout is the trained leapfrog latent step, once per frame, and RK45 is not', async () => {
    await initBackend('wasm');
    for (const kind of ['hnn', 'baseline'] as const) {
      const model = PixelModel.init(tiny(kind), 6);
      const z0 = [0.7, -0.4];
      // three frames of the loss's own step (float32, h = 1 as in training)
      let z = tf.tensor2d(z0, [1, 2]);
      const trained: number[] = [...z0];
      for (let f = 1; f < 4; f++) {
        const next = model.latentStep(z, 'leapfrog', 1);
        z.dispose();
        z = next;
        trained.push(...z.dataSync());
      }
      z.dispose();
      const field = fieldFunction(kind, model.read());
      const frame = latentRollout(field, Float64Array.from(z0), 4, { integrator: 'leapfrog-frame' });
      const exact = latentRollout(field, Float64Array.from(z0), 4, { integrator: 'rk45' });
      const gap = (a: ArrayLike<number>) => Math.max(...trained.map((v, i) => Math.abs(v - a[i])));
      expect(gap(frame.z)).toBeLessThan(1e-5); // float32 against float64 only
      expect(gap(exact.z)).toBeGreaterThan(1e-4); // the field's exact flow is another map
      model.dispose();
    }
  });

  it('saves and loads (weights bit-identical, wrong format rejected)', async () => {
    await initBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), 'pixel-model-'));
    try {
      const model = PixelModel.init(tiny('baseline'), 1);
      await savePixelModel(join(dir, 'm'), model, DEFAULT_PIXEL_LOSS, { note: 'x' });
      const loaded = loadPixelModel(join(dir, 'm'));
      const a = model.read();
      const b = loaded.weights;
      for (const k of Object.keys(a)) expect(Array.from(b[k].values)).toEqual(Array.from(a[k].values));
      expect(loaded.topology.kind).toBe('baseline');
      expect(loaded.metadata.note).toBe('x');
      model.dispose();
      loaded.model.dispose();
      expect(() => loadPixelModel(join(dir, 'nothing'))).toThrow(/no model found/);
      // a latent D-HNN records that its D acts on the momenta; one saved without that is refused
      const dhnn = PixelModel.init(tiny('dhnn'), 1);
      await savePixelModel(join(dir, 'd'), dhnn, DEFAULT_PIXEL_LOSS);
      dhnn.dispose();
      const loadedD = loadPixelModel(join(dir, 'd'));
      expect(loadedD.topology.dissipation).toBe('momenta');
      loadedD.model.dispose();
      const json = join(dir, 'd', 'model.json');
      const saved = JSON.parse(readFileSync(json, 'utf8'));
      delete saved.modelTopology.dissipation;
      writeFileSync(json, JSON.stringify(saved));
      expect(() => loadPixelModel(join(dir, 'd'))).toThrow(/earlier version, whose D acted on every coordinate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The window loss in float64: recon and consistency on pairs 0..K-1, the latent term on a K-step Euler rollout from pair 0. */
function windowLoss64(kind: ModelKind, w: NamedWeights, pairs: Float32Array[], width: number, cfg: PixelLossConfig): number {
  const f = fieldFunction(kind, w);
  const K = pairs.length - 1;
  const rows = pairs[0].length / width;
  let recon = 0;
  let consistency = 0;
  let latent = 0;
  for (let r = 0; r < rows; r++) {
    const xs = pairs.map((p) => Array.from(p.subarray(r * width, (r + 1) * width)));
    const z = xs.map((x) => encode64(w, x));
    for (let j = 0; j < K; j++) {
      const rec = decode64(w, z[j]);
      recon += rec.reduce((s, v, i) => s + (xs[j][i] - v) ** 2, 0) / width;
      consistency += (z[j][1] - (z[j + 1][0] - z[j][0])) ** 2;
    }
    let zeta = Float64Array.from(z[0]);
    for (let j = 1; j <= K; j++) {
      if (cfg.latentStep === 'leapfrog') {
        // kick-drift-kick on (q, p), as PixelModel.latentStep
        const pHalf = zeta[1] + (cfg.dt / 2) * f(0, zeta)[1];
        const qNew = zeta[0] + cfg.dt * f(0, Float64Array.from([zeta[0], pHalf]))[0];
        zeta = Float64Array.from([qNew, pHalf + (cfg.dt / 2) * f(0, Float64Array.from([qNew, pHalf]))[1]]);
      } else {
        const fz = f(0, zeta);
        zeta = Float64Array.from(zeta, (v, i) => v + cfg.dt * fz[i]);
      }
      latent += ((z[j][0] - zeta[0]) ** 2 + (z[j][1] - zeta[1]) ** 2) / 2;
    }
  }
  return (cfg.recon * recon + cfg.consistency * consistency + cfg.hnn * latent) / (rows * K);
}

describe('multi-step window loss', () => {
  it('with one step it is the paper loss, and its float32 value equals the float64 reference for three steps', async () => {
    await initBackend('wasm');
    const model = PixelModel.init(tiny('hnn'), 4);
    const { x, xn } = pairs(5, model.input, 9);
    const [xt, nt] = [tf.tensor2d(x, [5, model.input]), tf.tensor2d(xn, [5, model.input])];
    const one = model.windowLoss([xt, nt]).total.dataSync()[0];
    const paper = model.loss(xt, nt).total.dataSync()[0];
    expect(Math.abs(one - paper) / paper).toBeLessThan(1e-6); // float32 sums in another order
    const more = [pairs(5, model.input, 10).x, pairs(5, model.input, 11).x];
    const ts = [x, xn, ...more].map((p) => tf.tensor2d(p, [5, model.input]));
    const got = model.windowLoss(ts, { ...DEFAULT_PIXEL_LOSS, rolloutSteps: 3 }).total.dataSync()[0];
    const want = windowLoss64('hnn', model.read(), [x, xn, ...more], model.input, DEFAULT_PIXEL_LOSS);
    model.dispose();
    expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
  });

  for (const [kind, latentStep] of [
    ['hnn', 'euler'],
    ['baseline', 'euler'],
    ['dhnn', 'euler'],
    ['hnn', 'leapfrog'],
    ['baseline', 'leapfrog'],
  ] as const) {
    it(`${kind}, ${latentStep}: its weight gradients through a 3-step rollout match float64 finite differences (autodiff and hand-written)`, async () => {
      await initBackend('wasm');
      const model = PixelModel.init(tiny(kind), 13);
      const width = model.input;
      const ps = [1, 2, 3, 4].map((s) => pairs(4, width, s).x);
      const cfg = { ...DEFAULT_PIXEL_LOSS, recon: 0.7, consistency: 1.3, hnn: 1, dt: 0.5, latentStep };
      const ts = ps.map((p) => tf.tensor2d(p, [4, width]));
      const { grads } = tf.variableGrads(() => model.windowLoss(ts, cfg).total, model.variables());
      const autodiff = model.variables().map((v) => grads[v.name].dataSync() as Float32Array);
      // the training step's gradient: parts per variable (any shape of its size), summed here
      const fast = tf.tidy(() => tfjsWindowGradients(model, ts, cfg).grads).map((g) => g.dataSync() as Float32Array);
      const weights = model.read();
      const keys = model.keys();
      const h = 1e-6;
      const fds = keys.map((key) =>
        Array.from(weights[key].values, (_, i) => {
          const at = (delta: number) => {
            const v = Float64Array.from(weights[key].values);
            v[i] += delta;
            return windowLoss64(kind, { ...weights, [key]: { shape: weights[key].shape, values: v } }, ps, width, cfg);
          };
          return (at(h) - at(-h)) / (2 * h);
        }),
      );
      model.dispose();
      const scale = Math.max(...fds.flat().map(Math.abs));
      for (const [name, analytic] of [
        ['autodiff', autodiff],
        ['hand-written', fast],
      ] as const)
        keys.forEach((key, t) => {
          const err = Math.max(...fds[t].map((g, i) => Math.abs(analytic[t][i] - g) / Math.max(Math.abs(g), 1e-3 * scale)));
          expect(err, `${name} ${key}`).toBeLessThan(2e-2);
        });
    });
  }
});
