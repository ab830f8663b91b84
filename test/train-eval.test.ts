// Training and metrics against hand-computed cases, plus a small spring run where the HNN must
// conserve energy better than the baseline.
import { describe, expect, it, beforeAll, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { Adam } from '../src/train/adam.ts';
import { groupedInterval, squaredErrorStats, withSpread } from '../src/eval/stats.ts';
import { energyMseAgainst, trueRollouts } from '../src/eval/energy.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { energyEvalConfig } from '../datasets/energy-eval.ts';
import { spring } from '../src/systems/spring.ts';
import { trainStateModel } from '../src/train/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { fieldFunction } from '../models/f64.ts';
import { formatSeconds, startProgress } from '../src/util/progress.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Adam with coupled weight decay', () => {
  /** PyTorch's Adam by hand: theta after each gradient of `grads`, with coupled L2 coefficient wd. */
  function reference(theta0: number[], grads: number[][], lr: number, wd: number): number[] {
    const ref = [...theta0];
    const m = ref.map(() => 0);
    const v = ref.map(() => 0);
    grads.forEach((g, t) => {
      for (let i = 0; i < ref.length; i++) {
        const gi = g[i] + wd * ref[i]; // coupled L2: added to the gradient (not AdamW)
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        const mHat = m[i] / (1 - 0.9 ** (t + 1));
        const vHat = v[i] / (1 - 0.999 ** (t + 1));
        ref[i] -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    });
    return ref;
  }
  const grads = [
    [0.5, -1, 2],
    [0.1, 0.3, -0.2],
    [-0.4, 0.2, 0.05],
  ];

  it('matches a hand-written PyTorch-style update over several steps', () => {
    const theta = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const adam = new Adam([theta], { lr: 0.01, weightDecay: 0.1 });
    for (const g of grads) adam.apply([tf.tensor1d(g)]);
    const got = theta.dataSync();
    reference([1, -2, 0.5], grads, 0.01, 0.1).forEach((r, i) => expect(got[i]).toBeCloseTo(r, 6));
    expect(adam.steps).toBe(3);
  });

  it('takes one decay coefficient per variable', () => {
    const a = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const b = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const adam = new Adam([a, b], { lr: 0.01, weightDecay: [0.1, 0] });
    for (const g of grads) adam.apply([tf.tensor1d(g), tf.tensor1d(g)]);
    const [ga, gb] = [a.dataSync(), b.dataSync()];
    reference([1, -2, 0.5], grads, 0.01, 0.1).forEach((r, i) => expect(ga[i]).toBeCloseTo(r, 6));
    reference([1, -2, 0.5], grads, 0.01, 0).forEach((r, i) => expect(gb[i]).toBeCloseTo(r, 6));
    expect(() => new Adam([a, b], { weightDecay: [0.1] })).toThrow(/1 weight decay coefficients for 2 variables/);
  });
});

describe('progress times', () => {
  it('rounds before splitting into units, so no field reads 60', () => {
    expect([0.4, 59.4, 59.6, 61, 299.7, 3599.4, 3599.6, 7170, 7199].map(formatSeconds)).toEqual([
      '0s',
      '59s',
      '1m00s',
      '1m01s',
      '5m00s',
      '59m59s',
      '1h00m',
      '2h00m',
      '2h00m',
    ]);
    expect(formatSeconds(Infinity)).toBe('?');
  });

  it("a resumed job's ETA counts only the units it has done itself", () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const now = vi.spyOn(performance, 'now').mockReturnValue(1000);
    try {
      const p = startProgress(100, 'job', false, 50); // resumed at unit 50
      now.mockReturnValue(11_000); // 10 units in 10 s: 40 left take 40 s (not 40 x 10 / 60)
      p.update(60);
      expect(lines.join('')).toMatch(/job 60\/100 \(60%\) elapsed 10s ETA 40s/);
    } finally {
      write.mockRestore();
      now.mockRestore();
    }
  });
});

describe('statistics', () => {
  it('mean and std/sqrt(rows) of squared errors, by hand', () => {
    // elements 1, 2, 3, 4, 5, 6 (3 rows x 2): mean 3.5, unbiased std sqrt(3.5)
    const s = squaredErrorStats([1, 2, 3, 4, 5, 6], 3);
    expect(s.mean).toBeCloseTo(3.5, 12);
    expect(s.sem).toBeCloseTo(Math.sqrt(3.5) / Math.sqrt(3), 12);
  });

  it('5-group interval: std of group means / sqrt(5)', () => {
    // groups of 2: means 1, 2, 3, 4, 5 -> std sqrt(2.5)
    const r = groupedInterval([0, 2, 1, 3, 2, 4, 3, 5, 4, 6], 5);
    expect(r.mean).toBeCloseTo(3, 12);
    expect(r.ci).toBeCloseTo(Math.sqrt(2.5) / Math.sqrt(5), 12);
  });

  it('a summary line says in words when there is no spread, never "+- NaN"', () => {
    expect(withSpread(1.5e-3, 2e-4)).toBe('1.500e-3 +- 2.000e-4');
    // fewer values than groups: the interval is NaN (null in metrics.json)
    const few = groupedInterval([1, 2], 5);
    expect(Number.isNaN(few.ci)).toBe(true);
    expect(withSpread(few.mean, few.ci)).toBe('1.500e+0 (no +-: too few rollouts to group)');
  });
});

