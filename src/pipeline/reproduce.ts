// `hnn reproduce`: HNN and baseline on every state task, over seeds, beside the paper's Table 1.
// Finished runs are reused (a killed reproduction resumes where it stopped); --force retrains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeStateDataset, type StateOverrides, type StateTask } from '../../datasets/state.ts';
import { loadDynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { energyEvaluation, type EnergyResult } from '../eval/energy.ts';
import { getSystem } from '../physics/index.ts';
import type { PublishedResult } from '../physics/system.ts';
import { TRAIN_PROTOCOLS } from '../train/protocol.ts';
import { UserError } from '../util/errors.ts';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { formatSeconds } from '../util/progress.ts';
import { packageVersions } from '../util/versions.ts';
import { plotTaskComparison } from './task-plots.ts';
import { runStateExperiment, type StateMetrics } from './state.ts';

export interface ReproduceOptions {
  tasks: StateTask[];
  seeds: number;
  outDir: string;
  quick: boolean;
  backend: string;
  force: boolean;
  quiet: boolean;
}

/** Reduced settings of --quick: fewer steps (and fewer three-body trajectories); the protocol otherwise. */
export const QUICK: Record<StateTask, { steps: number; data?: StateOverrides }> = {
  spring: { steps: 600 },
  pendulum: { steps: 600 },
  'damped-pendulum': { steps: 600 },
  'real-pendulum': { steps: 600 },
  'two-body': { steps: 1500 },
  'three-body': { steps: 800, data: { trajectories: 1000 } },
};

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

export interface TaskRow {
  task: StateTask;
  scale: number;
  cells: Record<ModelKind, Record<MetricKey, Cell>>;
}

function spreadOf(runs: StateMetrics[], key: MetricKey): [number, number] {
  const values = runs.map((r) => r[key].mean);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length > 1) {
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    return [mean, std / Math.sqrt(values.length)];
  }
  const r = runs[0][key] as { sem?: number; ci?: number };
  return [mean, r.sem ?? r.ci ?? NaN];
}

function paperValue(pub: PublishedResult | undefined, kind: ModelKind, key: MetricKey): [number, number] | null {
  if (!pub) return null;
  const name = `${{ trainLoss: 'train', testLoss: 'test', energyMse: 'energy' }[key]}${kind === 'hnn' ? 'Hnn' : 'Baseline'}` as keyof PublishedResult;
  const v = pub[name] as [number, number];
  return [v[0] / pub.scale, v[1] / pub.scale];
}

export function tableRow(task: StateTask, runs: Record<ModelKind, StateMetrics[]>): TaskRow {
  const pub = getSystem(task).published;
  const cells = {} as TaskRow['cells'];
  for (const kind of ['baseline', 'hnn'] as const) {
    cells[kind] = {} as Record<MetricKey, Cell>;
    for (const [key] of METRICS) {
      const [ours, oursSpread] = spreadOf(runs[kind], key);
      const paper = paperValue(pub, kind, key);
      cells[kind][key] = { ours, oursSpread, paper: paper?.[0] ?? null, paperSpread: paper?.[1] ?? null, ratio: paper ? ours / paper[0] : null };
    }
  }
  return { task, scale: pub?.scale ?? 1e3, cells };
}

function fmt(v: number | null, spread: number | null, scale: number): string {
  if (v === null) return 'n/a';
  const s = (x: number) => {
    const y = x * scale;
    return Math.abs(y) >= 100 || Math.abs(y) < 0.01 ? y.toPrecision(2) : y.toFixed(2).replace(/\.?0+$/, '');
  };
  return spread !== null && Number.isFinite(spread) ? `${s(v)} ± ${s(spread)}` : s(v);
}

export function markdownTable(rows: TaskRow[], note: string): string {
  const head = ['Task (scale)', 'Metric', 'Baseline: ours', 'paper', 'ratio', 'HNN: ours', 'paper', 'ratio'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    for (const [key, label] of METRICS) {
      const b = r.cells.baseline[key];
      const h = r.cells.hnn[key];
      const ratio = (c: Cell) => (c.ratio === null ? 'n/a' : c.ratio.toPrecision(2));
      lines.push(
        `| ${r.task} (x ${r.scale.toExponential(0)}) | ${label} | ${fmt(b.ours, b.oursSpread, r.scale)} | ${fmt(b.paper, b.paperSpread, r.scale)} | ${ratio(b)} | ${fmt(h.ours, h.oursSpread, r.scale)} | ${fmt(h.paper, h.paperSpread, r.scale)} | ${ratio(h)} |`,
      );
    }
  }
  return `${note}\n\n${lines.join('\n')}\n`;
}

interface RunOutcome {
  metrics: StateMetrics;
  weights: NamedWeights;
  energy: EnergyResult | null;
}

