// Every training step's hand-derived gradient, written once (models/losses.ts), is right on every
// lowering: in float64 it matches central finite differences of its own loss; its loss equals the
// tfjs autodiff model's (an independent forward); and ONNX Runtime's and tfjs's float32 gradients
// match the float64 ones. Covered: the state loss (HNN, baseline, D-HNN), the state trajectory loss
// (Euler, leapfrog, RK4), the pixel window loss (K = 1 and 2; Euler, leapfrog, RK4; the MLP and the
// convolutional autoencoder).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { F64Ops, type F64 } from '../src/engine/f64-ops.ts';
import { runGraphOnce } from '../src/engine/ort.ts';
import { TfjsOps } from '../src/engine/tfjs-ops.ts';
import { gradientGraph } from '../src/train/engine-ort.ts';
import { stateStepDefinition, trajectoryStepDefinition, windowStepDefinition, type StepDefinition } from '../src/train/step-definition.ts';
import { DynamicsModel, type ModelKind } from '../models/dynamics.ts';
import { activeInputsOf } from '../models/autoencoder-pass.ts';
import { splitColumns } from '../src/train/pixel-batches.ts';
import { convSpecOf, PixelModel, type PixelModelSpec } from '../models/pixel.ts';
import type { DissipationForm, LatentStep } from '../models/kinds.ts';
import { Rng } from '../src/util/rng.ts';

interface Setup {
  def: StepDefinition;
  weights: Float32Array[];
  data: Float32Array[];
  /** Weights of the terms in the total the gradients are of. */
  termWeights: number[];
  /** The loss terms from the tfjs autodiff model, for the same weights and data. */
  reference: () => number[];
  /** A pixel step's pairs whole (its data may hold some of their columns). */
  frames?: Float32Array;
}

const uniform = (n: number, rng: Rng, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => rng.range(lo, hi));
const specsOf = (vars: tf.Variable[], keys: string[]) => vars.map((v, i) => ({ key: keys[i], shape: v.shape, weightDecay: 0 }));

function stateSetup(kind: ModelKind, rows = 6, dim = 4, dissipation?: DissipationForm): Setup {
  const form = dissipation ? { dissipation } : {};
  const model = DynamicsModel.init({ kind, dim, hidden: [5, 4], ...form }, 3);
  const rng = new Rng(7);
  const [x, y] = [uniform(rows * dim, rng, -1.5, 1.5), uniform(rows * dim, rng)];
  return {
    def: stateStepDefinition({ kind, hidden: [5, 4], ...form }, specsOf(model.variables(), model.keys()), rows, dim),
    weights: model.variables().map((v) => Float32Array.from(v.dataSync())),
    data: [x, y],
    termWeights: [1],
    reference: () => [tf.tidy(() => model.loss(tf.tensor2d(x, [rows, dim]), tf.tensor2d(y, [rows, dim]))).dataSync()[0]],
  };
}

function trajectorySetup(kind: ModelKind, method: LatentStep, K = 3, rows = 4, dim = 2, dissipation?: DissipationForm): Setup {
  const form = dissipation ? { dissipation } : {};
  const model = DynamicsModel.init({ kind, dim, hidden: [6], ...form }, 5);
  const states = uniform((K + 1) * rows * dim, new Rng(11));
  return {
    def: trajectoryStepDefinition({ kind, hidden: [6], ...form }, specsOf(model.variables(), model.keys()), rows, dim, {
      K,
      method,
      h: 0.3,
    }),
    weights: model.variables().map((v) => Float32Array.from(v.dataSync())),
    data: [states],
    termWeights: [1],
    reference: () => [], // the trajectory loss has no autodiff twin; finite differences check it
  };
}

const LOSS = { recon: 1, consistency: 0.7, hnn: 0.3, latentStep: 'leapfrog' as LatentStep, dt: 0.5 };