describe('energy MSE', () => {
  const settings = { ...energyEvalConfig('spring'), rtol: 1e-10, atol: 1e-10 };
  const truth = trueRollouts(settings);

  it('is zero for the true field and for a faster conservative field', () => {
    expect(energyMseAgainst(truth, spring.field, settings).mean).toBeLessThan(1e-16);
    const faster = (t: number, x: Float64Array) => spring.field(t, x).map((v) => 1.3 * v);
    expect(energyMseAgainst(truth, faster, settings).mean).toBeLessThan(1e-16);
  });

  it('matches the closed form for a damped spring: E(t) = E0 exp(-2 gamma t)', () => {
    const gamma = 0.05;
    const damped = (t: number, x: Float64Array) => {
      const f = spring.field(t, x);
      return Float64Array.of(f[0] - gamma * x[0], f[1] - gamma * x[1]);
    };
    const got = energyMseAgainst(truth, damped, settings);
    const expected = settings.initialStates.map((x0) => {
      const e0 = x0[0] ** 2 + x0[1] ** 2;
      let s = 0;
      for (const t of settings.tEval) s += (e0 - e0 * Math.exp(-2 * gamma * t)) ** 2;
      return s / settings.tEval.length;
    });
    expected.forEach((e, k) => expect(got.perTrajectory[k]).toBeCloseTo(e, 8));
    expect(got.mean).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / expected.length, 8);
  });
});

describe('state training', () => {
  it('keeps tf.memory().numTensors flat and the HNN conserves energy better than the baseline', async () => {
    const data = toStateData(buildStateDataset('spring', 0));
    const settings = {
      ...energyEvalConfig('spring'),
      rtol: 1e-9,
      atol: 1e-9,
      initialStates: energyEvalConfig('spring').initialStates.slice(0, 5),
    };
    const truth = trueRollouts(settings);
    const energy: Record<string, number> = {};
    for (const kind of ['baseline', 'hnn'] as const) {
      const before = tf.memory().numTensors;
      const res = await trainStateModel(
        { kind, seed: 0, steps: 400, batchSize: null, weightDecay: 1e-4, lr: 1e-3, hidden: [64, 64], logEvery: 100 },
        data,
        { quiet: true },
      );
      const weights = res.model.mlp.read();
      res.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(res.history.at(-1)!.loss).toBeLessThan(0.06); // noise floor ~0.04
      energy[kind] = energyMseAgainst(truth, fieldFunction(kind, weights), settings).mean;
    }
    expect(energy.hnn * 5).toBeLessThan(energy.baseline);
  });

  it('reports the rows of each batch: a batch size not smaller than the data trains on all of it, as no batch size does', async () => {
    const data = toStateData(buildStateDataset('spring', 0));
    const base = { kind: 'hnn' as const, seed: 0, steps: 3, weightDecay: 1e-4, lr: 1e-3, hidden: [16], logEvery: 3 };
    const train = async (cfg: Partial<Parameters<typeof trainStateModel>[0]>) => {
      const r = await trainStateModel({ ...base, batchSize: null, ...cfg }, data, { quiet: true });
      const out = { rows: r.batchRows, weights: r.model.read() };
      r.model.dispose();
      return out;
    };
    const full = await train({});
    const over = await train({ batchSize: 100_000 });
    expect(full.rows).toBe(data.train.rows);
    expect(over.rows).toBe(data.train.rows);
    expect(Object.keys(over.weights)).toEqual(Object.keys(full.weights));
    for (const k of Object.keys(full.weights))
      expect(Buffer.from(over.weights[k].values.buffer).equals(Buffer.from(full.weights[k].values.buffer))).toBe(true);
    expect((await train({ batchSize: 100 })).rows).toBe(100);
    // windows of the trajectory loss: 25 trajectories of 30 states, K = 3 -> 25 x 27 starts
    expect((await train({ batchSize: 100_000, rolloutSteps: 3, rolloutIntegrator: 'leapfrog' })).rows).toBe(25 * 27);
  });
});
