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
import { CHECKPOINT_FILE, pixelProtocolMismatch, type PixelMetrics } from './pixel.ts';
import { readMetrics } from './metrics.ts';
import { runRollout } from './rollout.ts';
import type { RunMetricsBase } from './state.ts';
import { runJobs, type Job } from '../util/workers.ts';

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
  /** Runs trained at once (default: the machine's cores). */
  jobs?: number;
  /** Pixel tasks: the paper's one-step latent loss (the paper's table) instead of the tasks' defaults (the pixel table). */
  paperProtocol?: boolean;
  /** Steps of every run instead of the protocol's (labelled in every output). */
  steps?: number;
}

function stepsOf(task: Task, o: Pick<ReproduceOptions, 'quick' | 'steps'>): number {
  return o.steps ?? (o.quick ? task.quick.steps : task.train.steps);
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
  const expected = stepsOf(task, o);
  if (metrics.steps !== expected) {
    throw new UserError(
      `${dir} holds a ${metrics.steps}-step run, this ${o.quick ? 'quick' : 'full'} reproduction needs ${expected}: use another --out or pass --force`,
    );
  }
  if (!o.quiet) console.log(`${task.name} ${kind} seed ${seed}: reusing the finished run in ${dir}`);
  return metrics;
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
  // 1. datasets (one per task and seed: both models of a seed train on it)
  for (const task of tasks) for (let seed = 0; seed < o.seeds; seed++) await ensureDataset(task, seed, o);
  // 2. every run not finished yet, side by side up to --jobs (each in its own worker and backend)
  const plan = tasks.flatMap((task) =>
    seedsOf(o).flatMap((seed) => MODELS.map((kind) => ({ task, seed, kind, dir: runDir(o, task, seed, kind) }))),
  );
  const todo = plan.filter((r) => !reusable(r.task, r.kind, r.seed, r.dir, o));
  await runJobs(
    todo.map((r) => jobFor(r.task, r.kind, r.seed, r.dir, o)),
    o.jobs,
  );
  // 3. the table and the plots, from what the runs wrote
  const rows: TaskRow[] = [];
  const runsJson: Record<string, Record<ModelKind, RunMetrics[]>> = {};
  for (const task of tasks) {
    const runs = { hnn: [], baseline: [] } as Record<ModelKind, RunMetrics[]>;
    for (const seed of seedsOf(o))
      for (const kind of MODELS) runs[kind].push(readMetrics<RunMetrics>(join(runDir(o, task, seed, kind), 'metrics.json')));
    if (task.kind === 'pixel') await pixelPlots(task, o);
    else await statePlots(task, o);
    rows.push(tableRow(task, runs));
    runsJson[task.name] = runs;
  }
  const seconds = (performance.now() - t0) / 1000;
  // the latent decay the pixel runs recorded (reuse guarantees they all share it)
  const pixelRuns = tasks.filter((t) => t.kind === 'pixel').map((t) => runsJson[t.name]);
  const latentDecay = pixelRuns.length ? Number(pixelRuns[0].hnn[0].protocol.dynamicsWeightDecay) : null;
  const mode =
    o.steps !== undefined
      ? `REDUCED RUNS (${o.steps} steps each${o.quick ? `; quick data: ${tasks.map(quickNote).join('; ')}` : ''}): not the protocol's step count`
      : o.quick
        ? `QUICK MODE (reduced steps: ${tasks.map(quickNote).join('; ')}): not the paper's protocol`
        : `full protocol (${tasks.map((t) => `${t.name} ${t.train.steps} steps`).join(', ')})`;
  const lossNote = tasks.some((t) => t.kind === 'pixel')
    ? o.paperProtocol
      ? `Pixel tasks: the paper's one-step latent loss.`
      : `Pixel tasks: the project's default ${tasks.find((t) => t.kind === 'pixel')!.train.rolloutSteps}-frame latent rollout loss (the paper's: 1; docs/PROTOCOLS.md).`
    : null;
  const note = [
    `# HNN reproduction: ours beside the paper's Table 1`,
    ``,
    `${mode}; seeds 0..${o.seeds - 1}; ${formatSeconds(seconds)} wall time.`,
    ...(lossNote ? [lossNote] : []),
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
    mode: o.steps !== undefined ? 'reduced' : o.quick ? 'quick' : 'full',
    steps: o.steps ?? null,
    pixelLoss: o.paperProtocol ? 'paper' : 'default',
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

const MODELS = ['baseline', 'hnn'] as const;

function seedsOf(o: ReproduceOptions): number[] {
  return Array.from({ length: o.seeds }, (_, k) => k);
}

function runDir(o: ReproduceOptions, task: Task, seed: number, kind: ModelKind): string {
  return join(o.outDir, task.name, `seed${seed}`, kind);
}

function dataDirOf(o: ReproduceOptions, task: Task, seed: number): string {
  return join(o.outDir, task.name, `seed${seed}`, 'dataset');
}

/** Generates a seed's dataset unless a reusable one is there (a state dataset of this generator version). */
async function ensureDataset(task: Task, seed: number, o: ReproduceOptions): Promise<void> {
  const dir = dataDirOf(o, task, seed);
  const exists = existsSync(join(dir, 'manifest.json'));
  if (task.kind === 'pixel') {
    if (o.force || !exists) await generatePixelDataset(task, { out: dir, seed, quiet: o.quiet, force: true });
    return;
  }
  if (o.force || !exists)
    writeStateDataset(dir, task, seed, o.quick ? task.quick.data : undefined, { force: true, command: 'hnn reproduce' });
  else checkGenerator(dir);
}

/** True when `dir` holds a finished run this reproduction can reuse (refuses one made otherwise). */
function reusable(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): boolean {
  const finished = finishedRun<RunMetrics>(task, kind, seed, dir, o);
  if (!finished) return false;
  if (task.kind === 'pixel') {
    const stale = pixelProtocolMismatch(finished as PixelMetrics, o.dynamicsWeightDecay, o.paperProtocol);
    if (stale)
      throw new UserError(`${dir} holds a finished run that does not fit this reproduction: ${stale}; use another --out or pass --force`);
  }
  return true;
}

/** The job that trains one run (an interrupted pixel run resumes from its checkpoint). */
function jobFor(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): Job {
  const common = {
    task: task.name,
    kind,
    seed,
    steps: o.steps ?? (o.quick ? task.quick.steps : undefined),
    dataDir: dataDirOf(o, task, seed),
    outDir: dir,
    backend: o.backend,
    quiet: o.quiet,
  };
  if (task.kind === 'state') return { name: 'stateRun', args: [{ ...common, force: true }] };
  const resume = !o.force && existsSync(join(dir, CHECKPOINT_FILE));
  return {
    name: 'pixelRun',
    args: [
      {
        ...common,
        steps: stepsOf(task, o),
        force: !resume,
        resume,
        dynamicsWeightDecay: o.dynamicsWeightDecay,
        paperProtocol: o.paperProtocol,
      },
    ],
  };
}

/** Comparison plots of a state task from seed 0's runs: curves, energy along a rollout, fields or orbits. */
async function statePlots(task: StateTask, o: ReproduceOptions): Promise<void> {
  const weights = {} as Record<ModelKind, NamedWeights>;
  const energies = {} as Record<ModelKind, EnergyResult>;
  for (const kind of MODELS) {
    const { model, weights: w } = loadDynamicsModel(join(runDir(o, task, 0, kind), 'model'));
    model.dispose();
    weights[kind] = w;
    energies[kind] = energyEvaluation(task, fieldFunction(kind, w));
  }
  await plotTaskComparison(task, join(o.outDir, task.name, 'plots'), {
    histories: { baseline: join(runDir(o, task, 0, 'baseline'), 'log.jsonl'), hnn: join(runDir(o, task, 0, 'hnn'), 'log.jsonl') },
    weights,
    energies,
  });
}

/** The rollout video (truth | baseline | HNN) and its plots, from seed 0's runs of a pixel task. */
async function pixelPlots(task: PixelTask, o: ReproduceOptions): Promise<void> {
  await runRollout({
    modelDirs: { hnn: join(runDir(o, task, 0, 'hnn'), 'model'), baseline: join(runDir(o, task, 0, 'baseline'), 'model') },
    dataDir: dataDirOf(o, task, 0),
    out: join(o.outDir, task.name, 'plots', 'rollout.gif'),
    backend: o.backend,
    quiet: true,
    force: true,
  });
}
