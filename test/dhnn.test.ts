// The dissipative HNN (models/dynamics.ts): its field is J grad H + P grad D of two scalar tanh MLPs,
// D acting on the momenta alone (checked against finite differences of both scalars in float64), its hand-written pass equals the
// autodiff field and split, both networks have their own seeded streams and saved names, and the
// dissipation measures (src/eval/dissipation.ts) give the friction of a field whose split is known;
// trained briefly, it learns the damped spring's friction and none on the ideal spring; D has its own
// weight decay; measured data can pair their differences with midpoints (the D-HNN paper's targets).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/tf/backend.ts';
import { DynamicsModel } from '../models/dynamics.ts';
import { loadDynamicsModel, saveDynamicsModel } from '../models/storage.ts';
import { fieldPass } from '../models/field-pass.ts';
import { TfjsOps } from '../src/engine/tfjs-ops.ts';
import { dissipationFunction, fieldFunction, fieldPartsFunction, hamiltonianFunction, TanhMlp64 } from '../models/f64.ts';
import { Mlp, type NamedWeights } from '../models/mlp.ts';
import { dissipationAt, dissipationLines, fittedFriction, rowsOf, type FieldParts } from '../src/eval/dissipation.ts';
import { rollout } from '../src/eval/energy.ts';
import { buildStateDataset, linspace, type StateDataset } from '../datasets/state.ts';
import { pendulum } from '../src/systems/pendulum.ts';
import { realPendulumMidpointTask, realPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { dampedSpringTask, springTask } from '../src/tasks/builtin/spring.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { stateVariables, trainStateModel } from '../src/train/state.ts';
import type { StateTrainConfig } from '../src/train/options.ts';
import { Rng } from '../src/util/rng.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const spec = { kind: 'dhnn' as const, dim: 4, hidden: [16, 12] };

function states(rows: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * dim }, () => rng.range(-1.5, 1.5));
}

/** The gradient of g at x by central differences, step 1e-6. */
function centralDifferences(g: (x: ArrayLike<number>) => number, x: Float64Array): number[] {
  const h = 1e-6;
  return Array.from(x, (_, i) => {
    const [a, b] = [Float64Array.from(x), Float64Array.from(x)];
    a[i] += h;
    b[i] -= h;
    return (g(a) - g(b)) / (2 * h);
  });
}

/** The float64 field at x against J grad H + P grad D from central differences of H and the given D; returns the field. */
function expectFieldOfScalars(w: NamedWeights, D: (x: ArrayLike<number>) => number, x: Float64Array): Float64Array {
  const dH = centralDifferences(hamiltonianFunction(w, 'dhnn'), x);
  const dD = centralDifferences(D, x);
  const want = [dH[2], dH[3], -dH[0] + dD[2], -dH[1] + dD[3]];
  const out = fieldFunction('dhnn', w)(0, x);
  for (let i = 0; i < 4; i++) expect(out[i]).toBeCloseTo(want[i], 7);
  return out;
}

/** The tfjs field at x equals the float64 one (`out`); saved and loaded, the model keeps its form and field. Disposes the model. */
async function expectTfjsFieldAndReload(
  model: DynamicsModel,
  x: Float64Array,
  out: Float64Array,
  extra?: (xs: tf.Tensor2D) => void,
): Promise<void> {
  const form = model.spec.dissipation;
  // the tfjs field (the hand-written pass on tfjs) agrees with the float64 one
  const xs = tf.tensor2d(Float32Array.from(x), [1, 4]);
  const got = model.field(xs).dataSync();
  for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(out[i], 5);
  extra?.(xs);
  // saved and loaded, the form comes back with it
  const dir = mkdtempSync(join(tmpdir(), `hnn-dhnn-${form}-`));
  await saveDynamicsModel(dir, model);
  const loaded = loadDynamicsModel(dir);
  expect(loaded.model.spec.dissipation).toBe(form);
  expect(Array.from(loaded.model.field(xs).dataSync())).toEqual(Array.from(got));
  tf.dispose(xs);
  loaded.model.dispose();
  model.dispose();
}

