// State datasets (paper tasks 1-4b): rows of (x, dx/dt) split into train and test, exactly as
// REFERENCE.md describes each task. Arrays are float64, row-major [rows, dim]; rows of a trajectory
// are consecutive and in time order, trajectories follow each other in sampling order.
import { UserError } from '../src/util/errors.ts';
import { NumpyLegacyRandom } from '../src/util/numpy-random.ts';
import { Rng } from '../src/util/rng.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { solveIvpInto } from '../src/integrate/rk45.ts';
import { getSimulatedSystem } from '../src/physics/index.ts';
import { fieldIntoOf, type System } from '../src/physics/system.ts';
import { makeDampedPendulum, DEFAULT_GAMMA } from '../src/physics/damped-pendulum.ts';
import { loadRealPendulum, realPendulum, REAL_PENDULUM_SHA256 } from '../src/physics/real-pendulum.ts';
import { readDataset, openDatasetOutput, type DatasetManifest, type DatasetOutput } from './format.ts';
import { checkMemory } from '../src/util/memory.ts';
import { MAX_SEED } from '../src/util/rng.ts';

export const STATE_TASKS = ['spring', 'pendulum', 'damped-pendulum', 'real-pendulum', 'two-body', 'three-body'] as const;
export type StateTask = (typeof STATE_TASKS)[number];
export type SimulatedTask = Exclude<StateTask, 'real-pendulum'>;

/** Generator version, recorded in the manifest; bump it when the bytes for a seed change. */
export const STATE_GENERATOR_VERSION = 2;

/** Protocol of a simulated task. Tolerances: atol = rtol (scipy's default atol 1e-6 would override the small rtol). */
export interface SimulatedTaskConfig {
  trajectories: number;
  t0: number;
  t1: number;
  /** evenly spaced samples per trajectory, t0 and t1 included */
  points: number;
  rtol: number;
  atol: number;
  /** std of the Gaussian noise added to the inputs x after the targets are computed (0 = none) */
  noiseStd: number;
  /** fraction of trajectories in the test split */
  testFraction: number;
  /** which split takes the first trajectories */
  first: 'train' | 'test';
  /** friction, damped pendulum only */
  gamma?: number;
  /**
   * Where the random draws come from. 'numpy-legacy': the reference code's own draws (numpy's legacy
   * generator seeded with the seed, in its order: per trajectory a point of the square [-1, 1]^2
   * normalised to the system's initialRadius rule, then the q noise, then the p noise), so seed s
   * gives the reference's dataset at seed s. 'rng': this project's Rng streams and each system's sampler.
   */
  randomSource: 'numpy-legacy' | 'rng';
}

export const TASK_CONFIGS: Record<SimulatedTask, SimulatedTaskConfig> = {
  spring: {
    trajectories: 50,
    t0: 0,
    t1: 3,
    points: 30,
    rtol: 1e-10,
    atol: 1e-10,
    noiseStd: 0.1,
    testFraction: 0.5,
    first: 'train',
    randomSource: 'numpy-legacy',
  },
  pendulum: {
    trajectories: 50,
    t0: 0,
    t1: 3,
    points: 45,
    rtol: 1e-10,
    atol: 1e-10,
    noiseStd: 0.1,
    testFraction: 0.5,
    first: 'train',
    randomSource: 'numpy-legacy',
  },
  // Not in the paper: the ideal pendulum's protocol (sizes, noise, split, draws) with friction gamma.
  'damped-pendulum': {
    trajectories: 50,
    t0: 0,
    t1: 3,
    points: 45,
    rtol: 1e-10,
    atol: 1e-10,
    noiseStd: 0.1,
    testFraction: 0.5,
    first: 'train',
    gamma: DEFAULT_GAMMA,
    randomSource: 'numpy-legacy',
  },
  'two-body': {
    trajectories: 1000,
    t0: 0,
    t1: 20,
    points: 50,
    rtol: 1e-9,
    atol: 1e-9,
    noiseStd: 0,
    testFraction: 0.2,
    first: 'test',
    randomSource: 'rng',
  },
  'three-body': {
    trajectories: 5000,
    t0: 0,
    t1: 5,
    points: 20,
    rtol: 1e-9,
    atol: 1e-9,
    noiseStd: 0,
    testFraction: 0.2,
    first: 'test',
    randomSource: 'rng',
  },
};

