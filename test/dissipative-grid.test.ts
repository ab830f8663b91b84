// The D-HNN paper's damped-spring protocol and the honest-table pieces around it: numpy's legacy
// permutation draw for draw (values printed by numpy 2.4 here: np.random.seed(s);
// np.random.permutation(n)), the grid dataset row for row as the reference builds it, a system that
// damps its position, the learned friction measured against the damped coordinates, the warning when
// D was regularised away, the test-loss statistics (final, mean of the last k), the per-seed table, and
// the protocol comparison that refuses to reuse a run trained otherwise.
import { describe, expect, it } from 'vitest';
import { NumpyLegacyRandom } from '../src/util/numpy-random.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { gridStates } from '../datasets/grid.ts';
import { positionDampedSpring, spring } from '../src/systems/spring.ts';
import { dampedSpringGridTask } from '../src/tasks/builtin/spring.ts';
import { countWithinBand, dissipationAt, frictionWarning, FRICTION_FLOOR } from '../src/eval/dissipation.ts';
import { parseStatistic, testLossOf } from '../src/eval/statistic.ts';
import { median } from '../src/eval/stats.ts';
import { seedTestTable } from '../src/pipeline/seed-tables.ts';
import { protocolMismatch, stateRunProtocol } from '../src/pipeline/state.ts';
import { reproductionOptions } from '../src/pipeline/sweep/reproduce-queue.ts';
import type { ReproduceOptions } from '../src/pipeline/reproduce.ts';
import { getTask } from '../src/tasks/registry.ts';
import { Rng } from '../src/util/rng.ts';

