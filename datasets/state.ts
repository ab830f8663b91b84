// State datasets: rows of (x, dx/dt) split into train and test, made as each task's record says
// (src/systems/*.ts; docs/PROTOCOLS.md). Arrays are float64, row-major [rows, dim]; rows of a
// trajectory are consecutive and in time order, trajectories follow each other in sampling order.
// Any system works: a simulated task integrates its system's exact field from sampled initial
// states; a measured task reads its shipped file and takes forward finite differences.
import { UserError } from '../src/util/errors.ts';
import { NumpyLegacyRandom } from '../src/util/numpy-random.ts';
import { MAX_SEED, Rng } from '../src/util/rng.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { checkMemory } from '../src/util/memory.ts';
import { solveIvpInto } from '../src/integrate/rk45.ts';
import { FAILURE_WORDS, IntegrationError } from '../src/integrate/errors.ts';
import { formatState } from '../src/systems/check.ts';
import type { System } from '../src/systems/system.ts';
import type { MeasuredData, SimulatedData, StateTask } from '../src/tasks/task.ts';
import { getStateTask } from '../src/tasks/registry.ts';
import { loadMeasured } from './measured.ts';
import { buildGrid } from './grid.ts';
import { openDatasetOutput, readDataset, type DatasetManifest, type DatasetOutput } from './format.ts';
import { importedTaskOf } from './import-task.ts';
import type { StateDataset } from './state-dataset.ts';
export type { StateDataset } from './state-dataset.ts';

/** Generator version, recorded in the manifest; bump it when the bytes for a seed change. */
export const STATE_GENERATOR_VERSION = 2;

/** Changes to a simulated task's protocol (flags, --quick); recorded in the manifest. */
export type StateOverrides = Partial<Pick<SimulatedData, 'trajectories' | 'points' | 't1' | 'rtol' | 'atol' | 'noiseStd'>> & {
  /** Friction gamma of the system (dp/dt = -dH/dq - gamma dH/dp). */
  friction?: number;
};

/** A task given by name (the registry) or as a record (e.g. a user's own system). */
export type TaskRef = string | StateTask;

export function stateTaskOf(ref: TaskRef): StateTask {
  return typeof ref === 'string' ? getStateTask(ref) : ref;
}

/** n evenly spaced values from a to b, both included (numpy.linspace). */
export function linspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/** Merges and validates overrides (they may come from command-line flags). */
export function resolveData(task: StateTask, overrides: StateOverrides = {}): { data: SimulatedData; system: System } {
  if (task.data.source !== 'simulated') {
    if (Object.values(overrides).some((v) => v !== undefined))
      throw new UserError(`the ${task.name} dataset takes no options: it is ${task.data.source} data`);
    throw new Error(`${task.name} is ${task.data.source} data`);
  }
  const { friction, ...rest } = overrides;
  const data: SimulatedData = { ...task.data };
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (!(key in data)) throw new UserError(`unknown dataset option "${key}"`);
    (data as unknown as Record<string, number>)[key] = value;
  }
  const int = (k: 'trajectories' | 'points', min: number) => {
    if (!Number.isInteger(data[k]) || data[k] < min) throw new UserError(`${k} must be an integer >= ${min}, got ${data[k]}`);
  };
  int('trajectories', 2);
  int('points', 2);
  if (!(data.t1 > data.t0) || !Number.isFinite(data.t1)) throw new UserError(`t1 must be a finite number > ${data.t0}, got ${data.t1}`);
  if (!(data.rtol > 0 && data.rtol < 1)) throw new UserError(`rtol must be in (0, 1), got ${data.rtol}`);
  if (!(data.atol > 0)) throw new UserError(`atol must be > 0, got ${data.atol}`);
  if (!(data.noiseStd >= 0) || !Number.isFinite(data.noiseStd)) throw new UserError(`noiseStd must be >= 0, got ${data.noiseStd}`);
  if (friction !== undefined && !(friction >= 0 && Number.isFinite(friction)))
    throw new UserError(`friction must be a finite number >= 0, got ${friction}`);
  const system = friction === undefined || friction === task.system.friction ? task.system : task.system.withFriction(friction);
  return { data, system };
}

