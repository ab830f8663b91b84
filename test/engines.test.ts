// The engines that run the training steps: ONNX Runtime and tfjs train the same models from the same
// weights to float32 noise; ORT is deterministic for a thread count and resumes a killed pixel run
// bit for bit; Adam's ONNX form equals the fused tfjs kernel bit for bit; the tfjs engine keeps its
// kernel budgets and leaks no tensor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendInfo } from '../src/tf/backend.ts';
import { availableParallelism } from 'node:os';
import { DynamicsModel } from '../models/dynamics.ts';
import { PixelModel } from '../models/pixel.ts';
import { Adam } from '../src/train/adam.ts';
import { adamScalars, adamUpdate } from '../src/train/adam-formula.ts';
import { adamSettings } from '../src/train/engine.ts';
import { gradientGraph, OrtStepEngine, OrtTermsEvaluator, termsGraph } from '../src/train/engine-ort.ts';
import { TfjsStepEngine } from '../src/train/engine-tfjs.ts';
import { OnnxGraph } from '../src/engine/onnx-graph.ts';
import { OnnxOps } from '../src/engine/onnx-ops.ts';
import { runGraphOnce } from '../src/engine/ort.ts';
import { useWasmAdamSimd, wasmAdamHasSimd, wasmAdamOn } from '../src/engine/wasm-adam.ts';
import {
  curveDefinition,
  inputColumnsOf,
  pixelTrainConfig,
  pixelVariables,
  splitSampleLosses,
  trainPixelModel,
} from '../src/train/pixel.ts';
import { type PixelData } from '../datasets/pixel-load.ts';
import { stateVariables } from '../src/train/state.ts';
import { splitColumns } from '../src/train/pixel-batches.ts';
import { stateStepDefinition, windowStepDefinition } from '../src/train/step-definition.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { Rng } from '../src/util/rng.ts';

const random = (n: number, seed: number, f: (r: Rng) => number = (r) => r.normal()) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => f(rng));
};

/** A spring-sized HNN step definition (hidden [32, 32] on 64 rows) and its model. */
function stateSetup(kind: 'hnn' | 'baseline' | 'dhnn' = 'hnn') {
  const model = DynamicsModel.init({ kind, dim: 2, hidden: [32, 32] }, 5);
  const def = stateStepDefinition(model.spec, stateVariables(model, { weightDecay: 1e-4, dissipationWeightDecay: 1e-3 }), 64, 2);
  return { model, def, data: [random(128, 6), random(128, 7)] };
}

async function ortRun(steps: number, threads: number, optimizer: 'graph' | 'wasm' = 'wasm') {
  const { model, def, data } = stateSetup('dhnn');
  const engine = await OrtStepEngine.create(
    def,
    model.variables().map((v) => v.dataSync() as Float32Array),
    adamSettings(1e-3),
    { provider: 'cpu', threads, optimizer },
  );
  expect(engine.description).toMatch(optimizer === 'graph' ? /Adam in the graph/ : /Adam in WebAssembly/);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await engine.step(data))[0]);
  const w = engine.weights();
  engine.dispose();
  model.dispose();
  return { losses, w };
}