/** Real pendulum: forward finite differences, first 80% (time order) train, no noise. */
export const REAL_PENDULUM_CONFIG = { trainFraction: 0.8, targets: 'forward finite differences', noiseStd: 0 } as const;

export type StateOverrides = Partial<Pick<SimulatedTaskConfig, 'trajectories' | 'points' | 't1' | 'rtol' | 'atol' | 'noiseStd' | 'gamma'>>;

export interface StateDataset {
  task: StateTask;
  seed: number;
  dim: number;
  trainRows: number;
  testRows: number;
  /** [trainRows, dim] inputs (noisy where the protocol adds noise) */
  trainX: Float64Array;
  /** [trainRows, dim] targets dx/dt */
  trainDx: Float64Array;
  /** [trainRows] time of each row */
  trainT: Float64Array;
  testX: Float64Array;
  testDx: Float64Array;
  testT: Float64Array;
  /** everything that made the data (recorded in the manifest) */
  params: Record<string, unknown>;
}

export function isStateTask(task: string): task is StateTask {
  return (STATE_TASKS as readonly string[]).includes(task);
}

function checkTask(task: string): asserts task is StateTask {
  if (!isStateTask(task)) throw new UserError(`unknown state task "${task}"; valid tasks: ${STATE_TASKS.join(', ')}`);
}

export function linspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/** Merges and validates overrides (they may come from command-line flags). */
export function resolveConfig(task: SimulatedTask, overrides: StateOverrides = {}): SimulatedTaskConfig {
  const cfg: SimulatedTaskConfig = { ...TASK_CONFIGS[task] };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in cfg) && key !== 'gamma') throw new UserError(`unknown dataset option "${key}"`);
    if (key === 'gamma' && task !== 'damped-pendulum') throw new UserError(`gamma applies only to damped-pendulum, not ${task}`);
    (cfg as unknown as Record<string, number>)[key] = value;
  }
  const int = (k: 'trajectories' | 'points', min: number) => {
    if (!Number.isInteger(cfg[k]) || cfg[k] < min) throw new UserError(`${k} must be an integer >= ${min}, got ${cfg[k]}`);
  };
  int('trajectories', 2);
  int('points', 2);
  if (!(cfg.t1 > cfg.t0) || !Number.isFinite(cfg.t1)) throw new UserError(`t1 must be a finite number > ${cfg.t0}, got ${cfg.t1}`);
  if (!(cfg.rtol > 0 && cfg.rtol < 1)) throw new UserError(`rtol must be in (0, 1), got ${cfg.rtol}`);
  if (!(cfg.atol > 0)) throw new UserError(`atol must be > 0, got ${cfg.atol}`);
  if (!(cfg.noiseStd >= 0) || !Number.isFinite(cfg.noiseStd)) throw new UserError(`noiseStd must be >= 0, got ${cfg.noiseStd}`);
  if (cfg.gamma !== undefined && !(cfg.gamma >= 0 && Number.isFinite(cfg.gamma)))
    throw new UserError(`gamma must be >= 0, got ${cfg.gamma}`);
  return cfg;
}

function systemFor(task: SimulatedTask, cfg: SimulatedTaskConfig): System {
  return task === 'damped-pendulum' ? makeDampedPendulum(cfg.gamma ?? DEFAULT_GAMMA) : getSimulatedSystem(task);
}