describe('the D-HNN field', () => {
  it('is J grad H + P grad D: the float64 field against central finite differences of the two scalars', () => {
    const model = DynamicsModel.init(spec, 3);
    const w = model.read();
    model.dispose();
    const H = hamiltonianFunction(w, 'dhnn');
    const dNet = new TanhMlp64(w, 'dhnn-d');
    const D = (x: ArrayLike<number>) => dNet.forward(x)[0];
    const f = fieldFunction('dhnn', w);
    const parts = fieldPartsFunction(w);
    const grad = dissipationFunction(w);
    const x = Float64Array.of(0.3, -0.7, 1.1, 0.4);
    const dH = centralDifferences(H, x);
    const dD = centralDifferences(D, x);
    // D acts on the momenta: dq/dt is dH/dp alone, dp/dt = -dH/dq + dD/dp
    const wantD = [0, 0, dD[2], dD[3]];
    const want = [dH[2], dH[3], -dH[0] + dD[2], -dH[1] + dD[3]];
    expect(Math.min(...dD.map(Math.abs))).toBeGreaterThan(1e-4); // D's position gradient is there to be dropped
    const out = f(0, x);
    const p = parts(x);
    for (let i = 0; i < 4; i++) {
      expect(out[i]).toBeCloseTo(want[i], 7);
      expect(grad(x)[i]).toBeCloseTo(wantD[i], 7);
      expect(p.dissipative[i]).toBeCloseTo(wantD[i], 7);
      expect(p.conservative[i] + p.dissipative[i]).toBeCloseTo(out[i], 12);
    }
  });

  it('in the even form is J grad H + P grad D_s, D_s(q, p) = (D(q, p) + D(q, -p)) / 2: odd in p, against finite differences, tfjs and float64 alike', async () => {
    const even = { ...spec, dissipation: 'even' as const };
    const model = DynamicsModel.init(even, 3);
    const w = model.read();
    expect(Object.keys(w).some((k) => k.startsWith('dhnn-de/'))).toBe(true); // the weights name the form
    const dNet = new TanhMlp64(w, 'dhnn-de');
    const Ds = (x: ArrayLike<number>) => (dNet.forward(x)[0] + dNet.forward([x[0], x[1], -x[2], -x[3]])[0]) / 2;
    const grad = dissipationFunction(w);
    const x = Float64Array.of(0.3, -0.7, 1.1, 0.4);
    const out = expectFieldOfScalars(w, Ds, x);
    // D's part is odd in p: a force of the positions alone cannot sit in it
    const mirrored = grad(Float64Array.of(0.3, -0.7, -1.1, -0.4));
    for (let i = 0; i < 4; i++) expect(mirrored[i]).toBeCloseTo(-grad(x)[i], 12);
    expect(Math.abs(grad(x)[2])).toBeGreaterThan(1e-4);
    await expectTfjsFieldAndReload(model, x, out);
  });

  it('in the Rayleigh form is J grad H + P grad D, D = sum_i g_i(q) p_i^2 / 2: linear in p, against finite differences, tfjs and float64 alike', async () => {
    const rayleigh = { ...spec, dissipation: 'rayleigh' as const };
    const model = DynamicsModel.init(rayleigh, 3);
    const w = model.read();
    expect(w['dhnn-dr/w0'].shape).toEqual([2, 16]); // g takes the positions alone
    const g = new TanhMlp64(w, 'dhnn-dr');
    const D = (x: ArrayLike<number>) => {
      const gq = g.forward([x[0], x[1]]);
      return (gq[0] * x[2] ** 2 + gq[1] * x[3] ** 2) / 2;
    };
    const grad = dissipationFunction(w);
    const x = Float64Array.of(0.3, -0.7, 1.1, 0.4);
    const out = expectFieldOfScalars(w, D, x);
    expect(Math.abs(centralDifferences(D, x)[0])).toBeGreaterThan(1e-4); // D's position gradient is there to be dropped
    // D's part is linear in p at fixed q
    const doubled = grad(Float64Array.of(0.3, -0.7, 2.2, 0.8));
    for (let i = 0; i < 4; i++) expect(doubled[i]).toBeCloseTo(2 * grad(x)[i], 12);
    // D itself, as the field uses it, agrees with the float64 one
    await expectTfjsFieldAndReload(model, x, out, (xs) => expect(model.dissipation(xs).dataSync()[0]).toBeCloseTo(D(x), 5));
  });

  it('the autodiff field, its split and the hand-written pass agree with the float64 field', () => {
    const model = DynamicsModel.init(spec, 4);
    const w = model.read();
    const xs = states(12, 4, 1);
    const x = tf.tensor2d(xs, [12, 4]);
    const auto = model.field(x).dataSync();
    const split = model.fieldParts(x);
    const [c, d] = [split.conservative.dataSync(), split.dissipative.dataSync()];
    const fast = tf.tidy(() => fieldPass(new TfjsOps(), model.params(), x).field).dataSync();
    const f = fieldFunction('dhnn', w);
    const grad = dissipationFunction(w);
    for (let r = 0; r < 12; r++) {
      const row = Float64Array.from(xs.subarray(r * 4, r * 4 + 4));
      const [want, wantD] = [f(0, row), grad(row)];
      for (let j = 0; j < 4; j++) {
        expect(auto[r * 4 + j]).toBeCloseTo(want[j], 5);
        expect(fast[r * 4 + j]).toBeCloseTo(want[j], 5);
        expect(d[r * 4 + j]).toBeCloseTo(wantD[j], 5);
        expect(c[r * 4 + j] + d[r * 4 + j]).toBeCloseTo(want[j], 5);
      }
    }
    tf.dispose([x, split.conservative, split.dissipative]);
    model.dispose();
  });

  it('draws H from init:dhnn and D from init:dhnn-d, saves both under their names, and loads them back exactly', async () => {
    const model = DynamicsModel.init({ kind: 'dhnn', dim: 2, hidden: [8, 8] }, 7);
    const w = model.read();
    const h = Mlp.init({ sizes: [2, 8, 8, 1], activation: 'tanh', outputBias: false }, 7, 'dhnn');
    const d = Mlp.init({ sizes: [2, 8, 8, 1], activation: 'tanh', outputBias: false }, 7, 'dhnn-d');
    for (const [net, prefix] of [
      [h, 'dhnn'],
      [d, 'dhnn-d'],
    ] as const) {
      const own = net.read();
      for (const k of net.keys) expect(Array.from(w[k].values), `${prefix} ${k}`).toEqual(Array.from(own[k].values));
      net.dispose();
    }
    expect(model.keys()).toEqual([...h.keys, ...d.keys]);
    expect(Array.from(w['dhnn/w0'].values)).not.toEqual(Array.from(w['dhnn-d/w0'].values));
    const dir = mkdtempSync(join(tmpdir(), 'hnn-dhnn-'));
    await saveDynamicsModel(dir, model);
    const loaded = loadDynamicsModel(dir);
    const x = tf.tensor2d(states(5, 2, 2), [5, 2]);
    expect(Array.from(loaded.model.field(x).dataSync())).toEqual(Array.from(model.field(x).dataSync()));
    // a D-HNN saved before D acted on the momenta alone (no dissipation form in its topology) is refused
    const json = join(dir, 'model.json');
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.modelTopology.dissipation).toBe('momenta');
    delete saved.modelTopology.dissipation;
    writeFileSync(json, JSON.stringify(saved));
    expect(() => loadDynamicsModel(dir)).toThrow(/saved by an earlier version, whose D acted on every coordinate.*retrain it/);
    // weights without D's: refused, and nothing left allocated
    const before = tf.memory().numTensors;
    const onlyH = Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith('dhnn/')));
    expect(() => DynamicsModel.fromWeights({ kind: 'dhnn', dim: 2, hidden: [8, 8] }, onlyH)).toThrow(/dhnn-d\/w0/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    loaded.model.dispose();
    model.dispose();
  });
});

