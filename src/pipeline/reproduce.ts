// `hnn reproduce`: HNN and baseline on every task of a table (the paper's Table 1, the three-body
// appendix, our damped pendulum, the pixel tasks), over seeds, beside the published numbers; with
// --dissipative, baseline, HNN and D-HNN on damped and measured data (and the ideal spring and
// pendulum as conservative controls), beside the D-HNN paper's figures, with the D-HNN's learned
// friction. Finished runs are reused (a killed reproduction resumes where it stopped); --force retrains.
import { join } from 'node:path';
import type { ModelKind } from '../../models/dynamics.ts';
import { loadDynamicsModel } from '../../models/storage.ts';
import { fieldFunction } from '../../models/f64.ts';
import { energyEvalConfig } from '../../datasets/energy-eval.ts';
import { energyEvaluation } from '../eval/energy.ts';
import { describeStatistic, FINAL } from '../eval/statistic.ts';
import { taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import { getTask } from '../tasks/registry.ts';
import type { PixelTask, StateTask, Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { claimOutput, markOutput } from '../util/output.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { formatSeconds } from '../util/progress.ts';
import { packageVersions } from '../util/versions.ts';
import { plotTaskComparison, type TaskPlotInputs } from './task-plots.ts';
import { readMetrics } from './metrics.ts';
import { runRollout } from './rollout.ts';
import { defaultJobs, runJobs } from './workers.ts';
import { type RunMetrics, type Reference, LABELS, type TaskRow, tableRow, markdownTable } from './reproduce-table.ts';
import { dissipationTables, pixelSeedTable } from './reproduce-seed-tables.ts';
import type { ReproduceOptions } from './reproduce-options.ts';
import { modelsOf, seedsOf, runDir, dataDirOf, ensureDataset, refreshEvaluation, reusable, jobFor } from './reproduce-runs.ts';
import { initBackend, threadsFor } from '../tf/backend.ts';

export type { ExternalRuns, ReproduceOptions } from './reproduce-options.ts';

/** What --quick changes for a task, in words. */
function quickNote(task: Task): string {
  const data = task.kind === 'state' && task.quick.data ? `, ${JSON.stringify(task.quick.data)}` : '';
  return `${task.name} ${task.quick.steps}${data}`;
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
  const { planned, trained } = await trainRuns(o, tasks, models);
  // the table and the plots, from what the runs wrote (the plots load models here: the backend first)
  await initBackend(o.backend);
  const { rows, runsJson } = await collectRows(o, tasks, models, reference);
  const seconds = (performance.now() - t0) / 1000;
  // the latent decay the pixel runs recorded (reuse guarantees they all share it)
  const pixelRuns = tasks.filter((t) => t.kind === 'pixel').map((t) => runsJson[t.name][models[0]]!);
  const latentDecay = pixelRuns.length ? Number(pixelRuns[0][0].protocol.dynamicsWeightDecay) : null;
  const note = tableNote(o, tasks, { models, seconds, reused: planned - trained, planned, latentDecay });
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

/**
 * Makes the datasets (one per task and seed: every model of a seed trains on it; runs trained
 * elsewhere make their own) and trains every run not finished yet, side by side up to --jobs (each in
 * its own process and backend). Returns how many runs the table has and how many trained now.
 */
async function trainRuns(o: ReproduceOptions, tasks: Task[], models: ModelKind[]): Promise<{ planned: number; trained: number }> {
  if (!o.external) for (const task of tasks) for (let seed = 0; seed < o.seeds; seed++) await ensureDataset(task, seed, o);
  const plan = tasks.flatMap((task) =>
    seedsOf(o).flatMap((seed) => models.map((kind) => ({ task, seed, kind, dir: runDir(o, task, seed, kind) }))),
  );
  const todo = o.external ? plan : plan.filter((r) => !reusable(r.task, r.kind, r.seed, r.dir, o));
  if (o.external) await o.external.run();
  // a reused pixel run scored with another latent map than its task's now: evaluated again (not retrained)
  for (const r of plan) if (r.task.kind === 'pixel' && !todo.includes(r)) await refreshEvaluation(r.task, r.seed, r.dir, o);
  if (!o.external) {
    const threads = threadsFor(Math.min(todo.length, o.jobs ?? defaultJobs()));
    await runJobs(
      todo.map((r) => jobFor(r.task, r.kind, r.seed, r.dir, { ...o, threads })),
      o.jobs,
    );
  }
  return { planned: plan.length, trained: todo.length };
}

/** Every task's row of the table (and its plots) from the runs' metrics.json. */
async function collectRows(o: ReproduceOptions, tasks: Task[], models: ModelKind[], reference: Reference) {
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
  return { rows, runsJson };
}

/** The protocol a table was made with, in words: steps or quick mode, seeds, wall time. */
function modeSentence(o: ReproduceOptions, tasks: Task[]): string {
  if (o.steps !== undefined)
    return `REDUCED RUNS (${o.steps} steps each${o.quick ? `; quick data: ${tasks.map(quickNote).join('; ')}` : ''}): not the protocol's step count`;
  if (o.quick) return `QUICK MODE (reduced steps: ${tasks.map(quickNote).join('; ')}): not the paper's protocol`;
  return `full protocol (${tasks.map((t) => `${t.name} ${t.train.steps} steps`).join(', ')})`;
}

/** The pixel tasks' latent loss, step and projection, in words (null without pixel tasks). */
function pixelLossSentence(o: ReproduceOptions, tasks: Task[]): string | null {
  const pixelTrain = tasks.find((t) => t.kind === 'pixel')?.train;
  if (!pixelTrain) return null;
  const loss = o.paperProtocol
    ? `Pixel tasks: the paper's one-step Euler latent loss, rollouts by RK45.`
    : `Pixel tasks: the project's default ${pixelTrain.rolloutSteps}-frame ${pixelTrain.latentStep} latent rollout loss, rollouts by the models' own step (the paper's: 1 Euler step, RK45; docs/PROTOCOLS.md).`;
  const defaultStep = o.paperProtocol ? 'euler' : pixelTrain.latentStep;
  const step = o.latentStep ? ` Latent step: ${o.latentStep} (the default: ${defaultStep}).` : '';
  return loss + step + projectionSentence(tasks, o.projection);
}

/** The text above the table: what it compares, the protocol, the time, and how to read it. */
export function tableNote(
  o: ReproduceOptions,
  tasks: Task[],
  r: { models: ModelKind[]; seconds: number; reused: number; planned: number; latentDecay: number | null },
): string {
  const dissipative = (o.reference ?? 'paper') === 'dissipative';
  // the wall time covers this command only: say when runs trained by an earlier one were reused
  const reusedNote =
    r.reused > 0 ? ` (${r.reused} of ${r.planned} runs reused from an earlier command; their own times are in each metrics.json)` : '';
  const sources = [...new Set(tasks.map((t) => t.publishedDissipative?.source).filter((x): x is string => !!x))];
  const lossNote = pixelLossSentence(o, tasks);
  const statistic = o.statistic ?? FINAL;
  return [
    dissipative
      ? `# Dissipative HNN: ${r.models.map((k) => LABELS[k]).join(', ')} on damped, measured and conservative data, beside the D-HNN paper's figures`
      : tasks.some((t) => t.published)
        ? `# HNN reproduction: ours beside the paper's Table 1`
        : `# HNN and baseline on ${tasks.map((t) => t.name).join(', ')} (the paper has no figures for these tasks: its columns read n/a)`,
    ``,
    `${modeSentence(o, tasks)}; seeds 0..${o.seeds - 1}; ${formatSeconds(r.seconds)} wall time${reusedNote}.`,
    ...(dissipative
      ? [
          `Paper: Sosanya & Greydanus (2022), "Dissipative Hamiltonian Neural Networks"; n/a where it gives no comparable figure (its damped spring, which damps the position, is damped-spring-grid, whose figures are losses: its "energy MSE" there is a state MSE of one trajectory; it has no pixel experiment). ${sources.length ? `Its figures here come from ${sources.join('; ')}.` : 'It gives no figure for any task of this table.'}`,
        ]
      : []),
    ...(lossNote ? [lossNote] : []),
    ...(r.latentDecay !== null
      ? [
          `Pixel tasks: the latent model's weight decay is ${r.latentDecay.toExponential()} (the paper's literal protocol: 1e-5; README, "Pixel pendulum").`,
        ]
      : []),
    `Test loss: ${describeStatistic(statistic)}${statistic.kind === 'final' ? " (the default; --statistic last-5 gives the D-HNN paper's mean of the last 5 evaluations)" : ''}.`,
    `Values are multiplied by the scale in the first column, as in the paper. "±" is std/sqrt(rows) for losses and the 5-group interval for energy MSE (single seed), or std/sqrt(seeds) across seeds. ratio = ours / paper.`,
  ].join('\n');
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

/** Comparison plots of a state task from seed 0's runs: curves, energy along a rollout, fields or orbits. */
async function statePlots(task: StateTask, models: ModelKind[], o: ReproduceOptions): Promise<void> {
  const inputs: TaskPlotInputs = { histories: {}, weights: {}, energies: {} };
  // the plots draw test trajectory 0 alone: its rollouts, not the whole evaluation the runs already made
  const settings = energyEvalConfig(task);
  const first = { ...settings, initialStates: settings.initialStates.slice(0, 1) };
  for (const kind of models) {
    const { model, weights: w } = loadDynamicsModel(join(runDir(o, task, 0, kind), 'model'));
    model.dispose();
    inputs.histories[kind] = join(runDir(o, task, 0, kind), 'log.jsonl');
    inputs.weights[kind] = w;
    inputs.energies[kind] = energyEvaluation(task, fieldFunction(kind, w), first);
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