/** Splits `rows` of x, dx, t at row `cut`: the first part goes to the split named by `first`. */
function split(
  task: StateTask,
  seed: number,
  dim: number,
  x: Float64Array,
  dx: Float64Array,
  t: Float64Array,
  cut: number,
  first: 'train' | 'test',
  params: Record<string, unknown>,
): StateDataset {
  const rows = t.length;
  const a = { x: x.slice(0, cut * dim), dx: dx.slice(0, cut * dim), t: t.slice(0, cut) };
  const b = { x: x.slice(cut * dim), dx: dx.slice(cut * dim), t: t.slice(cut) };
  const [train, test] = first === 'train' ? [a, b] : [b, a];
  return {
    task,
    seed,
    dim,
    trainRows: train.t.length,
    testRows: test.t.length,
    trainX: train.x,
    trainDx: train.dx,
    trainT: train.t,
    testX: test.x,
    testDx: test.dx,
    testT: test.t,
    params: { ...params, rows, trainRows: train.t.length, testRows: test.t.length },
  };
}

/** Clean trajectories (rows of x) and the noise to add to them, drawn as `cfg.randomSource` says. */
interface Draws {
  /** the next trajectory's initial state */
  initial: () => Float64Array;
  /** that trajectory's noise, [points, dim] row-major (called once per trajectory, after initial) */
  noise: () => Float64Array;
  description: Record<string, string>;
}

function drawsFor(system: System, cfg: SimulatedTaskConfig, seed: number): Draws {
  const dim = system.dim;
  if (cfg.randomSource === 'numpy-legacy') {
    if (dim !== 2 || !system.initialRadius) throw new Error(`numpy-legacy draws need a 2-D system with a radius rule (${system.name})`);
    const np = new NumpyLegacyRandom(seed);
    const { scale, offset } = system.initialRadius;
    return {
      initial: () => {
        const y0 = [np.randomSample() * 2 - 1, np.randomSample() * 2 - 1];
        const radius = np.randomSample() * scale + offset;
        const norm = Math.sqrt(y0[0] ** 2 + y0[1] ** 2);
        return Float64Array.of((y0[0] / norm) * radius, (y0[1] / norm) * radius);
      },
      noise: () => {
        // all q noise of the trajectory, then all p noise (drawn even at noise 0, as the reference does)
        const n = new Float64Array(cfg.points * 2);
        for (let c = 0; c < 2; c++) for (let i = 0; i < cfg.points; i++) n[2 * i + c] = np.standardNormal();
        return n;
      },
      description: {
        generator: `numpy legacy MT19937, np.random.seed(${seed})`,
        order: 'per trajectory: rand(2) direction from the square, rand() radius, randn(points) q noise, randn(points) p noise',
        radius: `rand() * ${scale} + ${offset}`,
      },
    };
  }
  const root = new Rng(seed);
  const initRng = root.fork('initial-states');
  const noiseRng = root.fork('noise');
  return {
    initial: () => system.sampleInitial(initRng),
    noise: () => Float64Array.from({ length: cfg.points * dim }, () => (cfg.noiseStd > 0 ? noiseRng.normal() : 0)),
    description: { initialStates: 'Rng(seed).fork("initial-states")', noise: 'Rng(seed).fork("noise")' },
  };
}