describe('dissipation measures', () => {
  const gamma = 0.05;
  const damped = pendulum.withFriction(gamma);
  /** The damped pendulum's exact split: J grad H and the friction term (0, -gamma dH/dp). */
  const exact: FieldParts = (x) => {
    const g = new Float64Array(2);
    damped.gradient(Float64Array.from(x), g);
    return { conservative: [g[1], -g[0]], dissipative: [0, -gamma * g[1]] };
  };
  const rng = new Rng(5);
  const points = Array.from({ length: 200 }, () => Float64Array.of(rng.range(-2, 2), rng.range(-2, 2)));

  it("give the system's friction for its exact split, and zero for a conservative field", () => {
    const at = dissipationAt(damped, gamma, exact, points);
    expect(at.learnedGamma).toBeCloseTo(gamma, 12);
    expect(at.rate).toBeCloseTo(at.trueRate, 12);
    expect(at.share).toBeCloseTo(at.trueShare, 12);
    expect(at.share).toBeGreaterThan(0);
    const none = dissipationAt(pendulum, 0, (x) => ({ conservative: exact(x).conservative, dissipative: [0, 0] }), points);
    expect(none).toMatchObject({ rate: 0, trueRate: 0, learnedGamma: 0, share: 0, trueShare: 0 });
  });

  it("print the learned friction as a share of the data's, to 0.1%, and none against a friction of 0", () => {
    const at = (learnedGamma: number) => ({ rate: 0, trueRate: 0, learnedGamma, share: 0.03, trueShare: 0.03, points: 1 });
    const summary = (learned: number, data: number) => ({
      gamma: data,
      gammaSource: 'system' as const,
      rollouts: at(learned),
      test: at(learned / 2),
      description: '',
    });
    // 0.03996 prints as 0.0400 to 4 decimals: the share says it is outside a 20% band of 0.05
    expect(dissipationLines(summary(0.03996, 0.05))[0]).toBe(
      '  learned friction 0.0400 along the rollouts, 0.0200 at the test inputs (data: 0.0500; 79.9% / 40.0% of it)',
    );
    expect(dissipationLines(summary(1e-9, 0))[0]).toBe(
      '  learned friction 0.0000 along the rollouts, 0.0000 at the test inputs (data: 0.0000)',
    );
  });

  it('map a latent field to the state: x = A z + c, velocities A v / frameDt', () => {
    // z = A^-1 (x - c), latent velocities frameDt A^-1 v: the friction is unchanged by the map
    const [a, c, dt] = [
      [
        [2, 1],
        [0.5, -1],
      ],
      [0.3, -0.2],
      0.05,
    ];
    const det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    const inv = [
      [a[1][1] / det, -a[0][1] / det],
      [-a[1][0] / det, a[0][0] / det],
    ];
    const apply = (m: number[][], v: ArrayLike<number>) => [m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1]];
    const latent: FieldParts = (z) => {
      const az = apply(a, z);
      const { conservative, dissipative } = exact([az[0] + c[0], az[1] + c[1]]);
      return { conservative: apply(inv, conservative).map((v) => v * dt), dissipative: apply(inv, dissipative).map((v) => v * dt) };
    };
    const zs = points.map((x) => Float64Array.from(apply(inv, [x[0] - c[0], x[1] - c[1]])));
    const at = dissipationAt(damped, gamma, latent, zs, { matrix: a, offset: c, timeScale: dt });
    expect(at.learnedGamma).toBeCloseTo(gamma, 10);
    expect(at.share).toBeCloseTo(at.trueShare, 10);
  });

  it("fit the friction of a measured trajectory from its energy's decay", () => {
    const t = linspace(0, 20, 400);
    const r = rollout(damped.field, Float64Array.of(1.2, 0.5), { tEval: t, rtol: 1e-10, atol: 1e-10, energy: damped.energy });
    expect(fittedFriction(pendulum, t, r.y)).toBeCloseTo(gamma, 4);
    expect(rowsOf(r.y, 2)).toHaveLength(400);
  });
});

