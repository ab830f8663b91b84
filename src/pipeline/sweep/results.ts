// A sweep's results: its runs grouped by configuration (all but the seed), each metric's mean and
// spread (std/sqrt(seeds)) over the seeds, best first by the sweep's metric; failed runs with their
// one-line error, and runs whose model learned nothing (no rollout metric: a configuration with one
// ranks after those without). Markdown for people, JSON for machines.
import { NO_MOTION_REASON } from '../../eval/derivative.ts';
import { describeOptions, type OptionValue, type PlannedRun } from './plan.ts';
import { metricInfo, METRICS, type RunSummary } from './summary.ts';

export type RunState = 'completed' | 'failed' | 'active' | 'waiting' | 'delayed' | 'missing';

/** What is known of one run of a sweep: its state and result, or its error. */
export interface RunRecord {
  run: PlannedRun;
  state: RunState;
  summary?: RunSummary;
  error?: string;
  worker?: string;
  attempts?: number;
  trained?: boolean;
}

export interface Stat {
  mean: number;
  /** std / sqrt(n) over seeds (NaN for one seed) */
  spread: number;
  values: number[];
}

export interface ResultGroup {
  task: string;
  model: string;
  options: Record<string, OptionValue>;
  seeds: number[];
  failed: number;
  /** completed runs whose model learned nothing (summarizeMetrics): the group then has no rollout metric */
  learnedNothing: number;
  metrics: Record<string, Stat>;
}

/** A sweep's results: its configurations ranked, and its failed runs. */
export interface SweepResults {
  sweep: string;
  metric: string;
  swept: string[];
  runs: { total: number; completed: number; failed: number; pending: number };
  groups: ResultGroup[];
  failures: Array<{ name: string; run: string; error: string; attempts: number | null }>;
  /** completed runs whose model learned nothing, and against what (src/pipeline/metrics.ts: learnedNothing) */
  learnedNothing: Array<{ name: string; run: string; why: string }>;
}

export function stat(values: number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, spread: NaN, values };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, spread: std / Math.sqrt(n), values };
}

function optionsOf(run: PlannedRun): Record<string, OptionValue> {
  return { ...run.train, ...Object.fromEntries(Object.entries(run.data).map(([k, v]) => [`data.${k}`, v])) };
}

function groupKey(run: PlannedRun): string {
  return JSON.stringify([run.task, run.model, describeOptions(run)]);
}

/** Best first: by the metric's mean (lower is better unless the metric says otherwise); groups without it last. */
function rank(groups: ResultGroup[], metric: string): ResultGroup[] {
  const higher = metricInfo(metric)?.higherIsBetter ?? false;
  const value = (g: ResultGroup) => g.metrics[metric]?.mean ?? NaN;
  return [...groups].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (!Number.isFinite(va) || !Number.isFinite(vb)) return Number.isFinite(va) ? -1 : Number.isFinite(vb) ? 1 : 0;
    return higher ? vb - va : va - vb;
  });
}

/** Groups the runs by configuration, with each metric's mean and spread over seeds, best first. */
export function sweepResults(sweep: string, metric: string, swept: string[], records: RunRecord[]): SweepResults {
  const groups = new Map<string, { g: ResultGroup; summaries: RunSummary[] }>();
  for (const r of records) {
    const key = groupKey(r.run);
    if (!groups.has(key))
      groups.set(key, {
        g: { task: r.run.task, model: r.run.model, options: optionsOf(r.run), seeds: [], failed: 0, learnedNothing: 0, metrics: {} },
        summaries: [],
      });
    const entry = groups.get(key)!;
    if (r.state === 'completed' && r.summary) {
      entry.g.seeds.push(r.run.seed);
      entry.summaries.push(r.summary);
      if (r.summary.learnedNothing) entry.g.learnedNothing++;
    } else if (r.state === 'failed') entry.g.failed++;
  }
  for (const { g, summaries } of groups.values()) {
    for (const { key } of METRICS) {
      const values = summaries.map((s) => s.metrics[key]).filter((v): v is number => typeof v === 'number');
      if (values.length && values.length === summaries.length) g.metrics[key] = stat(values);
    }
  }
  const failed = records.filter((r) => r.state === 'failed');
  const describe = (r: RunRecord) => `${r.run.task} ${r.run.model} seed ${r.run.seed} ${describeOptions(r.run)}`.trim();
  return {
    sweep,
    metric,
    swept,
    runs: {
      total: records.length,
      completed: records.filter((r) => r.state === 'completed').length,
      failed: failed.length,
      pending: records.filter((r) => r.state !== 'completed' && r.state !== 'failed').length,
    },
    groups: rank(
      [...groups.values()].map((e) => e.g),
      metric,
    ),
    failures: failed.map((r) => ({
      name: r.run.name,
      run: describe(r),
      error: (r.error ?? 'no error recorded').split('\n')[0],
      attempts: r.attempts ?? null,
    })),
    learnedNothing: records.flatMap((r) =>
      r.state === 'completed' && r.summary?.learnedNothing ? [{ name: r.run.name, run: describe(r), why: r.summary.learnedNothing }] : [],
    ),
  };
}