describe('engines', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('ORT and tfjs-wasm train the same HNN from the same weights for 30 steps, to float32 noise', async () => {
    const a = stateSetup();
    const b = stateSetup();
    const ort = await OrtStepEngine.create(
      a.def,
      a.model.variables().map((v) => v.dataSync() as Float32Array),
      adamSettings(1e-3),
      { provider: 'cpu', threads: 1 },
    );
    const tfjs = new TfjsStepEngine(
      b.def,
      b.model.variables(),
      new Adam(b.model.variables(), { weightDecay: b.def.variables.map((v) => v.weightDecay) }),
      true,
    );
    for (let i = 0; i < 30; i++) {
      const [lo, lt] = [(await ort.step(a.data))[0], (await tfjs.step(b.data))[0]];
      expect(Math.abs(lo - lt) / lt, `step ${i}`).toBeLessThan(i === 0 ? 1e-6 : 1e-4);
    }
    const [wo, wt] = [ort.weights(), tfjs.weights()];
    wo.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wt[i][j]), a.def.variables[i].key).toBeLessThan(2e-4)));
    expect(ort.adamState().t).toBe(30);
    [ort, tfjs].forEach((e) => e.dispose());
    [a.model, b.model].forEach((m) => m.dispose());
  });

  it('ORT gives the same bytes for the same weights, data and thread count', async () => {
    for (const threads of [1, 2]) {
      const [r1, r2] = [await ortRun(20, threads), await ortRun(20, threads)];
      expect(r1.losses).toEqual(r2.losses);
      r1.w.forEach((w, i) =>
        expect(Buffer.from(w.buffer).equals(Buffer.from(r2.w[i].buffer)), `threads ${threads}, variable ${i}`).toBe(true),
      );
    }
  });

  it('Adam in the graph and Adam in WebAssembly after it train to the same bytes', async () => {
    const [graph, wasm] = [await ortRun(15, 1, 'graph'), await ortRun(15, 1, 'wasm')];
    expect(wasm.losses).toEqual(graph.losses);
    graph.w.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(wasm.w[i].buffer)), `variable ${i}`).toBe(true));
  });

  it("the WebAssembly Adam's SIMD loop equals its scalar loop bit for bit (two gradient parts, decay, a tail of n mod 4)", () => {
    expect(wasmAdamHasSimd()).toBe(true); // else both runs would take the scalar loop
    const n = 1003;
    const run = (simd: boolean) => {
      useWasmAdamSimd(simd);
      const memory = new WebAssembly.Memory({ initial: 1 });
      const adam = wasmAdamOn(memory)!;
      useWasmAdamSimd(true);
      const arrays = [1, 2, 3, 4, 5].map((seed, k) => {
        const a = new Float32Array(memory.buffer, 4 * n * k + 4 * k, n); // offsets not 16-aligned
        a.set(random(n, seed, (r) => (k === 2 ? Math.abs(r.normal()) : r.normal()) * 1e-2));
        return a;
      });
      const [th, m, v, g0, g1] = arrays.map((a) => a.byteOffset);
      for (const flags of [3, 1, 2, 0])
        adam(th, m, v, g0, g1, th, m, v, n, flags, ...[1e-4, 0.9, 0.1, 0.999, 0.001, 0.3, 1e-8, 1e-3].map(Math.fround));
      return arrays.slice(0, 3).map((a) => Float32Array.from(a));
    };
    const [simd, scalar] = [run(true), run(false)];
    simd.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(scalar[i].buffer)), ['theta', 'm', 'v'][i]).toBe(true));
  });

  it('the WebAssembly Adam writes subnormal results as 0 and keeps NaN, in both loops', () => {
    for (const simd of [true, false]) {
      useWasmAdamSimd(simd);
      const memory = new WebAssembly.Memory({ initial: 1 });
      const adam = wasmAdamOn(memory)!;
      useWasmAdamSimd(true);
      const n = 6; // a block of four and a tail of two
      const [th, m, v, g0] = [0, 1, 2, 3].map((k) => new Float32Array(memory.buffer, 4 * n * k, n));
      // a weight that gets no gradient and decays: theta subnormal after the step, m and v tiny
      th.set([1e-39, 1e-39, 0.5, NaN, 1e-39, 0.5]);
      m.set([1e-39, 0, 0, 0, 1e-39, 0]);
      v.set([1e-39, 0, 0, 0, 0, 0]);
      g0.set([0, 0, 1e-20, 0, 0, 0]); // g^2 c2 underflows to a subnormal
      const at = [th, m, v, g0].map((a) => a.byteOffset);
      adam(at[0], at[1], at[2], at[3], at[3], at[0], at[1], at[2], n, 0, ...[0, 0.9, 0.1, 0.999, 0.001, 1, 1e-8, 0].map(Math.fround));
      const label = simd ? 'simd' : 'scalar';
      expect(Array.from(th), label).toEqual([0, 0, 0.5, NaN, 0, 0.5]);
      expect(Array.from(m.slice(0, 2)), label).toEqual([0, 0]);
      expect(v[2], label).toBe(0); // 1e-40 * 0.001 flushed
      expect(m[2], label).toBeCloseTo(1e-21, 25); // a normal value is kept
    }
  });

  it("Adam's ONNX form equals the project's fused tfjs Adam bit for bit (coupled decay, bias correction)", async () => {
    const shape = [40, 7];
    const [theta, grad] = [random(280, 1), random(280, 2, (r) => 1e-3 * r.normal())];
    const c = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const g = new OnnxGraph();
    const o = new OnnxOps(g);
    const s = { theta: g.input('theta', shape), m: g.input('m', shape), v: g.input('v', shape) };
    const next = adamUpdate(o, s, [g.input('g', shape)], 1e-4, c, g.input('stepSize', []), g.input('sqrtBc2', []));
    g.output('theta_next', next.theta);
    g.output('m_next', next.m);
    g.output('v_next', next.v);
    const variable = tf.variable(tf.tensor(theta, shape));
    const adam = new Adam([variable], { lr: 1e-3, weightDecay: 1e-4 });
    expect(adam.isFused).toBe(true);
    let [m, v, th]: Float32Array[] = [new Float32Array(280), new Float32Array(280), theta];
    for (let t = 1; t <= 3; t++) {
      const { stepSize, sqrtBc2 } = adamScalars(1e-3, c, t);
      const f = (data: Float32Array, sh: number[] = shape) => ({ data, shape: sh });
      const out = await runGraphOnce(g.toModel('adam'), {
        theta: f(th),
        m: f(m),
        v: f(v),
        g: f(grad),
        stepSize: f(Float32Array.of(stepSize), []),
        sqrtBc2: f(Float32Array.of(sqrtBc2), []),
      });
      tf.tidy(() => adam.apply([tf.tensor(grad, shape)]));
      [th, m, v] = [out.theta_next, out.m_next, out.v_next];
      expect(Array.from(th), `step ${t}`).toEqual(Array.from(variable.dataSync()));
      expect(Array.from(m)).toEqual(Array.from(adam.state().m[0]));
    }
    adam.dispose();
    variable.dispose();
  });

  it('the tfjs engine keeps its kernel budgets (spring HNN <= 80, pixel one-step <= 250) and leaks no tensor', async () => {
    const model = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: [200, 200] }, 0);
    const def = stateStepDefinition(model.spec, stateVariables(model, { weightDecay: 1e-4 }), 750, 2);
    const engine = new TfjsStepEngine(def, model.variables(), new Adam(model.variables(), { weightDecay: 1e-4 }), true);
    const data = [random(1500, 1), random(1500, 2)];
    engine.stepSync(data);
    const after1 = tf.memory().numTensors;
    const spring = await tf.profile(() => void engine.stepSync(data));
    expect(tf.memory().numTensors).toBe(after1);
    expect(spring.kernels.length).toBeLessThanOrEqual(80);
    engine.dispose();
    model.dispose();

    const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, {}, true);
    const pixel = PixelModel.init(cfg.spec, 0);
    const pdef = windowStepDefinition(pixel.spec, null, pixelVariables(pixel, cfg), { K: 1, count: 200, width: pixel.input }, cfg.loss);
    const pEngine = new TfjsStepEngine(
      pdef,
      pixel.variables(),
      new Adam(pixel.variables(), { weightDecay: pdef.variables.map((v) => v.weightDecay) }),
      true,
    );
    const pairs = random(400 * pixel.input, 3, (r) => r.uniform());
    // the reported terms at full size equal sampleLosses' (a float32 mean over 313k squares would not)
    const want = tf.tidy(() => {
      const t = pixel.loss(
        tf.tensor2d(pairs.subarray(0, 200 * pixel.input), [200, pixel.input]),
        tf.tensor2d(pairs.subarray(200 * pixel.input), [200, pixel.input]),
        cfg.loss,
      );
      return [t.recon, t.consistency, t.hnn].map((x) => x.dataSync()[0]);
    });
    let got: Float32Array = new Float32Array(0);
    const joint = await tf.profile(() => void (got = pEngine.stepSync([pairs, pairs.subarray(0, 200 * pixel.input)])));
    expect(joint.kernels.length).toBeLessThanOrEqual(250);
    want.forEach((w, i) => expect(Math.abs(got[i] - w) / w, `term ${i}`).toBeLessThan(2e-5));
    pEngine.dispose();
    pixel.dispose();
  });
});