/** Splits rows of x, dx, t at row `cut`: the first part goes to the split named by `first`. */
function split(
  task: string,
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

/** Clean trajectories' initial states and the noise to add to them, drawn as `data.randomSource` says. */
interface Draws {
  /** the next trajectory's initial state */
  initial: () => Float64Array;
  /** that trajectory's noise, [points, dim] row-major (called once per trajectory, after initial) */
  noise: () => Float64Array;
  description: Record<string, string>;
}

function drawsFor(system: System, data: SimulatedData, seed: number): Draws {
  const dim = system.dim;
  if (data.randomSource === 'numpy-legacy') {
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
        const n = new Float64Array(data.points * 2);
        for (let c = 0; c < 2; c++) for (let i = 0; i < data.points; i++) n[2 * i + c] = np.standardNormal();
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
    noise: () => Float64Array.from({ length: data.points * dim }, () => (data.noiseStd > 0 ? noiseRng.normal() : 0)),
    description: { initialStates: 'Rng(seed).fork("initial-states")', noise: 'Rng(seed).fork("noise")' },
  };
}

/**
 * Runs one trajectory's integration; a trajectory the integrator cannot finish (a singularity, a
 * blow-up) is the task's data settings at fault, so it becomes a one-line error naming the
 * trajectory, its start and the settings that fix it.
 */
function simulateTrajectory<T>(taskName: string, system: System, k: number, x0: Float64Array, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof IntegrationError)) throw e;
    throw new UserError(
      `${taskName}: trajectory ${k} of the dataset, from ${formatState(x0, system.stateLabels)}, could not be integrated past t = ${e.t.toPrecision(4)} (${FAILURE_WORDS[e.reason]}); keep the sampler's states away from the singularity (its ranges or energy band) or shorten the data's t1`,
    );
  }
}

function buildSimulated(task: StateTask, seed: number, overrides: StateOverrides): StateDataset {
  const { data, system } = resolveData(task, overrides);
  const f = system.fieldInto;
  const dim = system.dim;
  const tEval = linspace(data.t0, data.t1, data.points);
  const rows = data.trajectories * data.points;
  // x, dx and t, then their train/test copies
  checkMemory(
    `the ${task.name} dataset (${rows} rows)`,
    { 'x and dx': 2 * 2 * rows * dim * 8, t: 2 * rows * 8 },
    'use fewer trajectories or points',
  );
  const draws = drawsFor(system, data, seed);
  const x = new Float64Array(rows * dim);
  const dx = new Float64Array(rows * dim);
  const t = new Float64Array(rows);
  let nfev = 0;
  for (let k = 0; k < data.trajectories; k++) {
    const x0 = draws.initial();
    const sol = simulateTrajectory(task.name, system, k, x0, () =>
      solveIvpInto(f, [data.t0, data.t1], x0, { tEval, rtol: data.rtol, atol: data.atol }),
    );
    nfev += sol.nfev;
    const at = k * data.points * dim;
    x.set(sol.y, at);
    t.set(tEval, k * data.points);
    // Targets: the exact field at the clean states; only then is noise added to the inputs.
    for (let r = k * data.points; r < (k + 1) * data.points; r++)
      f(t[r], x.subarray(r * dim, (r + 1) * dim), dx.subarray(r * dim, (r + 1) * dim));
    const noise = draws.noise();
    if (data.noiseStd > 0) for (let i = 0; i < noise.length; i++) x[at + i] += noise[i] * data.noiseStd;
  }
  const testTrajectories = Math.round(data.trajectories * data.testFraction);
  const cutTrajectories = data.first === 'train' ? data.trajectories - testTrajectories : testTrajectories;
  const params = {
    task: task.name,
    system: system.name,
    systemDescription: system.description,
    stateLabels: system.stateLabels,
    friction: system.friction,
    ...data,
    integrator: 'rk45 (Dormand-Prince 5(4), dense output at t_eval)',
    targets: 'exact field at the clean states',
    noise: data.noiseStd > 0 ? 'Gaussian, added to x after the targets' : 'none',
    randomDraws: draws.description,
    split: `${data.first === 'train' ? 'first' : 'last'} ${data.trajectories - testTrajectories} trajectories train, ${data.first === 'test' ? 'first' : 'last'} ${testTrajectories} test`,
    generatorVersion: STATE_GENERATOR_VERSION,
    totalFieldEvaluations: nfev,
  };
  return split(task.name, seed, dim, x, dx, t, cutTrajectories * data.points, data.first, params);
}