async function runOrReuse(task: StateTask, kind: ModelKind, seed: number, dir: string, dataDir: string, o: ReproduceOptions): Promise<RunOutcome> {
  if (!o.force && existsSync(join(dir, 'metrics.json'))) {
    const metrics = readJson<StateMetrics>(join(dir, 'metrics.json'), 'metrics');
    const expected = o.quick ? QUICK[task].steps : TRAIN_PROTOCOLS[task].steps;
    if (metrics.steps !== expected) {
      throw new UserError(`${dir} holds a ${metrics.steps}-step run, this ${o.quick ? 'quick' : 'full'} reproduction needs ${expected}: use another --out or pass --force`);
    }
    const { model, weights } = loadDynamicsModel(join(dir, 'model'));
    model.dispose();
    if (!o.quiet) console.log(`${task} ${kind} seed ${seed}: reusing the finished run in ${dir}`);
    return { metrics, weights, energy: null };
  }
  const quick = o.quick ? QUICK[task] : null;
  const res = await runStateExperiment({
    task,
    kind,
    seed,
    steps: quick?.steps,
    dataDir,
    outDir: dir,
    backend: o.backend,
    force: true,
    quiet: o.quiet,
  });
  return res;
}

export async function runReproduce(o: ReproduceOptions): Promise<{ rows: TaskRow[] }> {
  const t0 = performance.now();
  const rows: TaskRow[] = [];
  const runsJson: Record<string, Record<ModelKind, StateMetrics[]>> = {};
  for (const task of o.tasks) {
    const runs: Record<ModelKind, StateMetrics[]> = { hnn: [], baseline: [] };
    let first: Partial<Record<ModelKind, RunOutcome>> = {};
    for (let seed = 0; seed < o.seeds; seed++) {
      // both models of a seed train on one dataset folder
      const dataDir = join(o.outDir, task, `seed${seed}`, 'dataset');
      if (o.force || !existsSync(join(dataDir, 'manifest.json'))) writeStateDataset(dataDir, task, seed, o.quick ? QUICK[task].data : undefined);
      for (const kind of ['baseline', 'hnn'] as const) {
        const dir = join(o.outDir, task, `seed${seed}`, kind);
        const outcome = await runOrReuse(task, kind, seed, dir, dataDir, o);
        runs[kind].push(outcome.metrics);
        if (seed === 0) first[kind] = outcome;
      }
    }
    // plots from seed 0: energy rollouts are recomputed for reused runs
    const energies = {} as Record<ModelKind, EnergyResult>;
    for (const kind of ['baseline', 'hnn'] as const) {
      const f = first[kind]!;
      energies[kind] = f.energy ?? energyEvaluation(task, fieldFunction(kind, f.weights));
    }
    await plotTaskComparison(task, join(o.outDir, task, 'plots'), {
      histories: { baseline: join(o.outDir, task, 'seed0', 'baseline', 'log.jsonl'), hnn: join(o.outDir, task, 'seed0', 'hnn', 'log.jsonl') },
      weights: { baseline: first.baseline!.weights, hnn: first.hnn!.weights },
      energies,
    });
    first = {};
    rows.push(tableRow(task, runs));
    runsJson[task] = runs;
  }
  const seconds = (performance.now() - t0) / 1000;
  const mode = o.quick
    ? `QUICK MODE (reduced steps: ${o.tasks.map((t) => `${t} ${QUICK[t].steps}${QUICK[t].data ? `, ${JSON.stringify(QUICK[t].data)}` : ''}`).join('; ')}): not the paper's protocol`
    : `full protocol (${o.tasks.map((t) => `${t} ${TRAIN_PROTOCOLS[t].steps} steps`).join(', ')})`;
  const note = [
    `# HNN reproduction: ours beside the paper's Table 1`,
    ``,
    `${mode}; seeds 0..${o.seeds - 1}; ${formatSeconds(seconds)} wall time.`,
    `Values are multiplied by the scale in the first column, as in the paper. "±" is std/sqrt(rows) for losses and the 5-group interval for energy MSE (single seed), or std/sqrt(seeds) across seeds. ratio = ours / paper.`,
  ].join('\n');
  const md = markdownTable(rows, note);
  writeFileAtomic(join(o.outDir, 'table.md'), md);
  writeJsonAtomic(join(o.outDir, 'table.json'), { mode: o.quick ? 'quick' : 'full', seeds: o.seeds, seconds, rows, runs: runsJson, versions: packageVersions() });
  console.log(md);
  console.log(`wrote ${join(o.outDir, 'table.md')}, ${join(o.outDir, 'table.json')} and plots under ${o.outDir}/<task>/plots/`);
  return { rows };
}