describe("a pixel run's training curve on ONNX Runtime", () => {
  it("runs the forward pass alone, and its terms over 1000 rows are splitSampleLosses' means to float32 noise", async () => {
    await initBackend('wasm');
    for (const latentStep of ['leapfrog', 'euler'] as const) {
      const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, {}, false);
      const loss = { ...cfg.loss, latentStep };
      const pixel = PixelModel.init(cfg.spec, 1);
      const w = pixel.input;
      const [x, next] = [random(1000 * w, 4, (r) => r.uniform()), random(1000 * w, 5, (r) => r.uniform())];
      const { def, data } = curveDefinition(pixel, { ...cfg, loss }, { x, next, rows: 1000 });
      // no gradient node reaches the terms: the model holds under half of the step's nodes
      expect(termsGraph(def).nodeCount).toBeLessThan(gradientGraph(def).nodeCount / 2);
      const ev = await OrtTermsEvaluator.create(def, data, { provider: 'cpu', threads: 2 });
      const got = await ev.terms(pixel.variables().map((v) => v.dataSync() as Float32Array));
      ev.dispose();
      const s = splitSampleLosses(pixel, { x, next, rows: 1000 }, loss);
      const want = [s.recon, s.consistency, s.hnn].map((a) => a.reduce((p, q) => p + q, 0) / a.length);
      want.forEach((v, i) => expect(Math.abs(got[i] - v) / v, `${latentStep} term ${i}`).toBeLessThan(1e-5));
      pixel.dispose();
    }
  });
});