/** The weights of a D-HNN trained on `ds` with `cfg`: full batch, lr 1e-2, weight decay 1e-4, no log lines. */
async function trainedDhnn(
  ds: StateDataset,
  cfg: Omit<StateTrainConfig, 'kind' | 'batchSize' | 'weightDecay' | 'lr'>,
): Promise<NamedWeights> {
  const config = { kind: 'dhnn' as const, batchSize: null, weightDecay: 1e-4, lr: 1e-2, logEvery: 1e9, ...cfg };
  const { model } = await trainStateModel(config, toStateData(ds), { quiet: true });
  const w = model.read();
  model.dispose();
  return w;
}

describe('a D-HNN trained briefly (16 x 16 tanh, 200 full-batch steps, noise-free spring data)', () => {
  it("learns the damped spring's friction and none on the ideal spring", async () => {
    const learned: Record<string, number> = {};
    for (const task of [dampedSpringTask, springTask]) {
      const ds = buildStateDataset(task, 0, { noiseStd: 0 });
      const w = await trainedDhnn(ds, { seed: 0, steps: 200, hidden: [16, 16] });
      const at = dissipationAt(task.system, task.system.friction, fieldPartsFunction(w), rowsOf(ds.testX, 2));
      learned[task.name] = at.learnedGamma;
    }
    // the damped spring's friction is 0.05 (measured: 0.047); the ideal spring's 0 (measured: -0.002)
    expect(learned['damped-spring']).toBeGreaterThan(0.035);
    expect(learned['damped-spring']).toBeLessThan(0.065);
    expect(Math.abs(learned.spring)).toBeLessThan(0.01);
  });
});