/** With `lit`, the frames are 0 outside the columns it keeps, and the step is fed those columns alone. */
function pixelSetup(spec: PixelModelSpec, K: number, latentStep: LatentStep, count = 3, lit?: (column: number) => boolean): Setup {
  const model = PixelModel.init(spec, 2);
  const width = model.input;
  const xAll = uniform((K + 1) * count * width, new Rng(13), 0, 1);
  if (lit) xAll.forEach((_, i) => (xAll[i] = lit(i % width) ? xAll[i] : 0));
  const active = lit ? activeInputsOf([xAll], width) : null;
  const fed = active ? splitColumns({ x: xAll, next: xAll, rows: xAll.length / width }, width, active.columns).x : xAll;
  const loss = { ...LOSS, latentStep };
  const conv = convSpecOf(spec);
  return {
    frames: xAll,
    def: windowStepDefinition(spec, conv, specsOf(model.variables(), model.keys()), { K, count, width, active }, loss),
    weights: model.variables().map((v) => Float32Array.from(v.dataSync())),
    data: [fed, xAll.subarray(0, K * count * width)],
    termWeights: [loss.recon, loss.consistency, loss.hnn],
    reference: () => {
      const pairs = Array.from({ length: K + 1 }, (_, j) =>
        tf.tensor2d(xAll.subarray(j * count * width, (j + 1) * count * width), [count, width]),
      );
      const t = model.windowLoss(pairs, { ...loss, rolloutSteps: K });
      return [t.recon, t.consistency, t.hnn].map((s) => s.dataSync()[0]);
    },
  };
}

const f64 = (a: Float32Array, shape: readonly number[]): F64 => ({ shape, data: Float64Array.from(a) });

/** Terms and summed gradients in float64. */
function float64Pass(s: Setup, weights: Float64Array[] = s.weights.map((w) => Float64Array.from(w))) {
  const o = new F64Ops();
  const vars = weights.map((w, i) => ({ shape: s.def.variables[i].shape, data: w }));
  const { terms, grads } = s.def.build(
    o,
    vars,
    s.data.map((d, j) => f64(d, s.def.data[j].shape)),
  );
  const total = s.termWeights.reduce((acc, w, i) => acc + w * terms.data[i], 0);
  return { terms: Array.from(terms.data), total, grads: grads.map((parts) => o.addN(parts).data) };
}

function relativeGap(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let [worst, scale] = [0, 1e-12];
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(a[i] - ref[i]) / scale);
  return worst;
}

/** Central differences (h 1e-6, float64) of the total at a few coordinates of every variable. */
function checkFiniteDifferences(s: Setup): number {
  const base = s.weights.map((w) => Float64Array.from(w));
  const analytic = float64Pass(s).grads;
  const rng = new Rng(1);
  let worst = 0;
  base.forEach((w, v) => {
    const scale = Math.max(...Array.from(analytic[v], Math.abs), 1e-8);
    for (let n = 0; n < 4; n++) {
      const i = Math.floor(rng.uniform() * w.length);
      const at = (d: number) =>
        float64Pass(
          s,
          base.map((b, u) => (u === v ? Float64Array.from(b, (x, j) => (j === i ? x + d : x)) : b)),
        ).total;
      const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
      worst = Math.max(worst, Math.abs(fd - analytic[v][i]) / scale);
    }
  });
  return worst;
}

async function onnxPass(s: Setup) {
  const graph = gradientGraph(s.def);
  const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
  s.def.variables.forEach((v, i) => (feeds[`theta${i}`] = { data: s.weights[i], shape: v.shape }));
  s.def.data.forEach((d, j) => (feeds[d.name] = { data: s.data[j], shape: d.shape }));
  const out = await runGraphOnce(graph.toModel(s.def.name), feeds);
  return { terms: Array.from(out.terms), grads: s.def.variables.map((_, i) => out[`grad${i}`]) };
}

function tfjsPass(s: Setup) {
  return tf.tidy(() => {
    const o = new TfjsOps();
    const vars = s.weights.map((w, i) => tf.tensor(w, s.def.variables[i].shape));
    const { terms, grads } = s.def.build(
      o,
      vars,
      s.data.map((d, j) => tf.tensor(d, s.def.data[j].shape)),
    );
    return {
      terms: Array.from(terms.dataSync()),
      grads: grads.map((parts) => tf.addN(parts.map((p) => p.flatten())).dataSync() as Float32Array),
    };
  });
}

