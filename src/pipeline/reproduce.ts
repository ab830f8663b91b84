// `hnn reproduce`: HNN and baseline on every task of the registry (the paper's Table 1, the
// three-body appendix, our damped pendulum, the pixel tasks), over seeds, beside the published
// numbers. Finished runs are reused (a killed reproduction resumes where it stopped); --force retrains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generatePixelDataset } from '../../datasets/pixel.ts';
import { readManifest } from '../../datasets/format.ts';
import { STATE_GENERATOR_VERSION, writeStateDataset } from '../../datasets/state.ts';
import { loadDynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { energyEvaluation, type EnergyResult } from '../eval/energy.ts';
import type { PublishedResult } from '../systems/system.ts';
import type { MeanCi } from '../eval/stats.ts';
import { getTask } from '../tasks/registry.ts';
import type { PixelTask, StateTask, Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { claimOutput, markOutput } from '../util/output.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { formatSeconds } from '../util/progress.ts';
import { packageVersions } from '../util/versions.ts';
import { plotTaskComparison } from './task-plots.ts';
import { CHECKPOINT_FILE, pixelProtocolMismatch, runPixelExperiment, type PixelMetrics } from './pixel.ts';
import { readMetrics } from './metrics.ts';
import { runRollout } from './rollout.ts';
import { runStateExperiment, type RunMetricsBase, type StateMetrics } from './state.ts';

/** The part of metrics.json the table reads, common to state and pixel runs. */
type RunMetrics = RunMetricsBase<string> & { energyMse: MeanCi };

export interface ReproduceOptions {
  tasks: string[];
  seeds: number;
  outDir: string;
  quick: boolean;
  backend: string;
  force: boolean;
  quiet: boolean;
  /** Pixel tasks: the latent model's weight decay (default: latentWeightDecay's rule; 1e-5 is the literal protocol). */
  dynamicsWeightDecay?: number;
}

function stepsOf(task: Task, quick: boolean): number {
  return quick ? task.quick.steps : task.train.steps;
}

/** What --quick changes for a task, in words. */
function quickNote(task: Task): string {
  const data = task.kind === 'state' && task.quick.data ? `, ${JSON.stringify(task.quick.data)}` : '';
  return `${task.name} ${task.quick.steps}${data}`;
}

/** Published values of a task and the scale each metric is printed at. */
function published(task: Task): { values: PublishedResult | undefined; scales: Record<MetricKey, number> } {
  const values = task.published;
  const scale = values?.scale ?? 1e3;
  const own = task.kind === 'pixel' ? task.publishedScales : undefined;
  const loss = own?.loss ?? scale;
  return { values, scales: { trainLoss: loss, testLoss: loss, energyMse: own?.energy ?? scale } };
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

export interface TaskRow {
  task: string;
  /** what each metric is multiplied by when printed, as in the paper */
  scales: Record<MetricKey, number>;
  cells: Record<ModelKind, Record<MetricKey, Cell>>;
}

function spreadOf(runs: RunMetrics[], key: MetricKey): [number, number] {
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
  const name =
    `${{ trainLoss: 'train', testLoss: 'test', energyMse: 'energy' }[key]}${kind === 'hnn' ? 'Hnn' : 'Baseline'}` as keyof PublishedResult;
  const v = pub[name] as [number, number];
  return [v[0] / pub.scale, v[1] / pub.scale];
}

export function tableRow(ref: string | Task, runs: Record<ModelKind, RunMetrics[]>): TaskRow {
  const task = typeof ref === 'string' ? getTask(ref) : ref;
  const { values: pub, scales } = published(task);
  const cells = {} as TaskRow['cells'];
  for (const kind of ['baseline', 'hnn'] as const) {
    cells[kind] = {} as Record<MetricKey, Cell>;
    for (const [key] of METRICS) {
      const [ours, oursSpread] = spreadOf(runs[kind], key);
      const paper = paperValue(pub, kind, key);
      cells[kind][key] = {
        ours,
        oursSpread,
        paper: paper?.[0] ?? null,
        paperSpread: paper?.[1] ?? null,
        ratio: paper ? ours / paper[0] : null,
      };
    }
  }
  return { task: task.name, scales, cells };
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
      const scale = r.scales[key];
      lines.push(
        `| ${r.task} (x ${scale.toExponential(0)}) | ${label} | ${fmt(b.ours, b.oursSpread, scale)} | ${fmt(b.paper, b.paperSpread, scale)} | ${ratio(b)} | ${fmt(h.ours, h.oursSpread, scale)} | ${fmt(h.paper, h.paperSpread, scale)} | ${ratio(h)} |`,
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

/** Refuses to reuse a dataset made by another version of the generator (its runs would not be this version's). */
function checkGenerator(dir: string): void {
  const made = readManifest(dir).params.generatorVersion;
  if (made !== STATE_GENERATOR_VERSION) {
    throw new UserError(
      `${dir} was made by dataset generator version ${made}, this version makes ${STATE_GENERATOR_VERSION}: use another --out or pass --force to regenerate it and retrain`,
    );
  }
}

/** The metrics of a finished run in `dir` to reuse (none with --force); refuses a run of another mode. */
function finishedRun<M extends RunMetrics>(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): M | null {
  if (o.force || !existsSync(join(dir, 'metrics.json'))) return null;
  const metrics = readMetrics<M>(join(dir, 'metrics.json'));
  const expected = stepsOf(task, o.quick);
  if (metrics.steps !== expected) {
    throw new UserError(
      `${dir} holds a ${metrics.steps}-step run, this ${o.quick ? 'quick' : 'full'} reproduction needs ${expected}: use another --out or pass --force`,
    );
  }
  if (!o.quiet) console.log(`${task.name} ${kind} seed ${seed}: reusing the finished run in ${dir}`);
  return metrics;
}

async function runOrReuse(
  task: StateTask,
  kind: ModelKind,
  seed: number,
  dir: string,
  dataDir: string,
  o: ReproduceOptions,
): Promise<RunOutcome> {
  const metrics = finishedRun<StateMetrics>(task, kind, seed, dir, o);
  if (metrics) {
    const { model, weights } = loadDynamicsModel(join(dir, 'model'));
    model.dispose();
    return { metrics, weights, energy: null };
  }
  const res = await runStateExperiment({
    task,
    kind,
    seed,
    steps: o.quick ? task.quick.steps : undefined,
    dataDir,
    outDir: dir,
    backend: o.backend,
    force: true,
    quiet: o.quiet,
  });
  return res;
}

export async function runReproduce(o: ReproduceOptions): Promise<{ rows: TaskRow[] }> {
  const tasks = o.tasks.map(getTask);
  if (o.dynamicsWeightDecay !== undefined && !tasks.some((t) => t.kind === 'pixel')) {
    throw new UserError('--dynamics-weight-decay applies to pixel tasks only; add one to --tasks or drop the option');
  }
  // the whole reproduction folder is ours while it runs; each run and dataset in it has its own lock too
  const claim = claimOutput(o.outDir, 'reproduction', 'hnn reproduce');
  try {
    if (!o.quiet) for (const n of claim.recovered) console.log(n);
    markOutput(claim.dir, 'reproduction', { tasks: o.tasks, seeds: o.seeds, quick: o.quick });
    return await reproduceIn(o, tasks);
  } finally {
    claim.release();
  }
}

async function reproduceIn(o: ReproduceOptions, tasks: Task[]): Promise<{ rows: TaskRow[] }> {
  const t0 = performance.now();
  const rows: TaskRow[] = [];
  const runsJson: Record<string, Record<ModelKind, RunMetrics[]>> = {};
  for (const task of tasks) {
    const runs = task.kind === 'pixel' ? await reproducePixel(task, o) : await reproduceState(task, o);
    rows.push(tableRow(task, runs));
    runsJson[task.name] = runs;
  }
  const seconds = (performance.now() - t0) / 1000;
  // the latent decay the pixel runs recorded (reuse guarantees they all share it)
  const pixelRuns = tasks.filter((t) => t.kind === 'pixel').map((t) => runsJson[t.name]);
  const latentDecay = pixelRuns.length ? Number(pixelRuns[0].hnn[0].protocol.dynamicsWeightDecay) : null;
  const mode = o.quick
    ? `QUICK MODE (reduced steps: ${tasks.map(quickNote).join('; ')}): not the paper's protocol`
    : `full protocol (${tasks.map((t) => `${t.name} ${t.train.steps} steps`).join(', ')})`;
  const note = [
    `# HNN reproduction: ours beside the paper's Table 1`,
    ``,
    `${mode}; seeds 0..${o.seeds - 1}; ${formatSeconds(seconds)} wall time.`,
    ...(latentDecay !== null
      ? [
          `Pixel tasks: the latent model's weight decay is ${latentDecay.toExponential()} (the paper's literal protocol: 1e-5; README, "Pixel pendulum").`,
        ]
      : []),
    `Values are multiplied by the scale in the first column, as in the paper. "±" is std/sqrt(rows) for losses and the 5-group interval for energy MSE (single seed), or std/sqrt(seeds) across seeds. ratio = ours / paper.`,
  ].join('\n');
  const md = markdownTable(rows, note);
  writeFileAtomic(join(o.outDir, 'table.md'), md);
  writeJsonAtomic(join(o.outDir, 'table.json'), {
    mode: o.quick ? 'quick' : 'full',
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

/** A state task: one dataset per seed (both models train on it), comparison plots of seed 0. */
async function reproduceState(task: StateTask, o: ReproduceOptions): Promise<Record<ModelKind, StateMetrics[]>> {
  const runs: Record<ModelKind, StateMetrics[]> = { hnn: [], baseline: [] };
  const first: Partial<Record<ModelKind, RunOutcome>> = {};
  for (let seed = 0; seed < o.seeds; seed++) {
    // both models of a seed train on one dataset folder
    const dataDir = join(o.outDir, task.name, `seed${seed}`, 'dataset');
    if (o.force || !existsSync(join(dataDir, 'manifest.json')))
      writeStateDataset(dataDir, task, seed, o.quick ? task.quick.data : undefined, { force: true, command: 'hnn reproduce' });
    else checkGenerator(dataDir);
    for (const kind of ['baseline', 'hnn'] as const) {
      const dir = join(o.outDir, task.name, `seed${seed}`, kind);
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
  await plotTaskComparison(task, join(o.outDir, task.name, 'plots'), {
    histories: {
      baseline: join(o.outDir, task.name, 'seed0', 'baseline', 'log.jsonl'),
      hnn: join(o.outDir, task.name, 'seed0', 'hnn', 'log.jsonl'),
    },
    weights: { baseline: first.baseline!.weights, hnn: first.hnn!.weights },
    energies,
  });
  return runs;
}

/** A pixel task: one dataset per seed, both models jointly trained, a rollout video of seed 0. */
async function reproducePixel(task: PixelTask, o: ReproduceOptions): Promise<Record<ModelKind, PixelMetrics[]>> {
  const runs: Record<ModelKind, PixelMetrics[]> = { hnn: [], baseline: [] };
  const steps = stepsOf(task, o.quick);
  for (let seed = 0; seed < o.seeds; seed++) {
    const dataDir = join(o.outDir, task.name, `seed${seed}`, 'dataset');
    if (o.force || !existsSync(join(dataDir, 'manifest.json')))
      await generatePixelDataset(task, { out: dataDir, seed, quiet: o.quiet, force: true });
    for (const kind of ['baseline', 'hnn'] as const) {
      const dir = join(o.outDir, task.name, `seed${seed}`, kind);
      const finished = finishedRun<PixelMetrics>(task, kind, seed, dir, o);
      const stale = finished && pixelProtocolMismatch(finished, o.dynamicsWeightDecay);
      if (stale)
        throw new UserError(`${dir} holds a finished run that does not fit this reproduction: ${stale}; use another --out or pass --force`);
      if (finished) {
        runs[kind].push(finished);
        continue;
      }
      // resume an interrupted run of the same reproduction
      const resume = !o.force && existsSync(join(dir, CHECKPOINT_FILE));
      const res = await runPixelExperiment({
        task,
        kind,
        seed,
        steps,
        dataDir,
        outDir: dir,
        backend: o.backend,
        force: !resume,
        resume,
        quiet: o.quiet,
        dynamicsWeightDecay: o.dynamicsWeightDecay,
      });
      runs[kind].push(res.metrics!);
    }
  }
  const seed0 = join(o.outDir, task.name, 'seed0');
  await runRollout({
    modelDirs: { hnn: join(seed0, 'hnn', 'model'), baseline: join(seed0, 'baseline', 'model') },
    dataDir: join(seed0, 'dataset'),
    out: join(o.outDir, task.name, 'plots', 'rollout.gif'),
    backend: o.backend,
    quiet: true,
    force: true,
  });
  return runs;
}