describe('the pixel step fed the lit input columns alone, on ONNX Runtime', () => {
  it("tracks the dense step over 20 updates at the protocol's shapes, with the unlit rows' bytes the same", async () => {
    await initBackend('wasm');
    const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, {}, true);
    const pixel = PixelModel.init(cfg.spec, 0);
    const width = pixel.input;
    const rng = new Rng(9);
    const lit = Uint8Array.from({ length: width }, () => (rng.uniform() < 0.2 ? 1 : 0));
    const rows = 600;
    const frames = random(rows * width, 8, (r) => r.uniform()).map((v, i) => (lit[i % width] ? v : 0));
    const split = { x: frames.subarray(0, 300 * width), next: frames.subarray(300 * width), rows: 300 };
    const active = inputColumnsOf(pixel, split)!;
    expect(active.columns.length).toBe(lit.reduce((a, b) => a + b, 0));
    const narrow = splitColumns(split, width, active.columns);
    const engines = await Promise.all(
      [active, null].map((a) =>
        OrtStepEngine.create(
          windowStepDefinition(pixel.spec, null, pixelVariables(pixel, cfg), { K: 1, count: 200, width, active: a }, cfg.loss),
          pixel.variables().map((v) => v.dataSync() as Float32Array),
          adamSettings(1e-3),
          { provider: 'cpu', threads: 2 },
        ),
      ),
    );
    const initial = pixel.variables().map((v) => v.dataSync() as Float32Array);
    const order = new Rng(3);
    for (let step = 0; step < 20; step++) {
      const at = order.sample(300, 200);
      const pick = (src: Float32Array, w: number, from: Float32Array) =>
        at.forEach((r, i) => src.set(from.subarray(r * w, (r + 1) * w), i * w));
      const [xn, xd] = [new Float32Array(400 * active.columns.length), new Float32Array(400 * width)];
      pick(xn.subarray(0, 200 * active.columns.length), active.columns.length, narrow.x);
      pick(xn.subarray(200 * active.columns.length), active.columns.length, narrow.next);
      pick(xd.subarray(0, 200 * width), width, split.x);
      pick(xd.subarray(200 * width), width, split.next);
      const head = xd.slice(0, 200 * width);
      const [a, b] = [await engines[0].step([xn, head]), await engines[1].step([xd, head])];
      // the first update from the same weights agrees to float32 rounding; later ones drift apart as
      // Adam's normalised steps amplify it (the small consistency term most: 2e-3 after 12 here)
      a.forEach((t, i) => expect(Math.abs(t - b[i]) / b[i], `step ${step} term ${i}`).toBeLessThan(step ? 1e-2 : 1e-6));
      if (step === 0) {
        const [wa, wb] = engines.map((e) => e.weights());
        wa.forEach((w, v) => {
          const moved = w.reduce((m, x, i) => Math.max(m, Math.abs(x - initial[v][i])), 0);
          const gap = w.reduce((m, x, i) => Math.max(m, Math.abs(x - wb[v][i])), 0);
          // Adam's first step is lr g / (|g| + eps): a gradient near eps moves by its rounding
          expect(gap / moved, `variable ${v}`).toBeLessThan(1e-2);
        });
      }
    }
    const [wa, wb] = engines.map((e) => e.weights());
    // the first weight [width, hidden]: an unlit column's row sees its decay alone, the same bytes either way
    const hidden = wa[0].length / width;
    for (let c = 0; c < width; c++)
      if (!lit[c]) expect(wa[0].subarray(c * hidden, (c + 1) * hidden)).toEqual(wb[0].subarray(c * hidden, (c + 1) * hidden));
    engines.forEach((e) => e.dispose());
    pixel.dispose();
  });
});

