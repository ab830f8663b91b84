// State datasets: protocol sizes and splits, targets and noise as docs/PROTOCOLS.md says, the
// generate -> write -> read round trip, byte-identical output per seed, clear errors, numpy interop.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { UserError } from '../src/util/errors.ts';
import { NumpyLegacyRandom } from '../src/util/numpy-random.ts';
import { Rng } from '../src/util/rng.ts';
import { decodeNpy, encodeNpy } from '../src/util/npy.ts';
import { getTask } from '../src/tasks/registry.ts';
import { realPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { twoBody } from '../src/systems/two-body.ts';
import { threeBody } from '../src/systems/three-body.ts';
import { loadMeasured } from '../datasets/measured.ts';
import { buildStateDataset, loadStateDataset, linspace, writeStateDataset, type StateDataset } from '../datasets/state.ts';
import { energyEvalConfig } from '../datasets/energy-eval.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'hnn-state-'));

function row(a: Float64Array, dim: number, r: number): Float64Array {
  return a.subarray(r * dim, (r + 1) * dim);
}

describe('protocol sizes and splits', () => {
  const cases: Array<[Parameters<typeof buildStateDataset>[0], number, number, number, Parameters<typeof buildStateDataset>[2]?]> = [
    ['spring', 750, 750, 2],
    ['pendulum', 1125, 1125, 2],
    ['damped-pendulum', 1125, 1125, 2],
    ['real-pendulum', 444, 111, 2],
    ['two-body', 40000, 10000, 8],
    ['three-body', 800, 200, 12, { trajectories: 50 }],
  ];
  for (const [task, train, test, dim, overrides] of cases) {
    it(`${task}: ${train} train rows, ${test} test rows, dim ${dim}`, () => {
      const ds = buildStateDataset(task, 0, overrides);
      expect([ds.trainRows, ds.testRows, ds.dim]).toEqual([train, test, dim]);
      expect(ds.trainX.length).toBe(train * dim);
      expect(ds.testDx.length).toBe(test * dim);
      expect(ds.trainT.length).toBe(train);
      for (const a of [ds.trainX, ds.trainDx, ds.testX, ds.testDx]) expect(a.every(Number.isFinite)).toBe(true);
    });
  }

  it('spring: first 25 trajectories train, targets exact at clean points, then N(0, 0.1) noise on x only', () => {
    const ds = buildStateDataset('spring', 3);
    const grid = linspace(0, 3, 30);
    expect(Array.from(ds.trainT.subarray(0, 30))).toEqual(Array.from(grid));
    expect(Array.from(ds.testT.subarray(720, 750))).toEqual(Array.from(grid));
    // dx = (2p, -2q) at the clean state, so clean = (-dx1/2, dx0/2) exactly
    const clean = (dx: Float64Array) => Float64Array.of(-dx[1] / 2, dx[0] / 2);
    const c0 = clean(row(ds.trainDx, 2, 0));
    // clean points of a trajectory stay on its circle
    const r0 = Math.hypot(c0[0], c0[1]);
    for (let i = 0; i < 30; i++) {
      const c = clean(row(ds.trainDx, 2, i));
      expect(Math.hypot(c[0], c[1])).toBeCloseTo(r0, 8);
    }
    // inputs = clean + noise with std 0.1
    const noise: number[] = [];
    for (const [x, dx, rows] of [
      [ds.trainX, ds.trainDx, 750],
      [ds.testX, ds.testDx, 750],
    ] as const) {
      for (let r = 0; r < rows; r++) {
        const c = clean(row(dx, 2, r));
        noise.push(x[2 * r] - c[0], x[2 * r + 1] - c[1]);
      }
    }
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeGreaterThan(0.095);
    expect(std).toBeLessThan(0.105);
  });

  it("spring and pendulum hold the reference code's random draws at the same seed (numpy legacy generator)", () => {
    // Values from numpy: np.random.seed(0), then per trajectory y0 = rand(2)*2-1 normalised to
    // radius rand()*0.9+0.1 (spring) or rand()+1.3 (pendulum), then randn(points) q and p noise.
    const expected = {
      spring: {
        first: [0.1421307141877984, 0.626568794849635, -0.084702105930239, 0.8053171994059353],
        test: [-0.7347552099411191, -0.15169034953536867, -0.848114492504965, -0.1275699531134734],
      },
      pendulum: {
        first: [0.4209285189905053, 1.8556205558303185, 0.19409569887246791, 1.75637757866446],
        test: [-0.6782239614557214, 1.547105281320706, -0.5816303496097512, 1.5038620834628615],
      },
    };
    for (const task of ['spring', 'pendulum'] as const) {
      const ds = buildStateDataset(task, 0);
      const sys = getTask(task).system;
      for (const [x, dx, e] of [
        [ds.trainX, ds.trainDx, expected[task].first],
        [ds.testX, ds.testDx, expected[task].test],
      ] as const) {
        // the clean initial state, recovered from the exact target dx = (2p, -dV/dq)
        expect(dx[0] / 2).toBeCloseTo(e[1], 14);
        expect(Array.from(sys.field(0, Float64Array.of(e[0], e[1])))).toEqual([dx[0], dx[1]]);
        // noisy inputs: equal up to the last bit (V8's and C's log may round differently)
        expect(x[0]).toBeCloseTo(e[2], 14);
        expect(x[1]).toBeCloseTo(e[3], 14);
      }
      expect(ds.params.randomDraws).toMatchObject({ generator: 'numpy legacy MT19937, np.random.seed(0)' });
    }
  });
  it('damped pendulum: targets include friction and energy falls along each clean trajectory', () => {
    const ds = buildStateDataset('damped-pendulum', 1, { noiseStd: 0 });
    const sys = getTask('damped-pendulum').system;
    for (let r = 0; r < 45; r++) expect(Array.from(row(ds.trainDx, 2, r))).toEqual(Array.from(sys.field(0, row(ds.trainX, 2, r))));
    expect(sys.energy(row(ds.trainX, 2, 44))).toBeLessThan(sys.energy(row(ds.trainX, 2, 0)));
    expect(ds.params.friction).toBe(0.05);
  });

  it('two-body: test = first 200 trajectories, targets are the exact field, no noise', () => {
    const ds = buildStateDataset('two-body', 5);
    const init = new Rng(5).fork('initial-states');
    const starts = Array.from({ length: 201 }, () => twoBody.sampleInitial(init));
    expect(Array.from(row(ds.testX, 8, 0))).toEqual(Array.from(starts[0]));
    expect(Array.from(row(ds.trainX, 8, 0))).toEqual(Array.from(starts[200]));
    for (const r of [0, 17, 49, 12345])
      expect(Array.from(row(ds.trainDx, 8, r))).toEqual(Array.from(twoBody.field(0, row(ds.trainX, 8, r))));
    // energy of each trajectory is conserved to integrator accuracy
    const e0 = twoBody.energy(row(ds.testX, 8, 0));
    expect(Math.abs(twoBody.energy(row(ds.testX, 8, 49)) - e0)).toBeLessThan(1e-6 * Math.abs(e0));
    expect(ds.params.noiseStd).toBe(0);
  });

  it('three-body: protocol defaults recorded, override applied, test first', () => {
    const ds = buildStateDataset('three-body', 2, { trajectories: 10 });
    expect(ds.params).toMatchObject({ trajectories: 10, t1: 5, points: 20, rtol: 1e-9, first: 'test', testFraction: 0.2 });
    const init = new Rng(2).fork('initial-states');
    expect(Array.from(row(ds.testX, 12, 0))).toEqual(Array.from(threeBody.sampleInitial(init)));
  });

  it('real pendulum: forward differences in time order, 80/20 split, no noise', () => {
    const d = loadMeasured(realPendulumTask.data as Parameters<typeof loadMeasured>[0]);
    const ds = buildStateDataset('real-pendulum', 0);
    const x = (i: number) => (i < 444 ? row(ds.trainX, 2, i) : row(ds.testX, 2, i - 444));
    const dx = (i: number) => (i < 444 ? row(ds.trainDx, 2, i) : row(ds.testDx, 2, i - 444));
    for (const i of [0, 100, 443, 444, 554]) {
      expect(x(i)[0]).toBe(d.q[i]);
      expect(x(i)[1]).toBe(d.p[i]);
      expect(dx(i)[0]).toBe((d.q[i + 1] - d.q[i]) / (d.t[i + 1] - d.t[i]));
      expect(dx(i)[1]).toBe((d.p[i + 1] - d.p[i]) / (d.t[i + 1] - d.t[i]));
    }
    expect(ds.testT[0]).toBe(d.t[444]);
    expect(() => buildStateDataset('real-pendulum', 0, { points: 3 })).toThrow(UserError);
  });
});

describe('files', () => {
  it('generate -> write -> read round trip', () => {
    const dir = join(tmp(), 'pendulum');
    const { dataset } = writeStateDataset(dir, 'pendulum', 4);
    const back = loadStateDataset(dir, 'pendulum');
    for (const k of ['trainX', 'trainDx', 'trainT', 'testX', 'testDx', 'testT'] as const)
      expect(Array.from(back[k])).toEqual(Array.from(dataset[k]));
    expect([back.task, back.seed, back.dim, back.trainRows, back.testRows]).toEqual(['pendulum', 4, 2, 1125, 1125]);
    expect(back.params).toMatchObject({ trajectories: 50, points: 45, rtol: 1e-10, noiseStd: 0.1 });
    // any-task load reports the task
    expect(loadStateDataset(dir).task).toBe('pendulum');
  });

  it('.npy decoding views a whole file buffer and copies a pooled or unaligned one, to the same values', () => {
    const rng = new Rng(3);
    for (const data of [Float64Array.from({ length: 37 }, () => rng.normal()), Float32Array.from({ length: 37 }, () => rng.normal())]) {
      const bytes = encodeNpy({ data, shape: [37] });
      const owned = new Uint8Array(bytes); // owns its whole buffer: decoded as a view
      const viewed = decodeNpy(owned);
      expect(viewed.data.buffer).toBe(owned.buffer);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1); // inside a larger buffer at an odd offset: decoded as an aligned copy
      const copied = decodeNpy(shifted.subarray(1));
      expect(copied.data.buffer).not.toBe(shifted.buffer);
      for (const d of [viewed, copied]) {
        expect(d.data.constructor).toBe(data.constructor);
        expect(Array.from(d.data)).toEqual(Array.from(data));
      }
    }
  });

  it('same seed -> identical bytes; another seed -> different data', () => {
    const base = tmp();
    const files = (d: string) =>
      Object.fromEntries(
        readdirSync(d)
          .sort()
          .map((f) => [f, readFileSync(join(d, f)).toString('base64')]),
      );
    for (const task of ['spring', 'two-body', 'real-pendulum'] as const) {
      writeStateDataset(join(base, `${task}-a`), task, 11, task === 'two-body' ? { trajectories: 20 } : {});
      writeStateDataset(join(base, `${task}-b`), task, 11, task === 'two-body' ? { trajectories: 20 } : {});
      const a = files(join(base, `${task}-a`));
      expect(Object.keys(a)).toEqual(['manifest.json', 'testDx.npy', 'testT.npy', 'testX.npy', 'trainDx.npy', 'trainT.npy', 'trainX.npy']);
      expect(files(join(base, `${task}-b`))).toEqual(a);
    }
    writeStateDataset(join(base, 'spring-c'), 'spring', 12);
    expect(readFileSync(join(base, 'spring-c', 'trainX.npy'))).not.toEqual(readFileSync(join(base, 'spring-a', 'trainX.npy')));
  });

  it('missing, corrupt or mismatched datasets are UserErrors that say what to do', () => {
    const base = tmp();
    expect(() => loadStateDataset(join(base, 'nope'), 'spring')).toThrow(/not found/);
    const dir = join(base, 'spring');
    writeStateDataset(dir, 'spring', 0);
    expect(() => loadStateDataset(dir, 'two-body')).toThrow(/holds task "spring"/);
    expect(() => loadStateDataset(dir, 'bogus' as 'spring')).toThrow(/unknown task "bogus"; choose one of/);
    const file = join(dir, 'trainX.npy');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => loadStateDataset(dir, 'spring')).toThrow(UserError);
    expect(() => loadStateDataset(dir, 'spring')).toThrow(/checksum/);
    rmSync(file);
    expect(() => loadStateDataset(dir, 'spring')).toThrow(/missing/);
    // a manifest that lost an array entry
    const dir2 = join(base, 'spring2');
    writeStateDataset(dir2, 'spring', 0);
    const m = JSON.parse(readFileSync(join(dir2, 'manifest.json'), 'utf8'));
    delete m.arrays.testT;
    writeFileSync(join(dir2, 'manifest.json'), JSON.stringify(m));
    expect(() => loadStateDataset(dir2, 'spring')).toThrow(/testT is missing/);
    writeFileSync(join(dir2, 'manifest.json'), '{not json');
    expect(() => loadStateDataset(dir2, 'spring')).toThrow(/not valid JSON/);
  });

  it('rejects bad options with UserError', () => {
    expect(() => buildStateDataset('spring', 0, { trajectories: 0 })).toThrow(/trajectories must be an integer/);
    expect(() => buildStateDataset('spring', 0, { rtol: -1 })).toThrow(/rtol/);
    expect(() => buildStateDataset('spring', 0, { friction: -0.2 })).toThrow(/friction must be a finite number >= 0/);
    // friction applies to any simulated system: the spring with gamma 0.3 loses energy along a trajectory
    const damped = buildStateDataset('spring', 0, { friction: 0.3, noiseStd: 0 });
    expect(damped.params.friction).toBe(0.3);
    const H = (r: number) => damped.trainX[2 * r] ** 2 + damped.trainX[2 * r + 1] ** 2;
    expect(H(29)).toBeLessThan(0.5 * H(0));
    expect(() => buildStateDataset('spring', -1)).toThrow(/seed/);
    expect(() => buildStateDataset('planet', 0)).toThrow(/unknown task "planet"; choose one of spring, pendulum/);
  });

  it('numpy reads the arrays as written', () => {
    const dir = join(tmp(), 'two-body');
    const { dataset } = writeStateDataset(dir, 'two-body', 1, { trajectories: 10 });
    const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      // python3 with numpy is absent here: nothing to compare against; record that explicitly.
      expect(probe.status === null || probe.status !== 0).toBe(true);
      return;
    }
    const script = `import numpy as np, json, sys
d = sys.argv[1]
out = {}
for k in ['trainX', 'trainDx', 'trainT', 'testX', 'testDx', 'testT']:
    a = np.load(d + '/' + k + '.npy')
    out[k] = [list(a.shape), str(a.dtype), float(a.sum()), float(a.ravel()[0])]
print(json.dumps(out))`;
    const res = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as Record<string, [number[], string, number, number]>;
    const check = (k: keyof StateDataset & string, a: Float64Array, shape: number[]) => {
      expect(out[k][0]).toEqual(shape);
      expect(out[k][1]).toBe('float64');
      expect(out[k][2]).toBeCloseTo(
        a.reduce((s, v) => s + v, 0),
        8,
      );
      expect(out[k][3]).toBe(a[0]);
    };
    check('trainX', dataset.trainX, [400, 8]);
    check('trainDx', dataset.trainDx, [400, 8]);
    check('trainT', dataset.trainT, [400]);
    check('testX', dataset.testX, [100, 8]);
    check('testDx', dataset.testDx, [100, 8]);
    check('testT', dataset.testT, [100]);
  });
});