describe("D's own weight decay", () => {
  it('defaults to the weight decay of H, and a different one changes only what D sees', async () => {
    const ds = buildStateDataset(springTask, 0, { noiseStd: 0 });
    // the constant schedule: the decay's own effect (a relaxed run whose D survives is trained again without it)
    const weights = (extra: { dissipationWeightDecay?: number }) =>
      trainedDhnn(ds, { seed: 1, steps: 5, hidden: [8, 8], dissipationSchedule: 'constant', ...extra });
    const [plain, same, strong] = [
      await weights({}),
      await weights({ dissipationWeightDecay: 1e-4 }),
      await weights({ dissipationWeightDecay: 10 }),
    ];
    for (const k of Object.keys(plain)) expect(Array.from(same[k].values), k).toEqual(Array.from(plain[k].values));
    // the first update is the same (Adam's first step does not depend on the gradient's scale), then D shrinks
    const norm = (w: typeof plain) =>
      Math.hypot(...Object.entries(w).flatMap(([k, v]) => (k.startsWith('dhnn-d') ? Array.from(v.values) : [])));
    expect(norm(strong)).toBeLessThan(norm(plain));
  });
});

describe("the variables D's weight decay acts on", () => {
  it("spare D's output layer by default ('hidden'), and take every variable of D with 'all'; H keeps its own", () => {
    const model = DynamicsModel.init({ kind: 'dhnn', dim: 2, hidden: [8, 8], dissipation: 'even' }, 0);
    try {
      const decays = (dissipationDecayOn?: 'hidden' | 'all') =>
        Object.fromEntries(
          stateVariables(model, { weightDecay: 1e-4, dissipationWeightDecay: 3e-4, dissipationDecayOn }).map((v) => [v.key, v.weightDecay]),
        );
      const hidden = { 'dhnn-de/w0': 3e-4, 'dhnn-de/b0': 3e-4, 'dhnn-de/w1': 3e-4, 'dhnn-de/b1': 3e-4, 'dhnn-de/w2': 0 };
      const h = { 'dhnn/w0': 1e-4, 'dhnn/b0': 1e-4, 'dhnn/w1': 1e-4, 'dhnn/b1': 1e-4, 'dhnn/w2': 1e-4 };
      expect(decays()).toEqual({ ...h, ...hidden });
      expect(decays('hidden')).toEqual({ ...h, ...hidden });
      expect(decays('all')).toEqual({ ...h, ...hidden, 'dhnn-de/w2': 3e-4 });
    } finally {
      model.dispose();
    }
  });

  it("train to different weights, each scope as its variables' decays say", async () => {
    const ds = buildStateDataset(dampedSpringTask, 0, { noiseStd: 0 });
    const weights = (dissipationDecayOn: 'hidden' | 'all') =>
      trainedDhnn(ds, { seed: 1, steps: 60, hidden: [8, 8], dissipationWeightDecay: 1, dissipationDecayOn });
    const [hidden, all] = [await weights('hidden'), await weights('all')];
    const norm = (v: { values: ArrayLike<number> }) => Math.hypot(...Array.from(v.values));
    // a strong decay on the output layer shrinks it; spared, it keeps its size
    expect(norm(all['dhnn-de/w2'])).toBeLessThan(0.5 * norm(hidden['dhnn-de/w2']));
    expect(Array.from(all['dhnn/w0'].values)).not.toEqual(Array.from(hidden['dhnn/w0'].values)); // H sees D's change
  });
});

