// Issue 24: a user's system from H alone, checked gradients and options, no silent garbage.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSystem } from '../src/systems/define.ts';
import { definePixelTask, defineStateTask } from '../src/tasks/define.ts';
import { loadSystemFile } from '../src/tasks/system-file.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { energyEvalConfig } from '../datasets/energy-eval.ts';
import { energyEvaluation, energyMseAgainst, trueRollouts } from '../src/eval/energy.ts';
import { trainStateModel } from '../src/train/state.ts';
import { runStateExperiment, toStateData } from '../src/pipeline/state.ts';
import { generatePixelDataset } from '../datasets/pixel.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { Rasterizer } from '../renderer/index.ts';
import { spring } from '../src/systems/spring.ts';
import { pendulum } from '../src/systems/pendulum.ts';
import { twoBody } from '../src/systems/two-body.ts';
import { threeBody } from '../src/systems/three-body.ts';
import { checkGradient } from '../src/systems/check.ts';
import { buildSystem } from '../src/systems/system.ts';
import { Rng } from '../src/util/rng.ts';
import { hnn, expectOneLineError } from './helpers/cli.ts';
import { fullBatchNote } from '../src/cli/train-summary.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-user-system-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HH = '(px^2 + py^2)/2 + (x^2 + y^2)/2 + lambda*(x^2*y - y^3/3)';
const hhRanges = { x: [-0.5, 0.5], y: [-0.5, 0.5], px: [-0.5, 0.5], py: [-0.5, 0.5] } as Record<string, [number, number]>;
const henonHeiles = () =>
  defineSystem({
    name: 'henon-heiles',
    q: ['x', 'y'],
    p: ['px', 'py'],
    H: HH,
    params: { lambda: 1 },
    sampler: { ranges: hhRanges, energy: [0.02, 0.12] },
  });

/** Henon-Heiles written by hand, H and its gradient. */
function hhExact(x: Float64Array): { H: number; g: number[] } {
  const [a, b, pa, pb] = x;
  return {
    H: (pa ** 2 + pb ** 2) / 2 + (a ** 2 + b ** 2) / 2 + (a ** 2 * b - b ** 3 / 3),
    g: [a + 2 * a * b, b + a ** 2 - b ** 2, pa, pb],
  };
}

describe('H alone is enough', () => {
  it('an expression H gets its exact gradient (symbolic, float64) and field', () => {
    const sys = henonHeiles();
    expect(sys.stateLabels).toEqual(['x', 'y', 'px', 'py']);
    expect(sys.gradientSource).toMatch(/exact \(symbolic\)/);
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const x = Float64Array.from({ length: 4 }, () => rng.range(-1, 1));
      const { H, g } = hhExact(x);
      expect(sys.energy(x)).toBeCloseTo(H, 14);
      const out = new Float64Array(4);
      sys.gradient(x, out);
      for (let j = 0; j < 4; j++) expect(Math.abs(out[j] - g[j])).toBeLessThan(1e-14);
      const f = sys.field(0, x);
      expect(Array.from(f)).toEqual([out[2], out[3], -out[0], -out[1]]);
    }
    // the sampler keeps states in the energy band
    for (let s = 0; s < 10; s++) {
      const e = sys.energy(sys.sampleInitial(new Rng(s)));
      expect(e).toBeGreaterThanOrEqual(0.02);
      expect(e).toBeLessThanOrEqual(0.12);
    }
  });

  it('refuses unknown names (did you mean) and constructs that are not arithmetic', () => {
    expect(() => defineSystem({ name: 'a', q: ['x'], p: ['px'], H: 'px^2/2 + lamda*x^2', params: { lambda: 1 } })).toThrow(
      /unknown name "lamda"; did you mean "lambda"\?/,
    );
    expect(() => defineSystem({ name: 'a', q: ['x'], H: 'x > 0 ? x : px' })).toThrow(/conditional expression is not allowed/);
    expect(() => defineSystem({ name: 'a', q: ['x'], H: 'gamma(x) + px^2' })).toThrow(/the function gamma\(1 argument\) is not allowed/);
    expect(() => defineSystem({ name: 'a', q: ['x'], H: 'x^2 +' })).toThrow(/cannot parse/);
  });

  it('a function H without a gradient gets a fourth-order central difference, accurate to 1e-9', () => {
    const sys = defineSystem({ name: 'hh-fn', coordinates: ['x', 'y'], hamiltonian: (x) => hhExact(x).H });
    expect(sys.gradientSource).toMatch(/central differences/);
    const rng = new Rng(4);
    for (let i = 0; i < 20; i++) {
      const x = Float64Array.from({ length: 4 }, () => rng.range(-1.5, 1.5));
      const out = new Float64Array(4);
      sys.gradient(x, out);
      const { g } = hhExact(x);
      for (let j = 0; j < 4; j++) expect(Math.abs(out[j] - g[j])).toBeLessThan(1e-9 * Math.max(1, Math.abs(g[j])));
    }
  });

  it('the gradient checker accepts every built-in system (no false refusals)', () => {
    for (const s of [spring, pendulum, twoBody, threeBody]) {
      const states = Array.from({ length: 8 }, (_, i) => s.sampleInitial(new Rng(i)));
      expect(() => checkGradient(s.name, (x) => s.energy(x), s.gradient, states, s.stateLabels)).not.toThrow();
    }
  });
});

