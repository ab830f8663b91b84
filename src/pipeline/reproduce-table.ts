// The rows of a reproduction's table: each model's metrics over seeds (mean and spread) beside the
// published figures, and the markdown table they print as.
import type { ModelKind } from '../../models/dynamics.ts';
import { countWithinBand, type DissipationSummary } from '../eval/dissipation.ts';
import { FINAL, testLossOf, type TestLossRecord, type TestStatistic } from '../eval/statistic.ts';
import type { MeanCi } from '../eval/stats.ts';
import { getTask } from '../tasks/registry.ts';
import type { Task } from '../tasks/task.ts';
import { learnedNothing, type LearnedNothing, type RunMetricsBase } from './metrics.ts';

/** The part of metrics.json the table reads, common to state and pixel runs. */
export type RunMetrics = RunMetricsBase<string> &
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
export const TABLE_ORDER = ['baseline', 'hnn', 'dhnn'] as const satisfies readonly ModelKind[];

export const LABELS: Record<ModelKind, string> = { baseline: 'Baseline', hnn: 'HNN', dhnn: 'D-HNN' };

/** The scale each metric of a task is printed at: the HNN paper's (x 1e3 where it has none). */
function scalesOf(task: Task): Record<MetricKey, number> {
  const scale = task.published?.scale ?? task.publishedDissipative?.scale ?? 1e3;
  const own = task.kind === 'pixel' ? task.publishedScales : undefined;
  const loss = own?.loss ?? scale;
  return { trainLoss: loss, testLoss: loss, energyMse: own?.energy ?? scale };
}

export const METRICS = [
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
  /** seeds whose learned friction is within FRICTION_BAND of the data's, along the rollouts and at the test inputs (null on conservative data) */
  withinBand: { rollouts: number; test: number; seeds: number } | null;
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
  /** D-HNN runs, per seed: the learned friction along the rollouts and at the test inputs, that seed's data friction (fitted gammas differ by seed), and its warning (friction removed) */
  frictionBySeed?: Array<{ rollouts: number; test: number; gamma: number; warning?: string }>;
  /** pixel tasks: each model's VPT per seed (seed 0 first) */
  vptBySeed?: Partial<Record<ModelKind, VptCell[]>>;
  /** D-HNN runs: the learned friction */
  dissipation?: DissipationRow;
  /** runs whose model learned nothing (src/pipeline/metrics.ts: learnedNothing): their energy MSE measures nothing it learned */
  learnedNothing?: Array<{ kind: ModelKind; seed: number } & LearnedNothing>;
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
    withinBand: bandCounts(d),
  };
}

/** Seeds within FRICTION_BAND of their data's friction, along the rollouts and at the test inputs (null on conservative data). */
function bandCounts(d: DissipationSummary[]): DissipationRow['withinBand'] {
  const count = (at: 'rollouts' | 'test') => countWithinBand(d.map((x) => ({ learned: x[at].learnedGamma, gamma: x.gamma })));
  const [rollouts, test] = [count('rollouts'), count('test')];
  return rollouts === null || test === null ? null : { rollouts, test, seeds: d.length };
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
  const nothing = TABLE_ORDER.flatMap((kind) =>
    (runs[kind] ?? []).flatMap((r, seed) => {
      const n = learnedNothing(r);
      return n ? [{ kind, seed, ...n }] : [];
    }),
  );
  const vpt = Object.keys(vptBySeed).length ? { vptBySeed } : {};
  const friction = runs.dhnn?.every((r) => r.dissipation)
    ? {
        frictionBySeed: runs.dhnn.map((r) => ({
          rollouts: r.dissipation!.rollouts.learnedGamma,
          test: r.dissipation!.test.learnedGamma,
          gamma: r.dissipation!.gamma,
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
    ...(nothing.length ? { learnedNothing: nothing } : {}),
  };
}

/**
 * A value (and its spread) in the table's scale: two decimals from 0.01 to 100, two significant
 * digits in exponent form outside (3.0e-6, not toPrecision's 0.0000030).
 */
export function fmt(v: number | null, spread: number | null, scale: number): string {
  if (v === null) return 'n/a';
  const s = (x: number) => {
    const y = x * scale;
    if (y === 0) return '0';
    return Math.abs(y) >= 100 || Math.abs(y) < 0.01 ? y.toExponential(1) : y.toFixed(2).replace(/\.?0+$/, '');
  };
  return spread !== null && Number.isFinite(spread) ? `${s(v)} ± ${s(spread)}` : s(v);
}

/** The models of the rows, in column order. */
export function kindsOf(rows: TaskRow[]): ModelKind[] {
  return TABLE_ORDER.filter((k) => rows.some((r) => r.cells[k]));
}

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function header(cells: string[]): string[] {
  return [row(cells), `|${cells.map(() => '---').join('|')}|`];
}

/** A mark on the energy MSE of a model with a seed that learned nothing, and the note that explains it. */
const LEARNED_NOTHING_MARK = '†';

function learnedNothingNotes(rows: TaskRow[]): string[] {
  return rows.flatMap((r) =>
    (r.learnedNothing ?? []).map(
      (l) =>
        `${LEARNED_NOTHING_MARK} ${r.task} ${LABELS[l.kind]}, seed ${l.seed}: the model learned nothing: ${l.why}. Its energy MSE measures nothing it learned (${l.reason}).`,
    ),
  );
}

/** The main table: per task and metric, each model's value beside the published one and their ratio. */
export function markdownTable(rows: TaskRow[], note: string): string {
  const kinds = kindsOf(rows);
  const lines = header(['Task (scale)', 'Metric', ...kinds.flatMap((k) => [`${LABELS[k]}: ours`, 'paper', 'ratio'])]);
  const ratio = (c: Cell) =>
    c.ratio === null ? 'n/a' : Math.abs(c.ratio) < 0.01 && c.ratio !== 0 ? c.ratio.toExponential(1) : c.ratio.toPrecision(2);
  for (const r of rows) {
    for (const [key, label] of METRICS) {
      const scale = r.scales[key];
      const cells = kinds.flatMap((k) => {
        const c = r.cells[k]?.[key];
        const mark = key === 'energyMse' && r.learnedNothing?.some((l) => l.kind === k) ? ` ${LEARNED_NOTHING_MARK}` : '';
        return c ? [fmt(c.ours, c.oursSpread, scale) + mark, fmt(c.paper, c.paperSpread, scale), ratio(c)] : ['-', '-', '-'];
      });
      lines.push(row([`${r.task} (x ${scale.toExponential(0)})`, label, ...cells]));
    }
  }
  const notes = learnedNothingNotes(rows);
  return `${note}\n\n${lines.join('\n')}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
}