describe("numpy's legacy permutation", () => {
  it('draws as np.random.permutation after np.random.seed, and leaves the stream where numpy does', () => {
    expect(Array.from(new NumpyLegacyRandom(42).permutation(625).subarray(0, 12))).toEqual([
      447, 485, 215, 212, 480, 515, 163, 77, 527, 145, 265, 31,
    ]);
    expect(Array.from(new NumpyLegacyRandom(0).permutation(625).subarray(0, 12))).toEqual([
      356, 299, 425, 313, 429, 52, 235, 455, 547, 213, 548, 474,
    ]);
    const r = new NumpyLegacyRandom(7);
    expect(Array.from(r.permutation(10))).toEqual([8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
    expect(r.randomSample()).toBe(0.07205113335976154); // the next np.random.rand()
    expect(Array.from(new NumpyLegacyRandom(3).permutation(1))).toEqual([0]);
  });
});

describe('damped-spring-grid: the reference protocol', () => {
  it("builds the reference's rows: a 25 x 25 grid in meshgrid order, shuffled by seed, 531 train and 94 test, exact targets", () => {
    const ds = buildStateDataset('damped-spring-grid', 42);
    expect([ds.trainRows, ds.testRows]).toEqual([531, 94]);
    // rows 0, 530, 531 and 624 of the reference's x[permutation] at seed 42 (numpy printed them)
    expect(Array.from(ds.trainX.subarray(0, 2))).toEqual([0.9999999999999998, 0.5]);
    expect(Array.from(ds.trainX.subarray(1060, 1062))).toEqual([-0.8999999999999999, 0.2999999999999998]);
    expect(Array.from(ds.testX.subarray(0, 2))).toEqual([0.09999999999999987, -0.10000000000000009]);
    expect(Array.from(ds.testX.subarray(186, 188))).toEqual([-1.0, -0.8]);
    // targets dq/dt = 2p - 2q, dp/dt = -2q at the clean grid states; no time
    for (let r = 0; r < ds.trainRows; r++) {
      const [q, p] = [ds.trainX[2 * r], ds.trainX[2 * r + 1]];
      expect(ds.trainDx[2 * r]).toBeCloseTo(2 * p - 2 * q, 14);
      expect(ds.trainDx[2 * r + 1]).toBeCloseTo(-2 * q, 14);
    }
    expect(ds.trainT.every((t) => t === 0)).toBe(true);
    // every grid state once, over both splits
    const all = new Set([
      ...Array.from({ length: 625 }, (_, r) =>
        r < 531 ? ds.trainX.subarray(2 * r, 2 * r + 2) : ds.testX.subarray(2 * (r - 531), 2 * (r - 531) + 2),
      ).map((x) => x.join(',')),
    ]);
    expect(all.size).toBe(625);
    expect(ds.params).toMatchObject({
      source: 'grid',
      noise: 'none',
      frictionOn: 'positions',
      randomDraws: 'np.random.seed(42); np.random.permutation(625)',
    });
    // seed s is the reference's split at seed s; another seed shuffles otherwise
    expect(Array.from(buildStateDataset('damped-spring-grid', 0).trainX.subarray(0, 2))).not.toEqual([1.0, 0.5]);
    expect(() => buildStateDataset('damped-spring-grid', 0, { noiseStd: 0.1 })).toThrow(/takes no options: it is grid data/);
  });

  it("orders a grid as numpy's meshgrid flattens it: the first coordinate fastest, numpy's linspace values", () => {
    const g = gridStates({ min: -1.2, max: 1.2, size: 25 }, 2);
    expect(Array.from(g.subarray(0, 4))).toEqual([-1.2, -1.2, -1.0999999999999999, -1.2]);
    expect(Array.from(g.subarray(2 * 25, 2 * 25 + 2))).toEqual([-1.2, -1.0999999999999999]);
    expect(g[2 * 24]).toBe(1.2);
    expect(g[2 * 3]).toBe(-0.8999999999999999); // numpy: -1.2 + 3 * (2.4 / 24), not -1.2 + 2.4 * 3 / 24
    expect(gridStates({ min: 0, max: 1, size: 2 }, 4).length).toBe(16 * 4);
  });

  it("carries the reference's protocol and the paper's figures; its system damps the position", () => {
    const task = getTask('damped-spring-grid');
    expect(task).toBe(dampedSpringGridTask);
    expect(dampedSpringGridTask.train).toMatchObject({
      steps: 4999,
      batchSize: null,
      weightDecay: 0,
      lr: 1e-3,
      hidden: [256, 256],
      evalEvery: 100,
    });
    const f = dampedSpringGridTask.publishedDissipative!;
    [5.75e-5, 9.86e-5, 0.626].forEach((v, i) =>
      expect([f.figures.dhnn!.test![0], f.figures.baseline!.test![0], f.figures.hnn!.test![0]][i] / f.scale).toBeCloseTo(v, 12),
    );
    const x = Float64Array.of(0.3, -0.7);
    expect(Array.from(positionDampedSpring.field(0, x))).toEqual([2 * -0.7 - 2 * 0.3, -2 * 0.3]);
    expect(positionDampedSpring.frictionOn).toBe('positions');
    expect(positionDampedSpring.withFriction(0.5).frictionOn).toBe('positions');
    expect(spring.frictionOn).toBe('momenta');
    // the energy drains at gamma |dH/dq|^2 = 4 q^2
    const g = new Float64Array(2);
    positionDampedSpring.gradient(x, g);
    const drain = -(g[0] * positionDampedSpring.field(0, x)[0] + g[1] * positionDampedSpring.field(0, x)[1]);
    expect(drain).toBeCloseTo(4 * 0.3 * 0.3, 14);
  });
});

describe('the learned friction against the damped coordinates', () => {
  const pts = Array.from({ length: 50 }, (_, i) => {
    const r = new Rng(i);
    return Float64Array.of(r.range(-1, 1), r.range(-1, 1));
  });
  it('reads the true split of a position-damped field as its friction, and 0 for no D part', () => {
    const g = new Float64Array(2);
    const exact = (x: ArrayLike<number>) => {
      positionDampedSpring.gradient(Float64Array.from(x), g);
      return { conservative: Float64Array.of(g[1], -g[0]), dissipative: Float64Array.of(-g[0], 0) };
    };
    const d = dissipationAt(positionDampedSpring, 1, exact, pts);
    expect(d.learnedGamma).toBeCloseTo(1, 12);
    expect(d.rate).toBeCloseTo(d.trueRate, 12);
    const none = dissipationAt(positionDampedSpring, 1, (x) => ({ ...exact(x), dissipative: Float64Array.of(0, 0) }), pts);
    expect(none.learnedGamma).toBe(0);
  });

  it('warns when damped data got a D at the floor, and not otherwise', () => {
    const at = (learnedGamma: number) => ({ rate: 0, trueRate: 0, learnedGamma, share: 0, trueShare: 0, points: 1 });
    expect(frictionWarning(0.05, at(1e-15), at(-2e-15))).toMatch(
      /under 1% of the data's 0\.050: D was regularised away.*--dissipation-weight-decay/,
    );
    expect(frictionWarning(0.05, at(0.05 * FRICTION_FLOOR * 1.5), at(1e-15))).toBeUndefined();
    expect(frictionWarning(0, at(0), at(0))).toBeUndefined(); // conservative data: no D is right
  });

  it('counts the seeds within 20% of their data friction, each against its own gamma', () => {
    // 0.0401 and 0.06 of 0.05 are in (80.2%, 120%); 0.03996 (79.9%) and 0.0601 are out; 0.011 of 0.01 is in
    const pairs = [0.0401, 0.06, 0.03996, 0.0601].map((learned) => ({ learned, gamma: 0.05 }));
    expect(countWithinBand([...pairs, { learned: 0.011, gamma: 0.01 }])).toBe(3);
    expect(countWithinBand([{ learned: 0, gamma: 0 }])).toBeNull(); // conservative data: no band
  });
});

describe('test-loss statistics and per-seed tables', () => {
  const run = (final: number, history: number[]) => ({
    testLoss: { mean: final },
    testLossHistory: { every: 100, steps: history.map((_, i) => 100 * i), testLoss: history },
  });
  it("gives the final model's loss, or the mean of the last k periodic evaluations", () => {
    expect(parseStatistic('final')).toEqual({ kind: 'final' });
    expect(parseStatistic('last-5')).toEqual({ kind: 'last', k: 5 });
    for (const bad of ['last-0', 'last', 'mean', 'last-5x', 'last-1001'])
      expect(() => parseStatistic(bad)).toThrow(/--statistic must be final or last-K/);
    const r = run(9, [8, 1, 2, 3, 4, 5, 6]);
    expect(testLossOf(r, parseStatistic('final'), 'x')).toBe(9);
    expect(testLossOf(r, parseStatistic('last-5'), 'x')).toBe(4);
    expect(() => testLossOf(run(1, [1, 2]), parseStatistic('last-5'), 'runs/a')).toThrow(
      /runs\/a holds 2 periodic test evaluations, --statistic last-5 needs 5/,
    );
    expect(() => testLossOf({ testLoss: { mean: 1 } }, parseStatistic('last-2'), 'runs/b')).toThrow(/no periodic test evaluations/);
  });

  it('prints every seed, the median and the mean, the lowest in bold', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const md = seedTestTable(
      [{ task: 't', bySeed: { baseline: [1e-4, 2e-4, 4e-4], dhnn: [2e-4, 1e-4, 1e-4] }, statistic: { kind: 'final' } }],
      [
        ['baseline', 'Baseline'],
        ['hnn', 'HNN'],
        ['dhnn', 'D-HNN'],
      ],
    );
    expect(md).toContain('| t | 0 | **1.00e-4** | 2.00e-4 | Baseline |');
    expect(md).toContain('| t | 2 | 4.00e-4 | **1.00e-4** | D-HNN |');
    expect(md).toContain('| t | median | 2.00e-4 | **1.00e-4** | D-HNN |');
    expect(md).toMatch(/\| t \| mean ± std\/sqrt\(seeds\) \| 2\.33e-4 ± 8\.8e-5 \| 1\.33e-4 ± 3\.3e-5 \|/);
    expect(md).toContain("the final model's test loss");
    expect(md).not.toContain('HNN test loss |'.replace('HNN', ' HNN')); // no column for a model not run
  });
});

describe('a finished run is reused only when trained the same way', () => {
  it('names every training setting that differs, and nothing when none does', () => {
    const task = getTask('damped-spring-grid');
    if (task.kind !== 'state') throw new Error('state task expected');
    const want = stateRunProtocol(task, 'dhnn', {});
    expect(want).toMatchObject({ lr: 1e-3, batchSize: null, dissipationWeightDecay: 0, dissipation: 'even', evalEvery: 100 });
    expect(protocolMismatch({ ...want }, want)).toBeNull();
    expect(protocolMismatch({ ...want, lr: 2e-3, hidden: [200, 200] }, want)).toBe(
      'lr 0.002 (asked: 0.001), hidden [200,200] (asked: [256,256])',
    );
    expect(
      protocolMismatch({ ...want, dissipationWeightDecay: 3e-3 }, stateRunProtocol(task, 'dhnn', { dissipationWeightDecay: 1e-4 })),
    ).toMatch(/dissipationWeightDecay 0\.003 \(asked: 0\.0001\)/);
    // D's decay scope: recorded, and a run of an earlier version (none recorded: every variable) is not reused
    expect(want.dissipationDecayOn).toBe('hidden');
    expect(protocolMismatch({ ...want, dissipationDecayOn: undefined }, want)).toBe('dissipationDecayOn unset (asked: "hidden")');
    expect(protocolMismatch({ ...want }, stateRunProtocol(task, 'dhnn', { dissipationDecayOn: 'all' }))).toBe(
      'dissipationDecayOn "hidden" (asked: "all")',
    );
    const hnn = stateRunProtocol(task, 'hnn', { steps: 10, train: { batchSize: 64 } });
    expect(protocolMismatch({ ...hnn, evalEvery: undefined }, hnn)).toBe('evalEvery unset (asked: 100)');
    expect(protocolMismatch({ ...hnn, note: 'anything else' }, hnn)).toBeNull(); // only training settings count
  });

  it("pass a reproduction's D-HNN options to its queued runs as `hnn train` flags, to the D-HNN's only", () => {
    const o = {
      tasks: ['damped-spring'],
      seeds: 1,
      backend: 'auto',
      dissipationWeightDecay: 1e-4,
      dissipationDecayOn: 'all',
    } as unknown as ReproduceOptions;
    expect(reproductionOptions(o, 'damped-spring', 'dhnn')).toMatchObject({
      'dissipation-weight-decay': 1e-4,
      'dissipation-decay-on': 'all',
    });
    expect(Object.keys(reproductionOptions(o, 'damped-spring', 'hnn')).filter((k) => k.startsWith('dissipation'))).toEqual([]);
  });
});