function buildSimulated(task: SimulatedTask, seed: number, overrides: StateOverrides): StateDataset {
  const cfg = resolveConfig(task, overrides);
  const system = systemFor(task, cfg);
  const f = fieldIntoOf(system);
  const dim = system.dim;
  const draws = drawsFor(system, cfg, seed);
  const tEval = linspace(cfg.t0, cfg.t1, cfg.points);
  const rows = cfg.trajectories * cfg.points;
  // x, dx and t, then their train/test copies
  checkMemory(
    `the ${task} dataset (${rows} rows)`,
    { 'x and dx': 2 * 2 * rows * dim * 8, t: 2 * rows * 8 },
    'use fewer trajectories or points',
  );
  const x = new Float64Array(rows * dim);
  const dx = new Float64Array(rows * dim);
  const t = new Float64Array(rows);
  let nfev = 0;
  for (let k = 0; k < cfg.trajectories; k++) {
    const x0 = draws.initial();
    const sol = solveIvpInto(f, [cfg.t0, cfg.t1], x0, { tEval, rtol: cfg.rtol, atol: cfg.atol });
    nfev += sol.nfev;
    const at = k * cfg.points * dim;
    x.set(sol.y, at);
    t.set(tEval, k * cfg.points);
    // Targets: the exact field at the clean states; only then is noise added to the inputs.
    for (let r = k * cfg.points; r < (k + 1) * cfg.points; r++)
      f(t[r], x.subarray(r * dim, (r + 1) * dim), dx.subarray(r * dim, (r + 1) * dim));
    const noise = draws.noise();
    if (cfg.noiseStd > 0) for (let i = 0; i < noise.length; i++) x[at + i] += noise[i] * cfg.noiseStd;
  }
  const testTrajectories = Math.round(cfg.trajectories * cfg.testFraction);
  const cutTrajectories = cfg.first === 'train' ? cfg.trajectories - testTrajectories : testTrajectories;
  const params = {
    task,
    system: system.name,
    stateLabels: system.stateLabels ?? null,
    ...cfg,
    integrator: 'rk45 (Dormand-Prince 5(4), dense output at t_eval)',
    targets: 'exact field at the clean states',
    noise: cfg.noiseStd > 0 ? 'Gaussian, added to x after the targets' : 'none',
    randomDraws: draws.description,
    split: `${cfg.first === 'train' ? 'first' : 'last'} ${cfg.trajectories - testTrajectories} trajectories train, ${cfg.first === 'test' ? 'first' : 'last'} ${testTrajectories} test`,
    generatorVersion: STATE_GENERATOR_VERSION,
    totalFieldEvaluations: nfev,
  };
  return split(task, seed, dim, x, dx, t, cutTrajectories * cfg.points, cfg.first, params);
}

function buildRealPendulum(seed: number): StateDataset {
  const d = loadRealPendulum();
  const rows = d.rows - 1;
  const x = new Float64Array(rows * 2);
  const dx = new Float64Array(rows * 2);
  const t = d.t.slice(0, rows);
  for (let i = 0; i < rows; i++) {
    const h = d.t[i + 1] - d.t[i];
    x[2 * i] = d.theta[i];
    x[2 * i + 1] = d.omega[i];
    dx[2 * i] = (d.theta[i + 1] - d.theta[i]) / h;
    dx[2 * i + 1] = (d.omega[i + 1] - d.omega[i]) / h;
  }
  const cut = Math.floor(rows * REAL_PENDULUM_CONFIG.trainFraction);
  const params = {
    task: 'real-pendulum',
    system: realPendulum.name,
    stateLabels: realPendulum.stateLabels ?? null,
    source: 'data/real_pend_h_1.txt (Schmidt & Lipson 2009)',
    sourceSha256: REAL_PENDULUM_SHA256,
    ...REAL_PENDULUM_CONFIG,
    split: `first ${cut} rows (time order) train, remaining ${rows - cut} test`,
    note: 'the seed is recorded but unused: the data are measured, nothing is random',
    generatorVersion: STATE_GENERATOR_VERSION,
  };
  return split('real-pendulum', seed, 2, x, dx, t, cut, 'train', params);
}

/** Builds a state dataset in memory. Same (task, seed, overrides) -> identical arrays. */
export function buildStateDataset(task: StateTask, seed: number, overrides: StateOverrides = {}): StateDataset {
  checkTask(task);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new UserError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  if (task === 'real-pendulum') {
    if (Object.values(overrides).some((v) => v !== undefined))
      throw new UserError('the real pendulum dataset takes no options: it is measured data');
    return buildRealPendulum(seed);
  }
  return buildSimulated(task, seed, overrides);
}

const ARRAYS = ['trainX', 'trainDx', 'trainT', 'testX', 'testDx', 'testT'] as const;