const SETUPS: Array<[string, () => Setup]> = [
  ['state hnn', () => stateSetup('hnn')],
  ['state baseline', () => stateSetup('baseline')],
  ['state dhnn', () => stateSetup('dhnn')],
  ['state dhnn even', () => stateSetup('dhnn', 6, 4, 'even')],
  ['state dhnn rayleigh', () => stateSetup('dhnn', 6, 4, 'rayleigh')],
  ['trajectory hnn euler', () => trajectorySetup('hnn', 'euler')],
  ['trajectory hnn leapfrog', () => trajectorySetup('hnn', 'leapfrog')],
  ['trajectory dhnn rk4', () => trajectorySetup('dhnn', 'rk4')],
  ['trajectory dhnn even rk4', () => trajectorySetup('dhnn', 'rk4', 2, 4, 2, 'even')],
  ['trajectory dhnn rayleigh rk4', () => trajectorySetup('dhnn', 'rk4', 2, 4, 2, 'rayleigh')],
  ['trajectory baseline leapfrog', () => trajectorySetup('baseline', 'leapfrog', 2)],
  ['pixel hnn mlp euler K=1', () => pixelSetup({ kind: 'hnn', frameSize: 4, hidden: 6, latent: 2, dynHidden: [5] }, 1, 'euler')],
  ['pixel hnn mlp leapfrog K=2', () => pixelSetup({ kind: 'hnn', frameSize: 4, hidden: 6, latent: 4, dynHidden: [5, 3] }, 2, 'leapfrog')],
  ['pixel baseline mlp rk4 K=2', () => pixelSetup({ kind: 'baseline', frameSize: 4, hidden: 6, latent: 2, dynHidden: [5] }, 2, 'rk4')],
  ['pixel dhnn mlp leapfrog K=2', () => pixelSetup({ kind: 'dhnn', frameSize: 4, hidden: 6, latent: 2, dynHidden: [5] }, 2, 'leapfrog')],
  [
    'pixel hnn mlp leapfrog K=2, 8 of 32 input columns lit',
    () =>
      pixelSetup({ kind: 'hnn', frameSize: 4, hidden: 6, latent: 4, dynHidden: [5, 3] }, 2, 'leapfrog', 3, (c) => c % 5 === 1 || c === 4),
  ],
  [
    'pixel hnn conv euler K=1',
    () => pixelSetup({ kind: 'hnn', frameSize: 8, hidden: 6, latent: 2, dynHidden: [5], encoder: 'conv' }, 1, 'euler', 2),
  ],
  [
    'pixel hnn conv leapfrog K=2',
    () => pixelSetup({ kind: 'hnn', frameSize: 8, hidden: 6, latent: 2, dynHidden: [5], encoder: 'conv' }, 2, 'leapfrog', 2),
  ],
];

describe('training steps written once: gradients on every lowering', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const [name, make] of SETUPS) {
    it(`${name}: float64 finite differences, the autodiff loss, ONNX Runtime and tfjs agree`, async () => {
      const s = make();
      expect(checkFiniteDifferences(s)).toBeLessThan(1e-6);
      const ref = float64Pass(s);
      const reference = s.reference();
      if (reference.length) expect(relativeGap(reference, ref.terms)).toBeLessThan(1e-5);
      const onnx = await onnxPass(s);
      const tfjs = tfjsPass(s);
      expect(relativeGap(onnx.terms, ref.terms)).toBeLessThan(1e-5);
      expect(relativeGap(tfjs.terms, ref.terms)).toBeLessThan(1e-5);
      ref.grads.forEach((g, i) => {
        expect(relativeGap(onnx.grads[i], g), `ONNX ${s.def.variables[i].key}`).toBeLessThan(1e-4);
        expect(relativeGap(tfjs.grads[i], g), `tfjs ${s.def.variables[i].key}`).toBeLessThan(1e-4);
      });
    });
  }
});

describe('the pixel step fed the lit input columns alone', () => {
  it("gives the dense step's terms and gradients in float64, with no gradient on the unlit columns' rows", () => {
    const spec: PixelModelSpec = { kind: 'hnn', frameSize: 4, hidden: 6, latent: 2, dynHidden: [5] };
    const lit = (c: number) => c === 0 || c === 5 || c === 6 || (c > 20 && c < 25);
    const narrow = pixelSetup(spec, 2, 'leapfrog', 3, lit);
    const width = narrow.def.data[1].shape[1];
    const dense: Setup = {
      ...narrow,
      def: windowStepDefinition(spec, null, narrow.def.variables, { K: 2, count: 3, width }, LOSS),
      data: [narrow.frames!, narrow.data[1]],
    };
    const [a, b] = [float64Pass(narrow), float64Pass(dense)];
    expect(narrow.def.data[0].shape).toEqual([9, 7]);
    expect(relativeGap(a.terms, b.terms)).toBeLessThan(1e-12);
    a.grads.forEach((g, i) => expect(relativeGap(g, b.grads[i]), narrow.def.variables[i].key).toBeLessThan(1e-12));
    const hidden = 6;
    for (let c = 0; c < width; c++) {
      const row = Array.from(a.grads[0].subarray(c * hidden, (c + 1) * hidden));
      expect(row.every((v) => v === 0)).toBe(!lit(c));
    }
  });
});