/** Finite differences of measured rows (forward, or at the midpoints), the first part (time order) train. */
export function buildMeasured(task: StateTask, data: MeasuredData, seed: number): StateDataset {
  const d = loadMeasured(data);
  const rows = d.rows - 1;
  const x = new Float64Array(rows * 2);
  const dx = new Float64Array(rows * 2);
  const midpoint = data.targets === 'midpoint';
  const t = midpoint ? Float64Array.from({ length: rows }, (_, i) => (d.t[i] + d.t[i + 1]) / 2) : d.t.slice(0, rows);
  for (let i = 0; i < rows; i++) {
    const h = d.t[i + 1] - d.t[i];
    x[2 * i] = midpoint ? (d.q[i] + d.q[i + 1]) / 2 : d.q[i];
    x[2 * i + 1] = midpoint ? (d.p[i] + d.p[i + 1]) / 2 : d.p[i];
    dx[2 * i] = (d.q[i + 1] - d.q[i]) / h;
    dx[2 * i + 1] = (d.p[i + 1] - d.p[i]) / h;
  }
  const cut = Math.floor(rows * data.trainFraction);
  const params = {
    task: task.name,
    system: task.system.name,
    stateLabels: task.system.stateLabels,
    source: data.provenance,
    sourceSha256: data.sha256,
    trainFraction: data.trainFraction,
    targets: midpoint ? 'finite differences at the midpoints' : 'forward finite differences',
    noiseStd: 0,
    split: `first ${cut} rows (time order) train, remaining ${rows - cut} test`,
    note: 'the seed is recorded but unused: the data are measured, nothing is random',
    generatorVersion: STATE_GENERATOR_VERSION,
  };
  return split(task.name, seed, 2, x, dx, t, cut, 'train', params);
}

/** Builds a state dataset in memory. Same (task, seed, overrides) -> identical arrays. */
export function buildStateDataset(ref: TaskRef, seed: number, overrides: StateOverrides = {}): StateDataset {
  const task = stateTaskOf(ref);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new UserError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  if (task.data.source === 'imported')
    throw new UserError(
      `${task.name} datasets are made from your data by \`hnn import states FILE --out DIR\`; train on one with --data DIR`,
    );
  if (task.data.source !== 'simulated') {
    if (Object.values(overrides).some((v) => v !== undefined))
      throw new UserError(`the ${task.name} dataset takes no options: it is ${task.data.source} data`);
    return task.data.source === 'measured'
      ? buildMeasured(task, task.data, seed)
      : buildGrid(task, task.data, seed, STATE_GENERATOR_VERSION);
  }
  return buildSimulated(task, seed, overrides);
}

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
  ref: TaskRef,
  seed: number,
  overrides: StateOverrides = {},
  opts: { force?: boolean; command?: string } = {},
): { dataset: StateDataset; manifest: DatasetManifest } {
  const task = stateTaskOf(ref);
  const out = openDatasetOutput(dir, opts);
  try {
    const dataset = buildStateDataset(task, seed, overrides);
    return { dataset, manifest: saveStateDataset(out, dataset) };
  } finally {
    out.release();
  }
}

const ARRAYS = ['trainX', 'trainDx', 'trainT', 'testX', 'testDx', 'testT'] as const;

/** Reads a state dataset, checking its task, checksums, shapes and row counts; UserError on any mismatch. */
export function loadStateDataset(dir: string, ref?: TaskRef): StateDataset {
  const wanted = ref === undefined ? undefined : stateTaskOf(ref);
  const { manifest, arrays } = readDataset(dir, wanted?.name);
  const task = wanted ?? (importedTaskOf(manifest) as StateTask | null) ?? getStateTask(manifest.kind);
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
  if (dim !== task.system.dim) throw bad(`state dimension ${dim}, expected ${task.system.dim}`);
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
    ...(arrays.testTrial?.data instanceof Float64Array && arrays.testTrial.shape[0] === testRows
      ? { testTrial: arrays.testTrial.data }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Energy-evaluation settings (docs/PROTOCOLS.md, "Energy MSE"), from each task's record.