/** An option's value in a table: a number with more than 4 significant digits (a drawn one) to 4, else as given; results.json keeps it whole. */
export function optionCell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[-+]?[0-9.]+(e[-+]?[0-9]+)?$/i.test(v) ? Number(v) : NaN;
  const short = Number(n.toPrecision(4));
  return Number.isFinite(n) && short !== n ? String(short) : String(v);
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(2) : v.toPrecision(3);
}

function cell(s: Stat | undefined): string {
  if (!s) return '-';
  return Number.isFinite(s.spread) ? `${formatValue(s.mean)} ± ${formatValue(s.spread)}` : formatValue(s.mean);
}

/** The metrics any group has, in table order. */
export function shownMetrics(res: SweepResults): typeof METRICS {
  return METRICS.filter((m) => res.groups.some((g) => g.metrics[m.key]));
}

/** The options columns: the swept ones (task and model have their own columns). */
export function optionColumns(res: SweepResults): string[] {
  return res.swept.filter((k) => k !== 'task' && k !== 'model');
}

/** The results as a markdown table (best first) with the failed runs below. */
export function resultsMarkdown(res: SweepResults): string {
  const metrics = shownMetrics(res);
  const opts = optionColumns(res);
  const head = ['#', 'task', 'model', ...opts, 'seeds', ...metrics.map((m) => (m.key === res.metric ? `**${m.label}**` : m.label))];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  res.groups.forEach((g, i) => {
    const seeds = seedsCell(g);
    const row = [
      String(i + 1),
      g.task,
      g.model,
      ...opts.map((k) => optionCell(g.options[k])),
      seeds,
      ...metrics.map((m) => cell(g.metrics[m.key])),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  });
  const r = res.runs;
  const ranked = metricInfo(res.metric);
  const parts = [
    `# Sweep ${res.sweep}`,
    '',
    `${r.total} runs: ${r.completed} completed, ${r.failed} failed, ${r.pending} not finished. Best first by ${ranked?.label ?? res.metric} (${ranked?.higherIsBetter ? 'higher' : 'lower'} is better); "±" is std/sqrt(seeds) over the seeds of a configuration.`,
    '',
    ...lines,
    '',
  ];
  if (res.failures.length) {
    parts.push('## Failed runs', '');
    for (const f of res.failures) parts.push(`- ${f.run} (${f.name}${f.attempts !== null ? `, ${f.attempts} attempts` : ''}): ${f.error}`);
    parts.push('');
  }
  if (res.learnedNothing.length) {
    parts.push('## Runs whose model learned nothing', '', LEARNED_NOTHING_NOTE, '');
    for (const l of res.learnedNothing) parts.push(`- ${l.run} (${l.name}): ${l.why}`);
    parts.push('');
  }
  return parts.join('\n');
}

/** Why runs that learned nothing have no rollout metric. */
export const LEARNED_NOTHING_NOTE = `Each of these models is not clearly better than a trivial one (predicting no motion; for a pixel model, also the training frames' mean pair), so its rollout metrics measure nothing it learned (${NO_MOTION_REASON}). They are left out, and these configurations rank after the others.`;

/** The seeds column: completed seeds, then failed ones and those whose model learned nothing. */
export function seedsCell(g: ResultGroup): string {
  const notes = [...(g.failed ? [`+${g.failed} failed`] : []), ...(g.learnedNothing ? [`${g.learnedNothing} learned nothing`] : [])];
  return `${g.seeds.length}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}