describe('measured data with midpoint targets (real-pendulum-midpoint)', () => {
  it('pair each forward difference with the midpoint of its two measurements', () => {
    const fwd = buildStateDataset(realPendulumTask, 0);
    const mid = buildStateDataset(realPendulumMidpointTask, 0);
    expect([mid.trainRows, mid.testRows]).toEqual([fwd.trainRows, fwd.testRows]);
    expect(Array.from(mid.trainDx)).toEqual(Array.from(fwd.trainDx));
    // rows are consecutive in time within the train split: midpoint i = (x_i + x_{i+1}) / 2
    for (let i = 0; i + 1 < fwd.trainRows; i++)
      for (let j = 0; j < 2; j++) expect(mid.trainX[2 * i + j]).toBeCloseTo((fwd.trainX[2 * i + j] + fwd.trainX[2 * (i + 1) + j]) / 2, 12);
    expect(mid.trainT[0]).toBeCloseTo((fwd.trainT[0] + fwd.trainT[1]) / 2, 12);
  });

  it('remove the friction a forward difference reads on an orbit (an exact conservative pendulum)', () => {
    // sampled every 1/6 s like the measured data: forward differences lean inwards, midpoints do not
    const h = 1 / 6;
    const t = linspace(0, 20, 121);
    const r = rollout(pendulum.field, Float64Array.of(1.2, 0.3), { tEval: t, rtol: 1e-11, atol: 1e-11, energy: pendulum.energy });
    const rate = (midpoint: boolean) => {
      const g = new Float64Array(2);
      let s = 0;
      for (let i = 0; i + 1 < t.length; i++) {
        const [a, b] = [r.y.subarray(2 * i, 2 * i + 2), r.y.subarray(2 * i + 2, 2 * i + 4)];
        pendulum.gradient(midpoint ? Float64Array.of((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) : Float64Array.from(a), g);
        s += (g[0] * (b[0] - a[0])) / h + (g[1] * (b[1] - a[1])) / h;
      }
      return s / (t.length - 1);
    };
    expect(rate(false)).toBeLessThan(-0.05);
    expect(Math.abs(rate(true))).toBeLessThan(0.1 * Math.abs(rate(false)));
  });
});
