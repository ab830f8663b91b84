// `hnn import states`: a user's trajectories (CSV, .npy, .npz, JSON; datasets/import-table.ts) as a
// state dataset that every model and command takes like a generated one: rows (x, dx/dt, t) of
// float64, trajectories kept whole and in time order. Targets are the given derivative columns, or
// finite differences of the states: forward (x_i with (x_{i+1} - x_i) / h, as the paper's real
// pendulum) or central (the second-order three-point formula, also for uneven steps). The split is
// by trial (seeded) or, within each trial, by time. Beside the six arrays of a state dataset it
// writes trainTrial / testTrial, the source trial of each row.
import { basename, resolve } from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { sha256 } from '../src/util/files.ts';
import { MAX_SEED, Rng } from '../src/util/rng.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { STATE_IMPORT } from '../src/tasks/imported.ts';
import { openDatasetOutput, type DatasetManifest } from './format.ts';
import { readTableFile, type Table } from './import-table.ts';
import { energyFunction, type ImportedEnergy } from './import-task.ts';
import type { StateDataset } from './state.ts';

/** Version of the importer, recorded in the manifest; bump it when the bytes for the same input change. */
export const STATE_IMPORT_VERSION = 1;

export const TARGET_METHODS = ['forward', 'central'] as const;
export type TargetMethod = (typeof TARGET_METHODS)[number];
export const SPLITS = ['trials', 'time'] as const;
export type SplitBy = (typeof SPLITS)[number];

/** What `hnn import states` takes besides the file and the output folder (docs/IMPORT.md). */
export interface StateImportOptions {
  /** Positions then momenta, e.g. [q1, q2, p1, p2] (or give q and p). */
  columns?: string[];
  q?: string[];
  p?: string[];
  /** A time column, or a fixed step dt (one of the two). */
  time?: string;
  dt?: number;
  /** A column whose value names each row's trial (default: one trial). */
  trial?: string;
  /** Derivative columns in state order (dq..., dp...): the targets as given, not differenced. */
  derivatives?: string[];
  /** Finite differences when no derivatives are given (default forward). */
  targets?: TargetMethod;
  split?: SplitBy;
  /** Fraction of trials (split by trials) or of each trial's last rows (split by time) held out; default 0.2. */
  testFraction?: number;
  seed?: number;
  /** The true energy as an expression of the state's columns (or q, p / q1.., p1..). */
  energy?: string;
  force?: boolean;
  /** The command line, recorded in the manifest. */
  command?: string;
}

interface Mapping {
  q: string[];
  p: string[];
  derivatives: string[] | null;
}

function columnOf(table: Table, file: string, name: string): Float64Array {
  const i = table.names.indexOf(name);
  if (i < 0) throw new UserError(`unknown column "${name}" in ${file}; its columns are ${table.names.join(', ')}`);
  return table.columns[i];
}

function mappingOf(o: StateImportOptions): Mapping {
  let q = o.q ?? [];
  let p = o.p ?? [];
  if (o.columns) {
    if (o.q || o.p) throw new UserError('give the state as --columns q1,p1 or as --q and --p, not both');
    if (o.columns.length % 2 !== 0 || o.columns.length === 0)
      throw new UserError(`--columns needs positions then momenta, an even number of columns, got ${o.columns.length}`);
    q = o.columns.slice(0, o.columns.length / 2);
    p = o.columns.slice(o.columns.length / 2);
  }
  if (q.length === 0 || q.length !== p.length)
    throw new UserError(`give as many momenta as positions (--q ${q.join(',') || '...'} --p ${p.join(',') || '...'}), at least one each`);
  const derivatives = o.derivatives ?? null;
  if (derivatives && derivatives.length !== 2 * q.length)
    throw new UserError(`--derivatives needs ${2 * q.length} columns (dq then dp), got ${derivatives.length}`);
  if ((o.time === undefined) === (o.dt === undefined)) throw new UserError('give the time as --time COLUMN or a fixed step as --dt H');
  if (o.dt !== undefined && !(o.dt > 0 && Number.isFinite(o.dt))) throw new UserError(`--dt must be a positive number, got ${o.dt}`);
  return { q, p, derivatives };
}

/** One trajectory as read: its rows' states, given derivatives (or null) and times. */
interface Trial {
  id: number;
  x: Float64Array[];
  dx: Float64Array[] | null;
  t: number[];
}

/** Groups the table's rows by trial (in order of first appearance) and checks time increases in each. */
function trialsOf(table: Table, file: string, o: StateImportOptions, m: Mapping): Trial[] {
  const state = [...m.q, ...m.p].map((n) => columnOf(table, file, n));
  const deriv = m.derivatives?.map((n) => columnOf(table, file, n)) ?? null;
  const time = o.time === undefined ? null : columnOf(table, file, o.time);
  const trialCol = o.trial === undefined ? null : columnOf(table, file, o.trial);
  const byId = new Map<number, Trial>();
  for (let r = 0; r < table.rows; r++) {
    const id = trialCol ? trialCol[r] : 0;
    let trial = byId.get(id);
    if (!trial) byId.set(id, (trial = { id, x: [], dx: deriv ? [] : null, t: [] }));
    const t = time ? time[r] : trial.t.length * o.dt!;
    const last = trial.t[trial.t.length - 1];
    if (last !== undefined && !(t > last))
      throw new UserError(
        `${file}: time does not increase at data row ${r + 1} (trial ${id}: t = ${last}, then ${t}); sort each trial's rows by time or fix the time column`,
      );
    trial.t.push(t);
    trial.x.push(Float64Array.from(state, (c) => c[r]));
    trial.dx?.push(Float64Array.from(deriv!, (c) => c[r]));
  }
  return [...byId.values()];
}

