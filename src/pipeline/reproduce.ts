// `hnn reproduce`: HNN and baseline on every task of a table (the paper's Table 1, the three-body
// appendix, our damped pendulum, the pixel tasks), over seeds, beside the published numbers; with
// --dissipative, baseline, HNN and D-HNN on damped and measured data (and the ideal spring and
// pendulum as conservative controls), beside the D-HNN paper's figures, with the D-HNN's learned
// friction. Finished runs are reused (a killed reproduction resumes where it stopped); --force retrains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generatePixelDataset, outdatedDataset } from '../../datasets/pixel.ts';
import { readManifest } from '../../datasets/format.ts';
import { STATE_GENERATOR_VERSION, writeStateDataset } from '../../datasets/state.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { loadDynamicsModel } from '../../models/storage.ts';
import { DISSIPATION_FORMS, type DissipationForm, type DissipationSchedule, type LatentStep } from '../../models/kinds.ts';
import { fieldFunction } from '../../models/f64.ts';
import { energyEvaluation } from '../eval/energy.ts';
import type { DissipationSummary } from '../eval/dissipation.ts';
import { describeStatistic, FINAL, testLossOf, type TestLossRecord, type TestStatistic } from '../eval/statistic.ts';
import { seedTestTable } from './seed-tables.ts';
import type { MeanCi } from '../eval/stats.ts';
import { VPT_THRESHOLD } from '../eval/pixel.ts';
import { defaultRolloutIntegrator, taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import { getTask } from '../tasks/registry.ts';
import type { PixelTask, StateTask, Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { claimOutput, markOutput } from '../util/output.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { formatSeconds } from '../util/progress.ts';
import { packageVersions } from '../util/versions.ts';
import { plotTaskComparison, type TaskPlotInputs } from './task-plots.ts';
import { CHECKPOINT_FILE } from './pixel.ts';
import { pixelProtocolMismatch, runPixelEvaluation, type PixelMetrics } from './pixel-metrics.ts';
import { taskLatentMap } from '../eval/pixel-evaluation.ts';
import { readMetrics } from './metrics.ts';
import { runRollout } from './rollout.ts';
import { protocolMismatch, stateRunProtocol, type RunMetricsBase } from './state.ts';
import type { StateTrainOverrides } from './options.ts';
import { defaultJobs, runJobs, type Job } from './workers.ts';
import { threadsFor } from '../tf/backend.ts';

/** The part of metrics.json the table reads, common to state and pixel runs. */
type RunMetrics = RunMetricsBase<string> &
  TestLossRecord & {
    energyMse: MeanCi;
    dissipation?: DissipationSummary;
    /** pixel runs: valid prediction time over the test trials */
    vptMean?: number;
    vptMedian?: number;
    vptOver50?: number;
  };

/** One pixel run's valid prediction time over its test trials, in frames. */
export interface VptCell {
  median: number;
  mean: number;
  /** fraction of the test trials past 50 frames */
  over50: number;
}

/** Which published figures a table compares with: the HNN paper's Table 1, or the D-HNN paper's. */
export type Reference = 'paper' | 'dissipative';

/** The models of the tables, in column order. */
const TABLE_ORDER = ['baseline', 'hnn', 'dhnn'] as const satisfies readonly ModelKind[];
const LABELS: Record<ModelKind, string> = { baseline: 'Baseline', hnn: 'HNN', dhnn: 'D-HNN' };

export interface ReproduceOptions {
  tasks: string[];
  /** A user's system file some of the tasks come from (registered by the caller; workers register it too). */
  systemFile?: string;
  seeds: number;
  outDir: string;
  quick: boolean;
  backend: string;
  force: boolean;
  quiet: boolean;
  /** Pixel tasks: the latent model's weight decay (default: latentWeightDecay's rule; 1e-5 is the literal protocol). */
  dynamicsWeightDecay?: number;
  /** Runs trained at once (default: the machine's cores). */
  jobs?: number;
  /** The models trained on every task (default baseline and HNN). */
  models?: ModelKind[];
  /** The published figures the table compares with (default the HNN paper's). */
  reference?: Reference;
  /** Pixel tasks: the paper's one-step latent loss (the paper's table) instead of the tasks' defaults (the pixel table). */
  paperProtocol?: boolean;
  /** Pixel tasks: the latent step of the loss instead of the protocol's (the task's, leapfrog; the paper's table: euler). */
  latentStep?: LatentStep;
  /** Pixel tasks: what the rollouts do to the latent after every frame instead of each task's default (labelled in every output). */
  projection?: RolloutProjection;
  /** Steps of every run instead of the protocol's (labelled in every output). */
  steps?: number;
  /** Runs trained elsewhere (a queued sweep's workers, src/pipeline/sweep/reproduce-queue.ts) instead of here. */
  external?: ExternalRuns;
  /** The test loss the tables show: the final model's (default) or the mean of the last k evaluations. */
  statistic?: TestStatistic;
  /** State tasks: training settings instead of every task protocol's (recorded in each metrics.json). */
  train?: StateTrainOverrides;
  /** State tasks, D-HNN: the weight decay of D instead of each task's. */
  dissipationWeightDecay?: number;
  /** State tasks, D-HNN: how D's decay runs (default DISSIPATION_SCHEDULE). */
  dissipationSchedule?: DissipationSchedule;
  /** State tasks, D-HNN: the form of D's part (default STATE_DISSIPATION_FORM). */
  dissipationForm?: DissipationForm;
}

/** Where runs trained elsewhere lie, and how to have them all finished. */
export interface ExternalRuns {
  runDir(task: string, seed: number, kind: ModelKind): string;
  /** the dataset the run trained on */
  dataDir(task: string, seed: number, kind: ModelKind): string;
  /** returns once every run is finished (throws when one failed) */
  run(): Promise<void>;
}

function stepsOf(task: Task, o: Pick<ReproduceOptions, 'quick' | 'steps'>): number {
  return o.steps ?? (o.quick ? task.quick.steps : task.train.steps);
}

/** What --quick changes for a task, in words. */
function quickNote(task: Task): string {
  const data = task.kind === 'state' && task.quick.data ? `, ${JSON.stringify(task.quick.data)}` : '';
  return `${task.name} ${task.quick.steps}${data}`;
}

/** The scale each metric of a task is printed at: the HNN paper's (x 1e3 where it has none). */
function scalesOf(task: Task): Record<MetricKey, number> {
  const scale = task.published?.scale ?? task.publishedDissipative?.scale ?? 1e3;
  const own = task.kind === 'pixel' ? task.publishedScales : undefined;
  const loss = own?.loss ?? scale;
  return { trainLoss: loss, testLoss: loss, energyMse: own?.energy ?? scale };
}

const METRICS = [
  ['trainLoss', 'train loss'],
  ['testLoss', 'test loss'],
  ['energyMse', 'energy MSE'],
] as const;
type MetricKey = (typeof METRICS)[number][0];

export interface Cell {
  ours: number;
  /** spread across seeds (std / sqrt(seeds)), or the single run's own +- */
  oursSpread: number;
  paper: number | null;
  paperSpread: number | null;
  /** ours / paper */
  ratio: number | null;
}

/** The D-HNN's learned friction over seeds (src/eval/dissipation.ts): [mean, std/sqrt(seeds)] pairs. */
export interface DissipationRow {
  /** the data's friction (the same for every seed, or their mean when fitted) */
  gamma: number;
  gammaSource: string;
  rollouts: [number, number];
  test: [number, number];
  share: [number, number];
  trueShare: number;
}

export interface TaskRow {
  task: string;
  /** what each metric is multiplied by when printed, as in the paper */
  scales: Record<MetricKey, number>;
  /** the models run on the task (TABLE_ORDER) */
  cells: Partial<Record<ModelKind, Record<MetricKey, Cell>>>;
  /** each model's energy MSE per seed (seed 0 first) */
  energyBySeed: Partial<Record<ModelKind, number[]>>;
  /** each model's test loss per seed under `statistic` (seed 0 first) */
  testBySeed: Partial<Record<ModelKind, number[]>>;
  /** the test loss statistic of testBySeed and of the testLoss cells */
  statistic: TestStatistic;
  /** D-HNN runs: the learned friction along the rollouts per seed, and each seed's warning (friction removed) */
  frictionBySeed?: Array<{ rollouts: number; test: number; warning?: string }>;
  /** pixel tasks: each model's VPT per seed (seed 0 first) */
  vptBySeed?: Partial<Record<ModelKind, VptCell[]>>;
  /** D-HNN runs: the learned friction */
  dissipation?: DissipationRow;
}

/** Mean and std/sqrt(n) of values over seeds (NaN spread for one value). */
function meanSpread(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return [mean, NaN];
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return [mean, std / Math.sqrt(values.length)];
}

function spreadOf(runs: RunMetrics[], key: MetricKey): [number, number] {
  if (runs.length > 1) return meanSpread(runs.map((r) => r[key].mean));
  const r = runs[0][key] as { mean: number; sem?: number; ci?: number };
  return [r.mean, r.sem ?? r.ci ?? NaN];
}

const FIGURE: Record<MetricKey, 'train' | 'test' | 'energy'> = { trainLoss: 'train', testLoss: 'test', energyMse: 'energy' };

function paperValue(task: Task, reference: Reference, kind: ModelKind, key: MetricKey): [number, number] | null {
  if (reference === 'dissipative') {
    const pub = task.publishedDissipative;
    const v = pub && kind !== 'dhnn' ? pub.figures[kind]?.[FIGURE[key]] : pub?.figures.dhnn?.[FIGURE[key]];
    return pub && v ? [v[0] / pub.scale, v[1] / pub.scale] : null;
  }
  const pub = task.published;
  if (!pub || kind === 'dhnn') return null;
  const v = pub[`${FIGURE[key]}${kind === 'hnn' ? 'Hnn' : 'Baseline'}`];
  return [v[0] / pub.scale, v[1] / pub.scale];
}

/** The D-HNN runs' learned friction over seeds. */
function dissipationRow(runs: RunMetrics[]): DissipationRow | undefined {
  const d = runs.map((r) => r.dissipation).filter((x): x is DissipationSummary => !!x);
  if (d.length === 0) return undefined;
  return {
    gamma: d.reduce((a, x) => a + x.gamma, 0) / d.length,
    gammaSource: d[0].gammaSource,
    rollouts: meanSpread(d.map((x) => x.rollouts.learnedGamma)),
    test: meanSpread(d.map((x) => x.test.learnedGamma)),
    share: meanSpread(d.map((x) => x.test.share)),
    trueShare: d.reduce((a, x) => a + x.test.trueShare, 0) / d.length,
  };
}

/** One task's row: ours (mean and spread over seeds) beside the published figures of `reference`, for the models run. */
export function tableRow(
  ref: string | Task,
  runs: Partial<Record<ModelKind, RunMetrics[]>>,
  reference: Reference = 'paper',
  statistic: TestStatistic = FINAL,
): TaskRow {
  const task = typeof ref === 'string' ? getTask(ref) : ref;
  const scales = scalesOf(task);
  const cells: TaskRow['cells'] = {};
  const energyBySeed: TaskRow['energyBySeed'] = {};
  const testBySeed: TaskRow['testBySeed'] = {};
  const vptBySeed: NonNullable<TaskRow['vptBySeed']> = {};
  for (const kind of TABLE_ORDER) {
    const own = runs[kind];
    if (!own?.length) continue;
    const row = {} as Record<MetricKey, Cell>;
    testBySeed[kind] = own.map((r, s) => testLossOf(r, statistic, `${task.name} ${kind} seed ${s}`));
    for (const [key] of METRICS) {
      const [ours, oursSpread] = key === 'testLoss' && statistic.kind !== 'final' ? meanSpread(testBySeed[kind]) : spreadOf(own, key);
      const paper = paperValue(task, reference, kind, key);
      row[key] = { ours, oursSpread, paper: paper?.[0] ?? null, paperSpread: paper?.[1] ?? null, ratio: paper ? ours / paper[0] : null };
    }
    cells[kind] = row;
    energyBySeed[kind] = own.map((r) => r.energyMse.mean);
    if (own.every((r) => r.vptMedian !== undefined))
      vptBySeed[kind] = own.map((r) => ({ median: r.vptMedian!, mean: r.vptMean!, over50: r.vptOver50! }));
  }
  const dissipation = runs.dhnn ? dissipationRow(runs.dhnn) : undefined;
  const vpt = Object.keys(vptBySeed).length ? { vptBySeed } : {};
  const friction = runs.dhnn?.every((r) => r.dissipation)
    ? {
        frictionBySeed: runs.dhnn.map((r) => ({
          rollouts: r.dissipation!.rollouts.learnedGamma,
          test: r.dissipation!.test.learnedGamma,
          ...(r.dissipation!.warning ? { warning: r.dissipation!.warning } : {}),
        })),
      }
    : {};
  return {
    task: task.name,
    scales,
    cells,
    energyBySeed,
    testBySeed,
    statistic,
    ...vpt,
    ...friction,
    ...(dissipation ? { dissipation } : {}),
  };
}

function fmt(v: number | null, spread: number | null, scale: number): string {
  if (v === null) return 'n/a';
  const s = (x: number) => {
    const y = x * scale;
    return Math.abs(y) >= 100 || Math.abs(y) < 0.01 ? y.toPrecision(2) : y.toFixed(2).replace(/\.?0+$/, '');
  };
  return spread !== null && Number.isFinite(spread) ? `${s(v)} ± ${s(spread)}` : s(v);
}

/** The models of the rows, in column order. */
function kindsOf(rows: TaskRow[]): ModelKind[] {
  return TABLE_ORDER.filter((k) => rows.some((r) => r.cells[k]));
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function header(cells: string[]): string[] {
  return [row(cells), `|${cells.map(() => '---').join('|')}|`];
}

/** The main table: per task and metric, each model's value beside the published one and their ratio. */
export function markdownTable(rows: TaskRow[], note: string): string {
  const kinds = kindsOf(rows);
  const lines = header(['Task (scale)', 'Metric', ...kinds.flatMap((k) => [`${LABELS[k]}: ours`, 'paper', 'ratio'])]);
  const ratio = (c: Cell) => (c.ratio === null ? 'n/a' : c.ratio.toPrecision(2));
  for (const r of rows) {
    for (const [key, label] of METRICS) {
      const scale = r.scales[key];
      const cells = kinds.flatMap((k) => {
        const c = r.cells[k]?.[key];
        return c ? [fmt(c.ours, c.oursSpread, scale), fmt(c.paper, c.paperSpread, scale), ratio(c)] : ['-', '-', '-'];
      });
      lines.push(row([`${r.task} (x ${scale.toExponential(0)})`, label, ...cells]));
    }
  }
  return `${note}\n\n${lines.join('\n')}\n`;
}

/**
 * The dissipative table's extra tables: each model's energy MSE per seed (the lowest in bold, the
 * D-HNN's learned friction beside it), each model's test loss per seed with the median and mean over
 * seeds, and the D-HNN's learned friction against the data's.
 */
export function dissipationTables(rows: TaskRow[]): string {
  const kinds = kindsOf(rows);
  const seeds = Math.max(...rows.flatMap((r) => kinds.map((k) => r.energyBySeed[k]?.length ?? 0)));
  const withFriction = rows.some((r) => r.frictionBySeed);
  const perSeed = header([
    'Task',
    'Seed',
    ...kinds.map((k) => `${LABELS[k]} energy MSE`),
    'lowest',
    ...(withFriction ? ['D-HNN learned friction (rollouts / test inputs; data)'] : []),
  ]);
  const warnings: string[] = [];
  for (const r of rows) {
    for (let s = 0; s < seeds; s++) {
      const values = kinds.map((k) => r.energyBySeed[k]?.[s] ?? NaN);
      const best = values.reduce((b, v, i) => (v < values[b] ? i : b), 0);
      const cells = values.map((v, i) => (Number.isFinite(v) ? (i === best ? `**${v.toExponential(2)}**` : v.toExponential(2)) : '-'));
      const f = r.frictionBySeed?.[s];
      if (f?.warning) warnings.push(`- ${r.task} seed ${s}: ${f.warning}`);
      const frictionCell = f
        ? `${f.rollouts.toPrecision(2)} / ${f.test.toPrecision(2)}; ${r.dissipation!.gamma.toPrecision(2)}${f.warning ? ' (removed: see below)' : ''}`
        : '-';
      perSeed.push(row([r.task, String(s), ...cells, LABELS[kinds[best]], ...(withFriction ? [frictionCell] : [])]));
    }
  }
  const withD = rows.filter((r) => r.dissipation);
  const g = (v: number) => v.toFixed(4);
  const gs = ([m, sp]: [number, number]) => (Number.isFinite(sp) ? `${g(m)} ± ${g(sp)}` : g(m));
  const pct = ([m, sp]: [number, number]) => `${(100 * m).toFixed(1)}%${Number.isFinite(sp) ? ` ± ${(100 * sp).toFixed(1)}%` : ''}`;
  const friction = header([
    'Task',
    'data friction',
    'D-HNN friction along its rollouts',
    'at the test inputs',
    "D's share of the field (test)",
    "friction term's share",
  ]);
  for (const r of withD) {
    const d = r.dissipation!;
    friction.push(
      row([
        r.task,
        `${g(d.gamma)}${d.gammaSource === 'system' ? '' : ' (fitted)'}`,
        gs(d.rollouts),
        gs(d.test),
        pct(d.share),
        `${(100 * d.trueShare).toFixed(1)}%`,
      ]),
    );
  }
  return [
    `## Energy MSE per seed`,
    ``,
    ...perSeed,
    ``,
    ...(warnings.length ? [`Warnings:`, ``, ...warnings, ``] : []),
    seedTestTable(
      rows.map((r) => ({ task: r.task, bySeed: r.testBySeed, statistic: r.statistic })),
      kinds.map((k) => [k, LABELS[k]]),
    ),
    ...(withD.length
      ? [
          `## The D-HNN's learned friction`,
          ``,
          `The friction coefficient that would drain the task's energy E as the learned D part does: mean(-grad E . P grad D) / mean(|dE/dp|^2) (|dE/dq|^2 where the data damp the positions), over the points of the D-HNN's energy-MSE rollouts, and over the test inputs (0 on conservative data; the data's friction gamma on damped data; fitted to the measured energy's decay for measured data). D's share: mean |P grad D| / (|J grad H| + |P grad D|) at the test inputs, against the friction term's |gamma dE/dp| / (|J grad E| + |gamma dE/dp|). Mean ± std/sqrt(seeds).`,
          ``,
          ...friction,
          ``,
        ]
      : []),
  ].join('\n');
}

/** Index of the value that beats every other (`better(a, b)`: a beats b); -1 when the best is tied. */
function uniqueBest(values: number[], better: (a: number, b: number) => boolean): number {
  const best = values.reduce((b, v, i) => (better(v, values[b]) ? i : b), 0);
  return values.filter((v) => v === values[best]).length === 1 ? best : -1;
}

/**
 * The pixel tasks' per-seed table: each model's energy MSE and VPT (median, mean, share of test trials
 * past 50 frames), the lowest energy and the highest median in bold, then the mean over seeds.
 */
export function pixelSeedTable(rows: TaskRow[]): string {
  const withVpt = rows.filter((r) => r.vptBySeed);
  if (withVpt.length === 0) return '';
  const kinds = kindsOf(withVpt);
  const lines = header([
    'Task',
    'Seed',
    ...kinds.map((k) => `${LABELS[k]} energy MSE`),
    ...kinds.map((k) => `${LABELS[k]} VPT median / mean / past 50`),
  ]);
  const bold = (text: string, on: boolean) => (on ? `**${text}**` : text);
  const energyText = (v: number, best: boolean) => (Number.isFinite(v) ? bold(v.toExponential(2), best) : '-');
  // a seed's median is a whole or half frame; the mean over seeds gets one decimal
  const medianText = (m: number) => (Number.isInteger(2 * m) ? String(m) : m.toFixed(1));
  const vptText = (v: VptCell | undefined, best: boolean) =>
    v ? `${bold(medianText(v.median), best)} / ${v.mean.toFixed(1)} / ${(100 * v.over50).toFixed(0)}%` : '-';
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanCell = (v: VptCell[]): VptCell => ({
    median: mean(v.map((c) => c.median)),
    mean: mean(v.map((c) => c.mean)),
    over50: mean(v.map((c) => c.over50)),
  });
  for (const r of withVpt) {
    const seeds = Math.max(...kinds.map((k) => r.energyBySeed[k]?.length ?? 0));
    for (let s = 0; s <= seeds; s++) {
      const last = s === seeds; // the mean over seeds
      const energy = kinds.map((k) => (last ? mean(r.energyBySeed[k] ?? [NaN]) : (r.energyBySeed[k]?.[s] ?? NaN)));
      const vpt = kinds.map((k) => {
        const v = r.vptBySeed?.[k];
        return v && (last ? meanCell(v) : v[s]);
      });
      const lowest = uniqueBest(energy, (a, b) => a < b);
      const highest = uniqueBest(
        vpt.map((v) => v?.median ?? -1),
        (a, b) => a > b,
      );
      lines.push(
        row([
          r.task,
          last ? 'mean' : String(s),
          ...energy.map((v, i) => energyText(v, i === lowest)),
          ...vpt.map((v, i) => vptText(v, i === highest)),
        ]),
      );
    }
  }
  return [
    `## Per seed: energy MSE and valid prediction time`,
    ``,
    `VPT: frames until the decoded rollout's normalised error passes ${VPT_THRESHOLD} (the DeepMind suite's threshold), over the test trials; the lowest energy MSE and the highest median VPT in bold (no bold on a tie); the last row of a task is the mean over seeds.`,
    ``,
    ...lines,
    ``,
  ].join('\n');
}

/** Refuses to reuse a dataset made by another version of the generator (its runs would not be this version's). */
function checkGenerator(dir: string): void {
  const made = readManifest(dir).params.generatorVersion;
  if (made !== STATE_GENERATOR_VERSION) {
    throw new UserError(
      `${dir} was made by dataset generator version ${made}, this version makes ${STATE_GENERATOR_VERSION}: use another --out or pass --force to regenerate it and retrain`,
    );
  }
}

/** Refuses to reuse a pixel dataset drawn by another scene version or with another frame interval. */
function checkPixelDataset(dir: string): void {
  const other = outdatedDataset(readManifest(dir));
  if (other) throw new UserError(`${dir}: ${other}: use another --out or pass --force to regenerate it and retrain`);
}

/** The metrics of a finished run in `dir` to reuse (none with --force); refuses a run of another mode. */
function finishedRun<M extends RunMetrics>(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): M | null {
  if (o.force || !existsSync(join(dir, 'metrics.json'))) return null;
  const metrics = readMetrics<M>(join(dir, 'metrics.json'));
  const expected = stepsOf(task, o);
  if (metrics.steps !== expected) {
    throw new UserError(
      `${dir} holds a ${metrics.steps}-step run, this ${o.quick ? 'quick' : 'full'} reproduction needs ${expected}: use another --out or pass --force`,
    );
  }
  if (!o.quiet) console.log(`${task.name} ${kind} seed ${seed}: reusing the finished run in ${dir}`);
  return metrics;
}

/** Trains every model of every task and seed not finished yet, and writes the table (markdown and JSON) and plots. */
export async function runReproduce(o: ReproduceOptions): Promise<{ rows: TaskRow[] }> {
  const tasks = o.tasks.map(getTask);
  const pixelOnly = { '--latent-step': o.latentStep, '--dynamics-weight-decay': o.dynamicsWeightDecay, '--projection': o.projection };
  const given = Object.keys(pixelOnly).find((flag) => pixelOnly[flag as keyof typeof pixelOnly] !== undefined);
  if (given && !tasks.some((t) => t.kind === 'pixel'))
    throw new UserError(`${given} applies to pixel tasks only; add one to --tasks or drop the option`);
  // the whole reproduction folder is ours while it runs; each run and dataset in it has its own lock too
  const claim = claimOutput(o.outDir, 'reproduction', 'hnn reproduce');
  try {
    if (!o.quiet) for (const n of claim.recovered) console.log(n);
    markOutput(claim.dir, 'reproduction', { tasks: o.tasks, models: modelsOf(o), seeds: o.seeds, quick: o.quick });
    return await reproduceIn(o, tasks);
  } finally {
    claim.release();
  }
}

async function reproduceIn(o: ReproduceOptions, tasks: Task[]): Promise<{ rows: TaskRow[] }> {
  const t0 = performance.now();
  const models = modelsOf(o);
  const reference = o.reference ?? 'paper';
  // 1. datasets (one per task and seed: every model of a seed trains on it; runs trained elsewhere make their own)
  if (!o.external) for (const task of tasks) for (let seed = 0; seed < o.seeds; seed++) await ensureDataset(task, seed, o);
  // 2. every run not finished yet, side by side up to --jobs (each in its own worker and backend)
  const plan = tasks.flatMap((task) =>
    seedsOf(o).flatMap((seed) => models.map((kind) => ({ task, seed, kind, dir: runDir(o, task, seed, kind) }))),
  );
  const todo = o.external ? plan : plan.filter((r) => !reusable(r.task, r.kind, r.seed, r.dir, o));
  if (o.external) await o.external.run();
  // a reused pixel run scored with another latent map than its task's now: evaluated again (not retrained)
  for (const r of plan) if (r.task.kind === 'pixel' && !todo.includes(r)) await refreshEvaluation(r.task, r.seed, r.dir, o);
  if (!o.external)
    await runJobs(
      todo.map((r) => jobFor(r.task, r.kind, r.seed, r.dir, { ...o, threads: threadsFor(Math.min(todo.length, o.jobs ?? defaultJobs())) })),
      o.jobs,
    );
  // 3. the table and the plots, from what the runs wrote
  const rows: TaskRow[] = [];
  const runsJson: Record<string, Partial<Record<ModelKind, RunMetrics[]>>> = {};
  for (const task of tasks) {
    const runs: Partial<Record<ModelKind, RunMetrics[]>> = {};
    for (const kind of models)
      runs[kind] = seedsOf(o).map((seed) => readMetrics<RunMetrics>(join(runDir(o, task, seed, kind), 'metrics.json')));
    if (task.kind === 'pixel') await pixelPlots(task, models, o);
    else await statePlots(task, models, o);
    rows.push(tableRow(task, runs, reference, o.statistic ?? FINAL));
    runsJson[task.name] = runs;
  }
  const seconds = (performance.now() - t0) / 1000;
  // the wall time covers this command only: say when runs trained by an earlier one were reused
  const reused = plan.length - todo.length;
  const reusedNote =
    reused > 0 ? ` (${reused} of ${plan.length} runs reused from an earlier command; their own times are in each metrics.json)` : '';
  // the latent decay the pixel runs recorded (reuse guarantees they all share it)
  const pixelRuns = tasks.filter((t) => t.kind === 'pixel').map((t) => runsJson[t.name][models[0]]!);
  const latentDecay = pixelRuns.length ? Number(pixelRuns[0][0].protocol.dynamicsWeightDecay) : null;
  const sources = [...new Set(tasks.map((t) => t.publishedDissipative?.source).filter((x): x is string => !!x))];
  const mode =
    o.steps !== undefined
      ? `REDUCED RUNS (${o.steps} steps each${o.quick ? `; quick data: ${tasks.map(quickNote).join('; ')}` : ''}): not the protocol's step count`
      : o.quick
        ? `QUICK MODE (reduced steps: ${tasks.map(quickNote).join('; ')}): not the paper's protocol`
        : `full protocol (${tasks.map((t) => `${t.name} ${t.train.steps} steps`).join(', ')})`;
  const pixelTrain = tasks.find((t) => t.kind === 'pixel')?.train;
  const lossNote = pixelTrain
    ? o.paperProtocol
      ? `Pixel tasks: the paper's one-step Euler latent loss, rollouts by RK45.`
      : `Pixel tasks: the project's default ${pixelTrain.rolloutSteps}-frame ${pixelTrain.latentStep} latent rollout loss, rollouts by the models' own step (the paper's: 1 Euler step, RK45; docs/PROTOCOLS.md).`
    : null;
  const defaultStep = o.paperProtocol ? 'euler' : pixelTrain?.latentStep;
  const stepNote = o.latentStep ? ` Latent step: ${o.latentStep} (the default: ${defaultStep}).` : ''; // follows the pixel loss note
  const projectionNote = pixelTrain ? projectionSentence(tasks, o.projection) : '';
  const note = [
    reference === 'dissipative'
      ? `# Dissipative HNN: ${models.map((k) => LABELS[k]).join(', ')} on damped, measured and conservative data, beside the D-HNN paper's figures`
      : `# HNN reproduction: ours beside the paper's Table 1`,
    ``,
    `${mode}; seeds 0..${o.seeds - 1}; ${formatSeconds(seconds)} wall time${reusedNote}.`,
    ...(reference === 'dissipative'
      ? [
          `Paper: Sosanya & Greydanus (2022), "Dissipative Hamiltonian Neural Networks"; n/a where it gives no comparable figure (its damped spring, which damps the position, is damped-spring-grid, whose figures are losses: its "energy MSE" there is a state MSE of one trajectory; it has no pixel experiment). Its figures here come from ${sources.join('; ') || 'nowhere'}.`,
        ]
      : []),
    ...(lossNote ? [lossNote + stepNote + projectionNote] : []),
    ...(latentDecay !== null
      ? [
          `Pixel tasks: the latent model's weight decay is ${latentDecay.toExponential()} (the paper's literal protocol: 1e-5; README, "Pixel pendulum").`,
        ]
      : []),
    `Test loss: ${describeStatistic(o.statistic ?? FINAL)}${(o.statistic ?? FINAL).kind === 'final' ? " (the default; --statistic last-5 gives the D-HNN paper's mean of the last 5 evaluations)" : ''}.`,
    `Values are multiplied by the scale in the first column, as in the paper. "±" is std/sqrt(rows) for losses and the 5-group interval for energy MSE (single seed), or std/sqrt(seeds) across seeds. ratio = ours / paper.`,
  ].join('\n');
  // the paper's table stays as it was printed before (its pixel runs' VPT is in table.json)
  const seedTable = o.paperProtocol ? '' : pixelSeedTable(rows);
  const md =
    markdownTable(rows, note) +
    (models.includes('dhnn') || reference === 'dissipative' ? `\n${dissipationTables(rows)}` : '') +
    (seedTable ? `\n${seedTable}` : '');
  writeFileAtomic(join(o.outDir, 'table.md'), md);
  writeJsonAtomic(join(o.outDir, 'table.json'), {
    mode: o.steps !== undefined ? 'reduced' : o.quick ? 'quick' : 'full',
    steps: o.steps ?? null,
    pixelLoss: o.paperProtocol ? 'paper' : 'default',
    models,
    reference,
    statistic: o.statistic ?? FINAL,
    seeds: o.seeds,
    seconds,
    pixelDynamicsWeightDecay: latentDecay,
    rows,
    runs: runsJson,
    versions: packageVersions(),
  });
  console.log(md);
  console.log(`wrote ${join(o.outDir, 'table.md')}, ${join(o.outDir, 'table.json')} and plots under ${o.outDir}/<task>/plots/`);
  return { rows };
}

/** The models of a reproduction: the given ones in table order, or baseline and HNN. */
function modelsOf(o: ReproduceOptions): ModelKind[] {
  const given = o.models ?? ['baseline', 'hnn'];
  return TABLE_ORDER.filter((k) => given.includes(k));
}

function seedsOf(o: ReproduceOptions): number[] {
  return Array.from({ length: o.seeds }, (_, k) => k);
}

function runDir(o: ReproduceOptions, task: Task, seed: number, kind: ModelKind): string {
  if (o.external) return o.external.runDir(task.name, seed, kind);
  return join(o.outDir, task.name, `seed${seed}`, kind);
}

function dataDirOf(o: ReproduceOptions, task: Task, seed: number): string {
  if (o.external) return o.external.dataDir(task.name, seed, modelsOf(o)[0]);
  return join(o.outDir, task.name, `seed${seed}`, 'dataset');
}

/** Generates a seed's dataset unless a reusable one is there (a state dataset of this generator version). */
async function ensureDataset(task: Task, seed: number, o: ReproduceOptions): Promise<void> {
  const dir = dataDirOf(o, task, seed);
  const exists = existsSync(join(dir, 'manifest.json'));
  if (task.kind === 'pixel') {
    if (o.force || !exists) await generatePixelDataset(task, { out: dir, seed, quiet: o.quiet, force: true });
    else checkPixelDataset(dir);
    return;
  }
  if (o.force || !exists)
    writeStateDataset(dir, task, seed, o.quick ? task.quick.data : undefined, { force: true, command: 'hnn reproduce' });
  else checkGenerator(dir);
}

/** Which pixel tasks' rollouts were projected after every frame, in words (empty when none were). */
function projectionSentence(tasks: Task[], asked: RolloutProjection | undefined): string {
  const pixel = tasks.filter((t): t is PixelTask => t.kind === 'pixel');
  const projected = pixel.filter((t) => (asked ?? taskProjection(t)) === 'autoencoder').map((t) => t.name);
  const defaults = pixel.filter((t) => taskProjection(t) === 'autoencoder').map((t) => t.name);
  const asDefault = asked === undefined ? ` (its default: its latent has more values than its frames' phase space)` : '';
  const given =
    asked === undefined ? '' : ` --projection ${asked}; the tasks' default projects ${defaults.length ? defaults.join(', ') : 'none'}.`;
  if (projected.length === 0) return given ? ` Rollouts not projected:${given}` : '';
  return ` Rollouts of ${projected.join(', ')} are projected after every frame, z <- encode(decode(z)), for every model${asDefault}.${given}`;
}

/**
 * Re-evaluates the finished pixel run in `dir` from its saved model when its metrics used another
 * latent map than the task's, another rollout integrator than its latent step's default, or another
 * projection than the one asked for (the task's by default).
 */
async function refreshEvaluation(task: PixelTask, seed: number, dir: string, o: ReproduceOptions): Promise<void> {
  const m = readMetrics<PixelMetrics>(join(dir, 'metrics.json'));
  const had = { map: m.rollout.latentMap ?? 'affine', integrator: m.rollout.integrator, projection: m.rollout.projection ?? 'none' };
  const step = (m.protocol.loss as { latentStep?: string } | undefined)?.latentStep ?? 'euler';
  const want = { map: taskLatentMap(task), integrator: defaultRolloutIntegrator(step), projection: o.projection ?? taskProjection(task) };
  if (had.map === want.map && had.integrator === want.integrator && had.projection === want.projection) return;
  const says = (x: typeof had) => `the ${x.map} latent map, ${x.integrator} and projection ${x.projection}`;
  if (!o.quiet) console.log(`${dir}: evaluated with ${says(had)}, now ${says(want)}: evaluating it again`);
  await runPixelEvaluation({
    outDir: dir,
    dataDir: dataDirOf(o, task, seed),
    integrator: want.integrator,
    projection: want.projection,
    backend: o.backend,
  });
}

/** True when `dir` holds a finished run this reproduction can reuse (refuses one made otherwise). */
function reusable(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): boolean {
  const finished = finishedRun<RunMetrics>(task, kind, seed, dir, o);
  if (!finished) return false;
  if (task.kind === 'state') {
    if (kind === 'dhnn' && !(DISSIPATION_FORMS as readonly unknown[]).includes(finished.protocol.dissipation))
      throw new UserError(
        `${dir} holds a finished D-HNN run of an earlier version, whose D acted on every coordinate (this version's acts on the momenta): use another --out or pass --force`,
      );
    const want = stateRunProtocol(task, kind, {
      steps: stepsOf(task, o),
      train: o.train,
      dissipationWeightDecay: o.dissipationWeightDecay,
      dissipationSchedule: o.dissipationSchedule,
      dissipationForm: o.dissipationForm,
    });
    const differ = protocolMismatch(finished.protocol, want);
    if (differ)
      throw new UserError(
        `${dir} holds a finished run trained otherwise: ${differ}; use another --out, the same options, or --force to retrain`,
      );
  }
  if (task.kind === 'pixel') {
    const stale = pixelProtocolMismatch(finished as PixelMetrics, o);
    if (stale)
      throw new UserError(`${dir} holds a finished run that does not fit this reproduction: ${stale}; use another --out or pass --force`);
  }
  return true;
}

/** The job that trains one run (an interrupted pixel run resumes from its checkpoint). */
function jobFor(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions & { threads: number }): Job {
  const common = {
    task: task.name,
    kind,
    seed,
    steps: o.steps ?? (o.quick ? task.quick.steps : undefined),
    dataDir: dataDirOf(o, task, seed),
    outDir: dir,
    backend: o.backend,
    threads: o.threads,
    quiet: o.quiet,
  };
  const systemFile = o.systemFile ? { systemFile: o.systemFile } : {};
  if (task.kind === 'state') {
    const train = o.train ? { train: o.train } : {};
    const decay = kind === 'dhnn' && o.dissipationWeightDecay !== undefined ? { dissipationWeightDecay: o.dissipationWeightDecay } : {};
    const schedule = kind === 'dhnn' && o.dissipationSchedule !== undefined ? { dissipationSchedule: o.dissipationSchedule } : {};
    const form = kind === 'dhnn' && o.dissipationForm !== undefined ? { dissipationForm: o.dissipationForm } : {};
    return { name: 'stateRun', args: [{ ...common, ...train, ...decay, ...schedule, ...form, force: true }], ...systemFile };
  }
  const resume = !o.force && existsSync(join(dir, CHECKPOINT_FILE));
  return {
    name: 'pixelRun',
    ...systemFile,
    args: [
      {
        ...common,
        steps: stepsOf(task, o),
        force: !resume,
        resume,
        dynamicsWeightDecay: o.dynamicsWeightDecay,
        paperProtocol: o.paperProtocol,
        ...(o.latentStep ? { loss: { latentStep: o.latentStep } } : {}),
        ...(o.projection ? { projection: o.projection } : {}),
      },
    ],
  };
}

/** Comparison plots of a state task from seed 0's runs: curves, energy along a rollout, fields or orbits. */
async function statePlots(task: StateTask, models: ModelKind[], o: ReproduceOptions): Promise<void> {
  const inputs: TaskPlotInputs = { histories: {}, weights: {}, energies: {} };
  for (const kind of models) {
    const { model, weights: w } = loadDynamicsModel(join(runDir(o, task, 0, kind), 'model'));
    model.dispose();
    inputs.histories[kind] = join(runDir(o, task, 0, kind), 'log.jsonl');
    inputs.weights[kind] = w;
    inputs.energies[kind] = energyEvaluation(task, fieldFunction(kind, w));
  }
  await plotTaskComparison(task, join(o.outDir, task.name, 'plots'), inputs);
}

/** The rollout video (truth | each model) and its plots, from seed 0's runs of a pixel task. */
async function pixelPlots(task: PixelTask, models: ModelKind[], o: ReproduceOptions): Promise<void> {
  await runRollout({
    modelDirs: Object.fromEntries(models.map((k) => [k, join(runDir(o, task, 0, k), 'model')])),
    dataDir: dataDirOf(o, task, 0),
    out: join(o.outDir, task.name, 'plots', 'rollout.gif'),
    backend: o.backend,
    quiet: true,
    force: true,
  });
}