describe('a user gradient is checked against H', () => {
  const base = { name: 'quartic', coordinates: ['q'], hamiltonian: (x: Float64Array) => x[0] ** 4 / 4 + x[1] ** 2 / 2 };
  it('accepts a right gradient', () => {
    const sys = defineSystem({ ...base, gradient: (x, out) => ((out[0] = x[0] ** 3), (out[1] = x[1])) });
    expect(sys.gradientSource).toMatch(/given, checked against H at 8 states/);
  });
  it('refuses a sign error, naming the component and the state', () => {
    expect(() => defineSystem({ ...base, gradient: (x, out) => ((out[0] = -(x[0] ** 3)), (out[1] = x[1])) })).toThrow(
      /system quartic: the gradient's dH\/dq is .* at \[q=.*, p_q=.*\], but H's derivative there is .* \(relative error .* > 0\.0001\); fix the gradient \(a sign\?\)/,
    );
  });
  it('refuses a gradient that never writes dH/dp', () => {
    expect(() =>
      defineSystem({
        ...base,
        gradient: (x, out) => {
          out[0] = x[0] ** 3;
        },
      }),
    ).toThrow(/the gradient does not write dH\/dp_q \(out\[1\]\)/);
  });
});

describe('H that is not one finite number is refused where it enters', () => {
  it('an H returning an array', () => {
    const bad = (x: Float64Array) => [x[0] ** 2, x[1] ** 2] as unknown as number;
    expect(() => defineSystem({ name: 'arr', coordinates: ['q'], hamiltonian: bad })).toThrow(
      /system arr: H returned an array at \[q=.*\]; H must return one number/,
    );
  });
  it('an H that is NaN at a sampled state', () => {
    expect(() => defineSystem({ name: 'nan', q: ['q'], H: 'log(q) + pq^2' })).toThrow(/system nan: H is NaN at \[q=-/);
  });
});

describe('library options are validated by the schemas', () => {
  const sys = () => defineSystem({ name: 'osc', q: ['q'], H: '(q^2 + pq^2)/2', sampler: { ranges: { q: [-1, 1], pq: [-1, 1] } } });
  it('typos and ranges in defineStateTask', () => {
    const s = sys();
    // @ts-expect-error -- the typo the issue reports: `step` for `steps`
    expect(() => defineStateTask(s, { train: { step: 100 } })).toThrow(
      /defineStateTask options: unknown option "train.step"; did you mean "steps"\?/,
    );
    // @ts-expect-error -- `learningRate` for `lr`
    expect(() => defineStateTask(s, { train: { learningRate: 1e-3 } })).toThrow(/unknown option "train.learningRate"/);
    expect(() => defineStateTask(s, { train: { steps: -5 } })).toThrow(/train.steps must be >= 1, got -5/);
    // @ts-expect-error -- a wrong choice
    expect(() => defineStateTask(s, { energy: { states: 'boxes' } })).toThrow(
      /energy.states must be one of box, sampler, got "boxes"; did you mean "box"\?/,
    );
    expect(defineStateTask(s, { train: { steps: 100 } }).train.steps).toBe(100);
  });
  it("kind: 'HNN' is refused by trainStateModel before any tensor", async () => {
    const task = defineStateTask(sys(), { data: { trajectories: 4, points: 5 } });
    const data = toStateData(buildStateDataset(task, 0));
    // @ts-expect-error -- the model kind is a union of the known names
    await expect(trainStateModel({ ...task.train, kind: 'HNN', seed: 0 }, data)).rejects.toThrow(
      /trainStateModel config: kind must be one of hnn, baseline, dhnn, got "HNN"; did you mean "hnn"\?/,
    );
    // @ts-expect-error -- unknown key in the training config
    await expect(trainStateModel({ ...task.train, kind: 'hnn', seed: 0, learningRate: 1 }, data)).rejects.toThrow(
      /unknown option "learningRate"/,
    );
  });
  it('runStateExperiment refuses unknown options', async () => {
    // @ts-expect-error -- `step` for `steps`
    await expect(runStateExperiment({ task: 'spring', kind: 'hnn', seed: 0, outDir: join(root, 'x'), step: 5 })).rejects.toThrow(
      /runStateExperiment options: unknown option "step"; did you mean "steps"\?/,
    );
    expect(existsSync(join(root, 'x'))).toBe(false);
  });
});

describe('no silent garbage in rollout metrics', () => {
  it("the default 'box' states of Henon-Heiles: the true rollouts diverge, and the run refuses and is not finished", async () => {
    const task = defineStateTask(henonHeiles(), { data: { trajectories: 4, points: 10 }, train: { hidden: [16] } });
    const settings = energyEvalConfig(task, 0, { rtol: 1e-6, atol: 1e-6 });
    const truth = trueRollouts(settings);
    const failed = truth.filter((r) => r.failed).length;
    expect(failed).toBeGreaterThan(7);
    expect(() => energyEvaluation(task, task.system.field, settings)).toThrow(
      new RegExp(`${failed}/15 true rollouts (diverged|failed) from the 'box' states of henon-heiles .*; use energy.states: 'sampler'`),
    );
    const out = join(root, 'box');
    await expect(
      runStateExperiment({
        task,
        kind: 'hnn',
        seed: 0,
        steps: 3,
        outDir: out,
        quiet: true,
        plots: false,
        backend: 'cpu',
        evaluation: { rtol: 1e-6, atol: 1e-6 },
      }),
    ).rejects.toThrow(/true rollouts (diverged|failed) from the 'box' states/);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    // from the sampler the same system stays bounded: nothing fails
    const ok = energyEvalConfig(defineStateTask(task.system, { energy: { states: 'sampler' } }), 0, { count: 5, rtol: 1e-6, atol: 1e-6 });
    expect(trueRollouts(ok).every((r) => !r.failed)).toBe(true);
  });

  it('a dataset whose trajectories reach a singularity or blow up is refused (state and pixel), naming the trajectory and the fix', async () => {
    // falls into x = 0 within a fraction of a time unit
    const fall = defineSystem({
      name: 'fall',
      q: ['x'],
      p: ['px'],
      H: 'px^2/2 - 1/abs(x)',
      sampler: { ranges: { x: [-1, 1], px: [-0.1, 0.1] }, energy: [-5, -1] },
    });
    expect(() => buildStateDataset(defineStateTask(fall, { data: { trajectories: 3, points: 10 } }), 0)).toThrow(
      /^fall: trajectory 0 of the dataset, from \[x=\S+, px=\S+\], could not be integrated past t = \S+ \(the step size collapsed: a singularity\); .* shorten the data's t1$/,
    );
    // a run that fails before writing anything leaves its folder as it found it: absent, or empty
    const fallTask = defineStateTask(fall, { data: { trajectories: 3, points: 10 } });
    const run = (outDir: string) =>
      runStateExperiment({ task: fallTask, kind: 'hnn', seed: 0, steps: 3, outDir, quiet: true, plots: false, backend: 'cpu' });
    await expect(run(join(root, 'fall-run'))).rejects.toThrow(/could not be integrated/);
    expect(existsSync(join(root, 'fall-run'))).toBe(false);
    mkdirSync(join(root, 'fall-empty'));
    await expect(run(join(root, 'fall-empty'))).rejects.toThrow(/could not be integrated/);
    expect(readdirSync(join(root, 'fall-empty'))).toEqual([]);
    const pixelOptions = { data: { trials: 3, frames: 20, size: 16, samples: 1 } };
    const out = join(root, 'fall-pixels');
    await expect(generatePixelDataset(definePixelTask(fall, pixelOptions), { out, seed: 0, quiet: true })).rejects.toThrow(
      /^pixel-fall: trial 0 of the dataset, from \[x=\S+, px=\S+\]: its energy drifted by \S+ of \|E0\| \(at most 0.001 accepted\) under RK4 with 64 substeps per frame; .*pixel.data.substeps\)$/,
    );
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    // q'' = q^3 from q in [2.5, 3] blows up in finite time: RK4's states overflow. The default
    // scene's view fit meets it first; with a view of its own, the dataset's trial check does.
    const hill = defineSystem({ name: 'hill', q: ['q'], p: ['p'], H: 'p^2/2 - q^4/4', sampler: { ranges: { q: [2.5, 3], p: [0, 0.1] } } });
    expect(() => definePixelTask(hill, pixelOptions)).toThrow(
      /^system hill: the default scene fits its view to 16 sampled trials, and trial 0, from \[q=\S+, p=\S+\], stopped at t = \S+ \(the state became infinite or NaN\); .*set pixel: false for no pixel task$/,
    );
    const drawn = buildSystem({
      ...hill,
      hamiltonian: hill.energy,
      gradient: (x, out) => out.set([-(x[0] ** 3), x[1]]),
      view: { centre: [0, 0], scale: 0.2 },
      scene: (x) => [{ kind: 'disc', x: x[0], y: 0, radius: 0.1, shade: 1 }],
    });
    await expect(
      generatePixelDataset(definePixelTask(drawn, pixelOptions), { out: join(root, 'hill-pixels'), seed: 0, quiet: true }),
    ).rejects.toThrow(/^pixel-hill: trial 0 of the dataset, from \[q=\S+, p=\S+\]: its state is not finite from frame \d+;/);
    // the built-in tasks' trials pass the same check (their drift stays below 3e-11)
    await expect(
      generatePixelDataset(definePixelTask(henonHeiles(), pixelOptions), { out: join(root, 'hh-pixels'), seed: 0, quiet: true }),
    ).resolves.toBeTruthy();
  });

  it('a minority of failed true rollouts is reported, left out of the means, with its reason', () => {
    // H = p^2/2 - q^4/4 blows up in finite time from a large enough state
    const sys = defineSystem({ name: 'quartic-hill', q: ['q'], p: ['p'], H: 'p^2/2 - q^4/4' });
    const task = defineStateTask(sys, { energy: { t1: 5, points: 20 } });
    const settings = { ...energyEvalConfig(task, 0, { rtol: 1e-8, atol: 1e-8 }) };
    settings.initialStates = [0.1, 0.2, 0.15, 0.05, 3].map((q) => Float64Array.of(q, 0));
    const learned = (_t: number, x: Float64Array) => Float64Array.of(x[1], 0.9 * x[0] ** 3);
    const truth = trueRollouts(settings);
    const r = energyMseAgainst(truth, learned, settings);
    expect(r.truthFailed).toBe(1);
    expect(Object.values(r.truthFailures)).toEqual([1]);
    expect(Number.isNaN(r.perTrajectory[4])).toBe(true);
    expect(r.mean).toBeCloseTo(r.perTrajectory.slice(0, 4).reduce((a, v) => a + v, 0) / 4, 15);
    expect(r.vpt).toHaveLength(4);
    expect(r.description).toMatch(/1 true rollouts failed and are left out/);
  });

  it('VPT and state MSE of a state rollout, by hand on the spring', () => {
    const settings = energyEvalConfig('spring', 0, { count: 5 });
    const still = (_t: number, x: Float64Array) => new Float64Array(x.length);
    const r = energyEvaluation('spring', still, settings);
    // the truth turns at angular frequency 2: |x(t) - x0|^2 / |x0|^2 = 2 (1 - cos 2t) passes 0.025 at t = 0.0791,
    // so the first comparison time after it (20/99) is the VPT of every trajectory
    for (const v of r.vpt) expect(v).toBeCloseTo(20 / 99, 12);
    // mean over time of |x(t) - x0|^2 / 2 per coordinate, with |x(t) - x0|^2 = 2 r^2 (1 - cos 2t)
    const t = settings.tEval;
    const expected = settings.initialStates.map((x0) => {
      const r2 = x0[0] ** 2 + x0[1] ** 2;
      return Array.from(t, (ti) => r2 * (1 - Math.cos(2 * ti))).reduce((a, v) => a + v, 0) / t.length;
    });
    expect(r.stateMse.mean).toBeCloseTo(expected.reduce((a, v) => a + v, 0) / expected.length, 6);
    const exact = energyEvaluation('spring', spring.field, settings);
    expect(exact.vptMean).toBeCloseTo(20, 12);
    expect(exact.stateMse.mean).toBeLessThan(1e-12);
  });
});