/** Rows (x, dx, t) of one trial: the given derivatives, or finite differences of its states. */
function targetsOf(trial: Trial, method: TargetMethod): { x: Float64Array[]; dx: Float64Array[]; t: number[] } {
  const { x, t } = trial;
  const n = t.length;
  if (trial.dx) return { x, dx: trial.dx, t };
  const need = method === 'forward' ? 2 : 3;
  if (n < need)
    throw new UserError(`trial ${trial.id} has ${n} rows; ${method} differences need at least ${need}; drop it or give more rows`);
  if (method === 'forward') {
    const dx = x.slice(0, n - 1).map((xi, i) => {
      const h = t[i + 1] - t[i];
      return xi.map((v, c) => (x[i + 1][c] - v) / h);
    });
    return { x: x.slice(0, n - 1), dx, t: t.slice(0, n - 1) };
  }
  // f'(t_i) = (h1^2 f_{i+1} - h2^2 f_{i-1} + (h2^2 - h1^2) f_i) / (h1 h2 (h1 + h2)), h1 = t_i - t_{i-1}, h2 = t_{i+1} - t_i
  const dx = x.slice(1, n - 1).map((xi, k) => {
    const i = k + 1;
    const h1 = t[i] - t[i - 1];
    const h2 = t[i + 1] - t[i];
    return xi.map((v, c) => (h1 * h1 * x[i + 1][c] - h2 * h2 * x[i - 1][c] + (h2 * h2 - h1 * h1) * v) / (h1 * h2 * (h1 + h2)));
  });
  return { x: x.slice(1, n - 1), dx, t: t.slice(1, n - 1) };
}

interface Rows {
  x: Float64Array[];
  dx: Float64Array[];
  t: number[];
  trial: number[];
}

const emptyRows = (): Rows => ({ x: [], dx: [], t: [], trial: [] });

function push(rows: Rows, r: { x: Float64Array[]; dx: Float64Array[]; t: number[] }, trial: number, from = 0, to = r.t.length): void {
  for (let i = from; i < to; i++) {
    rows.x.push(r.x[i]);
    rows.dx.push(r.dx[i]);
    rows.t.push(r.t[i]);
    rows.trial.push(trial);
  }
}