/** Writes a built dataset through a claimed output (manifest.json + .npy files). */
export function saveStateDataset(out: DatasetOutput, ds: StateDataset): DatasetManifest {
  const mat = (data: Float64Array, rows: number): NpyArray => ({ data, shape: [rows, ds.dim] });
  return out.write(
    { kind: ds.task, seed: ds.seed, params: ds.params, extra: { dim: ds.dim, trainRows: ds.trainRows, testRows: ds.testRows } },
    {
      trainX: mat(ds.trainX, ds.trainRows),
      trainDx: mat(ds.trainDx, ds.trainRows),
      trainT: { data: ds.trainT, shape: [ds.trainRows] },
      testX: mat(ds.testX, ds.testRows),
      testDx: mat(ds.testDx, ds.testRows),
      testT: { data: ds.testT, shape: [ds.testRows] },
    },
  );
}

/**
 * Builds and writes a state dataset; returns both. The folder is claimed before the work: user
 * files and other results are refused, an existing dataset is replaced only with `force`.
 */
export function writeStateDataset(
  dir: string,
  task: StateTask,
  seed: number,
  overrides: StateOverrides = {},
  opts: { force?: boolean; command?: string } = {},
): { dataset: StateDataset; manifest: DatasetManifest } {
  checkTask(task);
  const out = openDatasetOutput(dir, opts);
  try {
    const dataset = buildStateDataset(task, seed, overrides);
    return { dataset, manifest: saveStateDataset(out, dataset) };
  } finally {
    out.release();
  }
}