describe('system files and the default scene', () => {
  const file = join(root, 'hh.yaml');
  writeFileSync(
    file,
    [
      'name: henon-heiles',
      'q: [x, y]',
      'p: [px, py]',
      `H: ${HH}`,
      'params: { lambda: 1 }',
      'sampler: { ranges: { x: [-0.5, 0.5], y: [-0.5, 0.5], px: [-0.5, 0.5], py: [-0.5, 0.5] }, energy: [0.02, 0.12] }',
      'state: { train: { steps: 50 } }',
      'pixel: { data: { trials: 5, frames: 8, size: 16, samples: 1 } }',
    ].join('\n'),
  );

  it('a YAML file gives a state task (energy states from its sampler) and a pixel task drawn by the default scene', async () => {
    const [state, pixel] = await loadSystemFile(file);
    expect(state.name).toBe('henon-heiles');
    expect(state.kind === 'state' && 'states' in state.energy && state.energy.states).toBe('sampler');
    expect(pixel.name).toBe('pixel-henon-heiles');
    const shapes = pixel.system.scene!(Float64Array.of(0.3, -0.2, 0, 0));
    expect(shapes).toEqual([expect.objectContaining({ kind: 'disc', x: 0.3, y: -0.2 })]);
    // every state of 16 sampled trajectories lies inside the fitted view
    const { centre, scale } = pixel.system.view!;
    for (let s = 0; s < 16; s++) {
      const x = pixel.system.sampleInitial(new Rng(s));
      expect(Math.abs((x[0] - centre[0]) * scale)).toBeLessThan(0.5);
      expect(Math.abs((x[1] - centre[1]) * scale)).toBeLessThan(0.5);
    }
    const frame = new Rasterizer(16, { samples: 2 }).render(shapes, pixel.system.view!);
    expect(Math.max(...frame)).toBeGreaterThan(0.9);
  });

  it('a typo in a system file is refused with the key and a suggestion', async () => {
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, `name: hh\nq: [x]\nH: x^2 + px^2\nsampler: {}\nstate: { train: { setps: 5 } }\n`);
    await expect(loadSystemFile(bad)).rejects.toThrow(/system file .*bad.yaml: unknown option "state.train.setps"; did you mean "steps"\?/);
  });

  it('the line layout draws one disc per coordinate on its own track', () => {
    const sys = defineSystem({ name: 'two-carts', q: ['a', 'b'], H: '(pa^2 + pb^2)/2 + (a^2 + b^2 + (a-b)^2)/2', sampler: {} });
    const task = definePixelTask(sys, { scene: 'line', data: { trials: 3, frames: 5 } });
    const shapes = task.system.scene!(Float64Array.of(0.1, -0.1, 0, 0)) as Array<{ x: number; y: number }>;
    expect(shapes.map((s) => s.x)).toEqual([0.1, -0.1]);
    expect(shapes[0].y).toBeGreaterThan(shapes[1].y);
    expect(() => definePixelTask(defineSystem({ name: 'three', q: ['a', 'b', 'c'], H: 'a^2+b^2+c^2+pa^2+pb^2+pc^2' }))).toThrow(
      /the 'line' scene draws 1 or 2 coordinates/,
    );
  });

  it('hnn train takes the file and the training flags (checked by the same schema); a pixel run refuses to resume with another --lr', async () => {
    const bad = hnn(['train', '--system', file, '--lr', '-1', '--out', join(root, 'neg')]);
    expectOneLineError(bad, /^hnn: error: --lr must be > 0, got -1/);
    const out = join(root, 'cli-state');
    const ok = hnn([
      'train',
      '--system',
      file,
      '--steps',
      '20',
      '--lr',
      '0.002',
      '--hidden',
      '32,32',
      '--batch-size',
      '100000',
      '--out',
      out,
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    // a batch size above the data's rows: every step used all of them, and the run says so
    const all =
      /henon-heiles hnn .*\n {2}batch: all (\d+) training rows every step \(the batch size 100000 is not smaller than the data\)\n {2}train loss/.exec(
        ok.stdout,
      );
    expect(all, ok.stdout).not.toBeNull();
    const metrics = JSON.parse((await import('node:fs')).readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.protocol).toMatchObject({ lr: 0.002, hidden: [32, 32], steps: 20, batchSize: 100000 });
    expect(metrics.training.batchRows).toBe(Number(all![1]));
    expect(metrics.evaluation).toMatchObject({ mode: 'quick', count: 2 });

    const [, pixel] = await loadSystemFile(file);
    const ds = join(root, 'px-data');
    await generatePixelDataset(pixel.kind === 'pixel' ? pixel : (undefined as never), { out: ds, seed: 0, quiet: true });
    const run = join(root, 'px-run');
    const base = {
      task: pixel.kind === 'pixel' ? pixel : (undefined as never),
      kind: 'baseline' as const,
      seed: 0,
      steps: 6,
      outDir: run,
      dataDir: ds,
      quiet: true,
      checkpointEvery: 2,
      frames: 6,
      backend: 'cpu',
    };
    const stopped = await runPixelExperiment({ ...base, stopAfter: 3, train: { lr: 2e-3 } });
    expect(stopped.metrics).toBeNull();
    await expect(runPixelExperiment({ ...base, resume: true, train: { lr: 1e-3 } })).rejects.toThrow(/made with a different configuration/);
    const resumed = await runPixelExperiment({ ...base, resume: true, train: { lr: 2e-3 } });
    expect(resumed.metrics?.protocol).toMatchObject({ lr: 2e-3 });
    // 5 trials of 8 frames: 4 train trials of 5 samples, fewer than the protocol's batch of 200
    expect(resumed.metrics?.training).toMatchObject({ batchRows: 20 });
    expect(fullBatchNote(resumed.metrics!)).toEqual([
      '  batch: all 20 training rows every step (the batch size 200 is not smaller than the data)',
    ]);
    // the browser page cannot replay a user's system yet: hnn web says so instead of writing a page that fails
    expectOneLineError(
      hnn(['web', '--system', file, '--model', run, '--out', join(root, 'site')]),
      /pixel-henon-heiles is a user's system: the browser page/,
    );
    expect(existsSync(join(root, 'site'))).toBe(false);
  });
});