describe('a pixel run on ONNX Runtime', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'hnn-ort-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('killed after 17 updates and resumed ends with the same weight bytes as an uninterrupted run', async () => {
    await initBackend('ort');
    const width = 2 * 6 * 6;
    const frames = random(5 * 12 * width, 4, (r) => r.uniform());
    const data: PixelData = {
      frameSize: 6,
      perTrial: 12,
      train: { x: frames, next: frames.map((v) => 1 - v), rows: 60 },
      test: { x: frames.subarray(0, 12 * width), next: frames.subarray(0, 12 * width), rows: 12 },
    };
    const cfg = {
      ...pixelTrainConfig(pixelPendulumTask, 'hnn', 3, 6, { steps: 29, batchSize: 16, logEvery: 10, checkpointEvery: 5 }),
      threads: 1,
    };
    cfg.spec = { ...cfg.spec, hidden: 16, dynHidden: [12, 12] };
    const full = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'a.bin') });
    expect(full.engine).toMatch(/onnxruntime-node cpu, 1 thread/);
    const killed = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'b.bin'), stopAfter: 17 });
    expect(killed.finished).toBe(false);
    const resumed = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'b.bin'), resume: true });
    expect(resumed.startStep).toBe(17);
    const [a, b] = [full.model.read(), resumed.model.read()];
    for (const k of Object.keys(a))
      expect(Buffer.from(Float32Array.from(a[k].values).buffer).equals(Buffer.from(Float32Array.from(b[k].values).buffer)), k).toBe(true);
    [full, killed, resumed].forEach((r) => r.model.dispose());
    await initBackend('wasm');
  });
  it("the run's first line says when --threads exceeds the cores (the threads then take turns, which is slower)", () => {
    const ort: BackendInfo = { name: 'ort-cpu', engine: 'ort', ortProvider: 'cpu', tfjs: 'wasm', package: 'onnxruntime-node', skipped: [] };
    const cores = availableParallelism();
    expect(describeBackend(ort, cores)).toBe(
      `backend: training on ONNX Runtime (cpu, ${cores} thread${cores > 1 ? 's' : ''}), evaluation on tfjs wasm`,
    );
    expect(describeBackend(ort, cores + 1)).toMatch(
      new RegExp(`\\(cpu, ${cores + 1} threads on ${cores} cores?: more threads than cores, which is slower\\)`),
    );
  });
});