/** The held-out trials (split by trials): a seeded choice of round(fraction x trials), at least one, one left to train. */
export function testTrialSet(trials: number, fraction: number, seed: number): Set<number> {
  const count = Math.min(trials - 1, Math.max(1, Math.round(fraction * trials)));
  const order = Array.from({ length: trials }, (_, i) => i);
  const rng = new Rng(seed).fork('import-split');
  for (let i = trials - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Set(order.slice(0, count));
}

function splitRows(
  parts: Array<ReturnType<typeof targetsOf>>,
  split: SplitBy,
  fraction: number,
  seed: number,
): { train: Rows; test: Rows; held: number[] } {
  const train = emptyRows();
  const test = emptyRows();
  if (split === 'time') {
    parts.forEach((r, k) => {
      const cut = Math.floor(r.t.length * (1 - fraction));
      push(train, r, k, 0, cut);
      push(test, r, k, cut);
    });
    return { train, test, held: [] };
  }
  if (parts.length < 2)
    throw new UserError('the data hold one trial, and a split by trials needs two: pass --trial COLUMN, or --split time');
  const held = testTrialSet(parts.length, fraction, seed);
  parts.forEach((r, k) => push(held.has(k) ? test : train, r, k));
  return { train, test, held: [...held].sort((a, b) => a - b) };
}

/**
 * The energy expression, checked on every state row. Each state coordinate may be named by its
 * column's name (where that is an identifier) or by its alias q1.., p1.. (q, p for one degree).
 */
function energyOf(text: string, m: Mapping, x: Float64Array[]): ImportedEnergy {
  const k = m.q.length;
  const variables = [...m.q, ...m.p].map((name, i) => {
    const alias = `${i < k ? 'q' : 'p'}${k === 1 ? '' : (i % k) + 1}`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== alias ? [name, alias] : [alias];
  });
  const energy = { expression: text, variables };
  const f = energyFunction(energy);
  x.forEach((xi, r) => {
    try {
      f(xi);
    } catch (e) {
      throw new UserError(`${(e as Error).message} (state row ${r})`);
    }
  });
  return energy;
}

/** An imported state dataset in memory, with the source trial of each row. */
export interface ImportedStates extends StateDataset {
  trainTrial: Float64Array;
  testTrial: Float64Array;
}

function flat(rows: Float64Array[], dim: number): Float64Array {
  const out = new Float64Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}

function checkOptions(o: StateImportOptions): { split: SplitBy; fraction: number; seed: number; targets: TargetMethod } {
  const fraction = o.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`--test-fraction must be a number in (0, 1), got ${fraction}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new UserError(`--seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  const targets = o.targets ?? 'forward';
  if (!TARGET_METHODS.includes(targets)) throw new UserError(`--targets must be one of ${TARGET_METHODS.join(', ')}, got "${targets}"`);
  if (o.derivatives && o.targets) throw new UserError('--targets chooses finite differences; drop it when --derivatives gives the targets');
  const split = o.split ?? 'trials';
  if (!SPLITS.includes(split)) throw new UserError(`--split must be one of ${SPLITS.join(', ')}, got "${split}"`);
  return { split, fraction, seed, targets };
}

/** Builds the dataset of a table (same table and options -> the same arrays). */
export function buildImportedStates(table: Table, file: string, o: StateImportOptions, sourceSha256: string): ImportedStates {
  const m = mappingOf(o);
  const { split, fraction, seed, targets } = checkOptions(o);
  const trials = trialsOf(table, file, o, m);
  const parts = trials.map((t) => targetsOf(t, targets));
  const { train, test, held } = splitRows(parts, split, fraction, seed);
  if (train.t.length < 1 || test.t.length < 1)
    throw new UserError(
      `the split leaves ${train.t.length} train and ${test.t.length} test rows; give more rows or another --test-fraction`,
    );
  const dim = 2 * m.q.length;
  const energy = o.energy === undefined ? null : energyOf(o.energy, m, [...train.x, ...test.x]);
  const params = {
    task: STATE_IMPORT,
    source: { file: basename(file), path: resolve(file), sha256: sourceSha256, format: table.format, rows: table.rows },
    columns: { q: m.q, p: m.p, time: o.time ?? null, dt: o.dt ?? null, trial: o.trial ?? null, derivatives: m.derivatives },
    coordinates: m.q,
    stateLabels: [...m.q, ...m.p],
    dof: m.q.length,
    targets: m.derivatives
      ? 'the given derivative columns'
      : targets === 'forward'
        ? 'forward finite differences: x_i with (x_{i+1} - x_i) / (t_{i+1} - t_i); the last row of each trial is dropped'
        : 'central finite differences: the three-point formula of uneven steps, exact for quadratics; the first and last row of each trial are dropped',
    targetMethod: m.derivatives ? 'given' : targets,
    split:
      split === 'time'
        ? `by time: the first floor((1 - ${fraction}) x rows) rows of each trial train, the rest test`
        : `by trial: ${held.length} of ${trials.length} trials held out, drawn from Rng(seed).fork("import-split")`,
    splitBy: split,
    testFraction: fraction,
    trials: trials.map((t) => t.id),
    testTrials: split === 'trials' ? held : null,
    energy,
    noiseStd: 0,
    command: o.command ?? null,
    importerVersion: STATE_IMPORT_VERSION,
  };
  return {
    task: STATE_IMPORT,
    seed,
    dim,
    trainRows: train.t.length,
    testRows: test.t.length,
    trainX: flat(train.x, dim),
    trainDx: flat(train.dx, dim),
    trainT: Float64Array.from(train.t),
    testX: flat(test.x, dim),
    testDx: flat(test.dx, dim),
    testT: Float64Array.from(test.t),
    trainTrial: Float64Array.from(train.trial),
    testTrial: Float64Array.from(test.trial),
    params: { ...params, rows: train.t.length + test.t.length, trainRows: train.t.length, testRows: test.t.length },
  };
}

/**
 * `hnn import states FILE --out DIR`: reads, checks and writes the dataset. Every check runs before
 * the folder is claimed; the folder appears only when complete.
 */
export function importStates(file: string, out: string, o: StateImportOptions): { dataset: ImportedStates; manifest: DatasetManifest } {
  const { table, bytes } = readTableFile(file);
  const ds = buildImportedStates(table, file, o, sha256(bytes));
  const output = openDatasetOutput(out, { force: o.force, command: 'hnn import states' });
  try {
    const mat = (data: Float64Array, rows: number): NpyArray => ({ data, shape: [rows, ds.dim] });
    const manifest = output.write(
      { kind: STATE_IMPORT, seed: ds.seed, params: ds.params, extra: { dim: ds.dim, trainRows: ds.trainRows, testRows: ds.testRows } },
      {
        trainX: mat(ds.trainX, ds.trainRows),
        trainDx: mat(ds.trainDx, ds.trainRows),
        trainT: { data: ds.trainT, shape: [ds.trainRows] },
        trainTrial: { data: ds.trainTrial, shape: [ds.trainRows] },
        testX: mat(ds.testX, ds.testRows),
        testDx: mat(ds.testDx, ds.testRows),
        testT: { data: ds.testT, shape: [ds.testRows] },
        testTrial: { data: ds.testTrial, shape: [ds.testRows] },
      },
    );
    return { dataset: ds, manifest };
  } finally {
    output.release();
  }
}