describe('energy-evaluation settings', () => {
  it('spring/pendulum: 15 states with coordinates in +-[0.2, 1), horizon 20, 100 points, rtol 1e-12', () => {
    for (const task of ['spring', 'pendulum'] as const) {
      const cfg = energyEvalConfig(task, 0);
      expect([cfg.t0, cfg.t1, cfg.points, cfg.rtol, cfg.tEval.length]).toEqual([0, 20, 100, 1e-12, 100]);
      expect(cfg.initialStates.length).toBe(15);
      const coords = cfg.initialStates.flatMap((x) => Array.from(x));
      for (const v of coords) {
        expect(Math.abs(v)).toBeGreaterThanOrEqual(0.2);
        expect(Math.abs(v)).toBeLessThan(1);
      }
      expect(coords.some((v) => v < 0) && coords.some((v) => v > 0)).toBe(true);
    }
    // reproducible per seed, different across seeds
    expect(energyEvalConfig('spring', 0).initialStates).toEqual(energyEvalConfig('spring', 0).initialStates);
    expect(energyEvalConfig('spring', 1).initialStates).not.toEqual(energyEvalConfig('spring', 0).initialStates);
    const p = energyEvalConfig('pendulum');
    expect(p.energy(Float64Array.of(1, 0.5))).toBeCloseTo(3 * (1 - Math.cos(1)) + 0.25, 14);
  });

  it('two-body and three-body: the sampler with seeds 0..14', () => {
    const two = energyEvalConfig('two-body');
    expect([two.t1, two.points, two.rtol]).toEqual([25, 500, 1e-9]);
    two.initialStates.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(twoBody.sampleInitial(new Rng(i)))));
    const three = energyEvalConfig('three-body');
    expect([three.t1, three.points, three.initialStates.length]).toEqual([3, 500, 15]);
    expect(Array.from(three.initialStates[14])).toEqual(Array.from(threeBody.sampleInitial(new Rng(14))));
  });

  it('real pendulum: from the first test point over the test time stamps, default tolerances', () => {
    const cfg = energyEvalConfig('real-pendulum');
    const ds = buildStateDataset('real-pendulum', 0);
    expect(Array.from(cfg.tEval)).toEqual(Array.from(ds.testT));
    expect(Array.from(cfg.initialStates[0])).toEqual(Array.from(ds.testX.subarray(0, 2)));
    expect([cfg.rtol, cfg.atol, cfg.points]).toEqual([1e-3, 1e-6, 111]);
    expect(cfg.measured?.length).toBe(222);
    expect(cfg.energy(Float64Array.of(0, 1))).toBe(1);
  });
});

describe('numpy legacy generator', () => {
  it("gives numpy's draws: np.random.seed(s); rand(); randn()", () => {
    // reference values printed by numpy 2.4 (np.random.seed(0); rand(3); randn(3)), and sums over long runs
    const r = new NumpyLegacyRandom(0);
    expect([r.randomSample(), r.randomSample(), r.randomSample()]).toEqual([0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
    const n = [r.standardNormal(), r.standardNormal(), r.standardNormal()];
    [-2.268328201180374, 1.3335453816218967, -0.8427240538292873].forEach((v, i) => expect(n[i]).toBeCloseTo(v, 14));
    const s = new NumpyLegacyRandom(0xffffffff);
    let u = 0;
    for (let i = 0; i < 2000; i++) u += s.randomSample();
    let g = 0;
    for (let i = 0; i < 2001; i++) g += s.standardNormal();
    expect(u).toBeCloseTo(1006.8821783792849, 9);
    expect(g).toBeCloseTo(62.917889558865454, 9);
    expect(() => new NumpyLegacyRandom(-1)).toThrow(/\[0, 2\^32\)/);
  });
});