/** Reads a state dataset, checking its task, checksums and shapes; UserError on any mismatch. */
export function loadStateDataset(dir: string, task?: StateTask): StateDataset {
  if (task !== undefined) checkTask(task);
  const { manifest, arrays } = readDataset(dir, task);
  if (!isStateTask(manifest.kind))
    throw new UserError(`dataset ${dir} holds "${manifest.kind}", which is not a state dataset (${STATE_TASKS.join(', ')})`);
  const bad = (why: string) =>
    new UserError(`dataset ${dir} is not a valid ${manifest.kind} state dataset (${why}); regenerate it with \`hnn generate\``);
  for (const name of ARRAYS) {
    if (!arrays[name]) throw bad(`array ${name} is missing from manifest.json`);
    if (!(arrays[name].data instanceof Float64Array)) throw bad(`array ${name} is not float64`);
  }
  const trainRows = arrays.trainT.shape[0];
  const testRows = arrays.testT.shape[0];
  const dim = arrays.trainX.shape[1];
  const want: Record<(typeof ARRAYS)[number], number[]> = {
    trainX: [trainRows, dim],
    trainDx: [trainRows, dim],
    trainT: [trainRows],
    testX: [testRows, dim],
    testDx: [testRows, dim],
    testT: [testRows],
  };
  for (const name of ARRAYS) {
    if (arrays[name].shape.join(',') !== want[name].join(','))
      throw bad(`${name} has shape [${arrays[name].shape}], expected [${want[name]}]`);
  }
  const expectDim = manifest.kind === 'real-pendulum' ? 2 : getSimulatedSystem(manifest.kind).dim;
  if (dim !== expectDim) throw bad(`state dimension ${dim}, expected ${expectDim}`);
  if (trainRows < 1 || testRows < 1)
    throw bad(`${trainRows} train and ${testRows} test rows; training and evaluation need at least one of each`);
  for (const [name, rows] of [
    ['trainRows', trainRows],
    ['testRows', testRows],
  ] as const) {
    const recorded = manifest[name];
    if (recorded !== undefined && recorded !== rows) throw bad(`manifest.json says ${name} ${String(recorded)}, the arrays hold ${rows}`);
  }
  const f64 = (name: (typeof ARRAYS)[number]) => arrays[name].data as Float64Array;
  return {
    task: manifest.kind,
    seed: manifest.seed,
    dim,
    trainRows,
    testRows,
    trainX: f64('trainX'),
    trainDx: f64('trainDx'),
    trainT: f64('trainT'),
    testX: f64('testX'),
    testDx: f64('testDx'),
    testT: f64('testT'),
    params: manifest.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Energy-evaluation settings (REFERENCE.md "Energy MSE" per task), as data.

export interface EnergyEvalSettings {
  task: StateTask;
  /** the seed the initial states were drawn from */
  seed: number;
  t0: number;
  t1: number;
  points: number;
  rtol: number;
  atol: number;
  /** output times: evenly spaced on [t0, t1], or the measured test time stamps (real pendulum) */
  tEval: Float64Array;
  /** the energy compared along true and predicted trajectories */
  energy: (x: Float64Array) => number;
  initialStates: Float64Array[];
  /** real pendulum only: the measured states at tEval, row-major [points, 2] (the "true" trajectory) */
  measured?: Float64Array;
}

/** Horizon, sampling and tolerance per task; atol = rtol except where the reference uses scipy defaults. */
export const ENERGY_EVAL: Record<SimulatedTask, { count: number; t1: number; points: number; rtol: number; atol: number }> = {
  spring: { count: 15, t1: 20, points: 100, rtol: 1e-12, atol: 1e-12 },
  pendulum: { count: 15, t1: 20, points: 100, rtol: 1e-12, atol: 1e-12 },
  'damped-pendulum': { count: 15, t1: 20, points: 100, rtol: 1e-12, atol: 1e-12 },
  'two-body': { count: 15, t1: 25, points: 500, rtol: 1e-9, atol: 1e-9 },
  // REFERENCE.md gives horizon and points only; the two-body tolerance is used.
  'three-body': { count: 15, t1: 3, points: 500, rtol: 1e-9, atol: 1e-9 },
};

/**
 * Initial states for the energy metric. Spring and pendulums: `count` states, each coordinate
 * uniform in +-[0.2, 1.0) (magnitude U(0.2, 1), random sign), from Rng(seed).fork("energy-eval").
 * Two- and three-body: the training sampler run with seeds seed, seed+1, ... (default 0..14).
 */
export function energyEvalStates(task: SimulatedTask, seed = 0): Float64Array[] {
  const { count } = ENERGY_EVAL[task];
  if (task === 'two-body' || task === 'three-body') {
    const system = getSimulatedSystem(task);
    return Array.from({ length: count }, (_, i) => system.sampleInitial(new Rng(seed + i)));
  }
  const rng = new Rng(seed).fork('energy-eval');
  return Array.from({ length: count }, () => {
    const x = new Float64Array(2);
    for (let i = 0; i < 2; i++) {
      const magnitude = rng.range(0.2, 1.0);
      x[i] = rng.uniform() < 0.5 ? -magnitude : magnitude;
    }
    return x;
  });
}

/**
 * The energy-evaluation settings of a task. For the real pendulum: start at the first test point,
 * report at the test time stamps, default tolerances (rtol 1e-3, atol 1e-6), and compare with the
 * energy of the measured states (`measured`).
 */
export function energyEvalConfig(task: StateTask, seed = 0): EnergyEvalSettings {
  checkTask(task);
  if (task === 'real-pendulum') {
    const ds = buildRealPendulum(seed);
    return {
      task,
      seed,
      t0: ds.testT[0],
      t1: ds.testT[ds.testRows - 1],
      points: ds.testRows,
      rtol: 1e-3,
      atol: 1e-6,
      tEval: ds.testT,
      energy: realPendulum.energy,
      initialStates: [ds.testX.slice(0, 2)],
      measured: ds.testX,
    };
  }
  const e = ENERGY_EVAL[task];
  const system = getSimulatedSystem(task);
  return {
    task,
    seed,
    t0: 0,
    t1: e.t1,
    points: e.points,
    rtol: e.rtol,
    atol: e.atol,
    tEval: linspace(0, e.t1, e.points),
    energy: (x) => system.energy(x),
    initialStates: energyEvalStates(task, seed),
  };
}
