// The subcommands of `hnn`. Each validates its flags, then calls one pipeline function. Only modules
// without tensors load here (the registry, the option names): `hnn --help` must answer fast, and
// every pipeline loads in its action.
import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  DISSIPATION_FORMS,
  DISSIPATION_SCHEDULES,
  LATENT_STEPS,
  MODEL_KINDS,
  PIXEL_ENCODERS,
  type DissipationForm,
  type DissipationSchedule,
  type LatentStep,
  type ModelKind,
  type PixelEncoder,
} from '../../models/kinds.ts';
import { ROLLOUT_INTEGRATORS, ROLLOUT_PROJECTIONS, type RolloutIntegrator, type RolloutProjection } from '../eval/integrators.ts';
import { BACKEND_CHOICES } from '../tf/choices.ts';
import { getTask, suiteTasks, TASK_NAMES, TASKS } from '../tasks/registry.ts';
import { UserError } from '../util/errors.ts';
import { checkWritable } from '../util/files.ts';
import { dissipationLines } from '../eval/dissipation.ts';
import { parseStatistic, testLossOf } from '../eval/statistic.ts';
import { listOf, nonNegativeInt, numberIn, oneOf, positiveInt, seed } from './args.ts';
import { registerInit } from './init.ts';
import type { Task } from '../tasks/task.ts';
import { registerExport } from './export.ts';
import { registerSweepCommands } from './sweep.ts';
import { registerWorkerCommand } from './worker.ts';
import { chosenTask, evalFlag, systemOption, trainOptions, trainOverrides, useSystemFile, type TrainFlagValues } from './system.ts';
import { registerImport } from './import.ts';
import { isImportTaskName } from '../tasks/imported.ts';

const IMPORT_TASK_LINES = [
  ['state-import', 'state', 'your trajectories: `hnn import states FILE --out DIR`, then `hnn train --data DIR` (docs/IMPORT.md)'],
  ['pixel-import', 'pixel', 'your video: `hnn import video FILE --out DIR`, then `hnn train --data DIR` (docs/IMPORT.md)'],
] as const;

/** Flags that only pixel tasks take, for the refusal message on state tasks. */
const PIXEL_TRAIN_FLAGS = [
  'resume',
  'encoder',
  'context',
  'hnnWeight',
  'consistencyWeight',
  'dynamicsWeightDecay',
  'projection',
  'checkpointEvery',
] as const;

/** The D-HNN paper's statistic beside the final model's, when the run evaluated often enough. */
function lastTestLosses(m: import('../pipeline/state.ts').StateMetrics): string[] {
  const h = m.testLossHistory;
  if (!h || h.testLoss.length < 5) return [];
  const mean = testLossOf(m, { kind: 'last', k: 5 }, 'this run');
  return [`  test loss, mean of the last 5 evaluations (every ${h.every} updates; the D-HNN paper's statistic): ${mean.toExponential(3)}`];
}

function summariseState(m: import('../pipeline/state.ts').StateMetrics, out: string): void {
  const f = (v: number) => v.toExponential(3);
  console.log(
    [
      `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(1)} s)`,
      `  train loss ${f(m.trainLoss.mean)} +- ${f(m.trainLoss.sem)}`,
      `  test loss  ${f(m.testLoss.mean)} +- ${f(m.testLoss.sem)}`,
      ...lastTestLosses(m),
      `  energy MSE ${f(m.energyMse.mean)} +- ${f(m.energyMse.ci)}${m.energyMse.failed ? ` (${m.energyMse.failed} learned rollouts stopped early)` : ''}`,
      ...(m.energyMse.truthFailed
        ? [
            `  ${m.energyMse.truthFailed} of ${m.energyMse.truthFailed + m.energyMse.trajectories} true rollouts failed (${Object.entries(
              m.energyMse.truthFailures,
            )
              .map(([r, n]) => `${n} ${r}`)
              .join(', ')}) and are left out`,
          ]
        : []),
      `  state MSE ${f(m.stateMse.mean)}   VPT mean ${m.vpt.mean.toFixed(2)}, median ${m.vpt.median.toFixed(2)} (time units of ${m.evaluation.t1})`,
      `  evaluation ${m.evaluation.mode} (${m.evaluation.count} rollouts, rtol ${m.evaluation.rtol}): ${m.evalSeconds.toFixed(1)} s`,
      ...(m.dissipation ? dissipationLines(m.dissipation) : []),
      `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
    ].join('\n'),
  );
}

function summariseImportedState(m: import('../pipeline/import-state.ts').ImportedStateMetrics, out: string): string {
  const f = (v: number) => v.toExponential(3);
  const r = m.rollouts;
  return [
    `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(1)} s)`,
    `  train loss ${f(m.trainLoss.mean)} +- ${f(m.trainLoss.sem)}`,
    `  test loss  ${f(m.testLoss.mean)} +- ${f(m.testLoss.sem)}`,
    `  rollouts over ${r.segments} held-out segment(s): state MSE ${f(r.stateMse.mean)}, VPT median ${r.vptMedian} rows${r.failed ? ` (${r.failed} stopped early)` : ''}`,
    m.learnedEnergyDrift
      ? `  learned H drift ${f(m.learnedEnergyDrift.mean)} (in std of H over the test rows)`
      : '  learned H drift n/a (no learned H)',
    m.energyMse
      ? `  energy MSE ${f(m.energyMse.mean)} +- ${f(m.energyMse.ci)} (the dataset's energy expression)`
      : '  energy MSE n/a (no --energy given at import)',
    `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
  ].join('\n');
}

interface GenerateFlags {
  system?: string;
  out: string;
  seed: number;
  trials?: number;
  frames?: number;
  size?: number;
  engine?: string;
  colour?: boolean;
  randomParams?: boolean;
  friction?: number;
  force?: boolean;
  quiet?: boolean;
}

/** Refuses flags that do not apply to the task (exported for `hnn sweep`, which validates runs as `hnn generate` would). */
export function checkGenerateFlags(name: string, o: Omit<GenerateFlags, 'out' | 'seed'>): void {
  const task = getTask(name);
  if (task.kind !== 'pixel' && (o.trials || o.frames || o.size || o.engine || o.colour || o.randomParams))
    throw new UserError(`--trials, --frames, --size, --engine, --colour and --random-params apply to pixel tasks, not ${task.name}`);
}

async function generate(name: string | undefined, o: GenerateFlags): Promise<void> {
  const task = getTask(chosenTask(name, await useSystemFile(o.system), 'hnn generate'));
  const out = resolve(o.out);
  if (task.kind === 'pixel') {
    const { generatePixelDataset } = await import('../../datasets/pixel.ts');
    await generatePixelDataset(task, {
      out,
      seed: o.seed,
      trials: o.trials,
      frames: o.frames,
      size: o.size,
      engine: o.engine,
      colour: o.colour,
      randomParams: o.randomParams,
      friction: o.friction,
      force: o.force,
      quiet: o.quiet,
    });
    return;
  }
  checkGenerateFlags(task.name, o);
  const { writeStateDataset } = await import('../../datasets/state.ts');
  const { dataset } = writeStateDataset(out, task, o.seed, { friction: o.friction }, { force: o.force });
  console.log(`${task.name}: ${dataset.trainRows} train rows, ${dataset.testRows} test rows, dim ${dataset.dim}, seed ${o.seed} -> ${out}`);
}

interface TrainFlags extends TrainFlagValues {
  task?: string;
  system?: string;
  eval?: ReturnType<typeof evalFlag>;
  model: ModelKind;
  seed: number;
  steps?: number;
  data?: string;
  out?: string;
  backend: string;
  resume?: boolean;
  latentStep?: LatentStep;
  rolloutSteps?: number;
  encoder?: PixelEncoder;
  context?: number;
  hnnWeight?: number;
  consistencyWeight?: number;
  dynamicsWeightDecay?: number;
  dissipationWeightDecay?: number;
  dissipationSchedule?: DissipationSchedule;
  dissipationForm?: DissipationForm;
  projection?: RolloutProjection;
  quick?: boolean;
  threads?: number;
  checkpointEvery?: number;
  force?: boolean;
  quiet?: boolean;
}

/** The task of `hnn train`: an import task (named, or --data alone naming one in its manifest) takes its shape from its dataset. */
async function trainTask(o: TrainFlags): Promise<Task> {
  const { importedTaskOf, resolveRunTask } = await import('../../datasets/import-task.ts');
  const { readManifest } = await import('../../datasets/format.ts');
  const importData = !o.task && !o.system && o.data ? importedTaskOf(readManifest(resolve(o.data))) : null;
  if (importData) return importData;
  if (o.task && isImportTaskName(o.task)) return resolveRunTask(o.task, o.data && resolve(o.data));
  const name = o.task ?? (o.data && !o.system ? readManifest(resolve(o.data)).kind : undefined);
  return getTask(chosenTask(name, await useSystemFile(o.system), 'hnn train'));
}

/**
 * Refuses flags that do not apply to the task (a task record, or a registered task's name) or the
 * model, and returns the checked training overrides. Exported for `hnn sweep`, which checks every
 * run as `hnn train` does.
 */
export function checkTrainFlags(o: Omit<TrainFlags, 'task'> & { task: string | Task }): ReturnType<typeof trainOverrides> {
  const task = typeof o.task === 'string' ? getTask(o.task) : o.task;
  const trainSettings = trainOverrides(o, task.kind);
  if (o.eval !== undefined && task.kind !== 'state')
    throw new UserError(
      `--eval sizes the state tasks' rollout evaluation; ${task.name} is a pixel task (its evaluation is its test trials); drop it`,
    );
  for (const [flag, value] of [
    ['--dissipation-weight-decay', o.dissipationWeightDecay],
    ['--dissipation-schedule', o.dissipationSchedule],
    ['--dissipation-form', o.dissipationForm],
  ] as const)
    if (value !== undefined && (task.kind !== 'state' || o.model !== 'dhnn'))
      throw new UserError(`${flag} applies to a D-HNN on a state task (--model dhnn), not ${o.model} on ${task.name}; drop it`);
  if (task.kind === 'pixel') return trainSettings;
  const given = PIXEL_TRAIN_FLAGS.filter((k) => o[k] !== undefined);
  if (given.length) {
    const flags = given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UserError(`${flags.join(', ')} apply to pixel tasks only, not ${task.name}`);
  }
  if (o.latentStep !== undefined && o.rolloutSteps === undefined)
    throw new UserError(
      `--latent-step chooses the integrator of the trajectory loss of a state task; give --rollout-steps K too, or drop it`,
    );
  return trainSettings;
}

async function train(flags: TrainFlags): Promise<void> {
  const task = await trainTask(flags);
  const trainSettings = checkTrainFlags({ ...flags, task });
  // --quick: the task's reduced step count (and, for a state task generating its data, its reduced data)
  const o = { ...flags, steps: flags.steps ?? (flags.quick ? task.quick.steps : undefined) };
  const out = resolve(o.out ?? `runs/${task.name}-${o.model}-seed${o.seed}`);
  if (task.kind === 'pixel') {
    const { runPixelTrainCommand } = await import('./pixel.ts');
    await runPixelTrainCommand({ ...o, task, out, train: trainSettings });
    return;
  }
  const chain =
    o.rolloutSteps !== undefined ? { rolloutSteps: o.rolloutSteps, ...(o.latentStep ? { rolloutIntegrator: o.latentStep } : {}) } : {};
  const stateTrain = trainSettings || o.rolloutSteps !== undefined ? { ...trainSettings, ...chain } : undefined;
  const { runStateExperiment } = await import('../pipeline/state.ts');
  const result = await runStateExperiment({
    task,
    kind: o.model,
    seed: o.seed,
    steps: o.steps,
    dataDir: o.data ? resolve(o.data) : undefined,
    outDir: out,
    backend: o.backend,
    force: o.force,
    quiet: o.quiet,
    dissipationWeightDecay: o.dissipationWeightDecay,
    dissipationSchedule: o.dissipationSchedule,
    dissipationForm: o.dissipationForm,
    ...(o.quick && !o.data && task.quick.data ? { dataOverrides: task.quick.data } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(stateTrain ? { train: stateTrain } : {}),
    ...(o.eval !== undefined ? { evaluation: o.eval } : {}),
  });
  if (result.imported) console.log(summariseImportedState(result.metrics, out));
  else summariseState(result.metrics, out);
}

interface ReproduceFlags extends TrainFlagValues {
  tasks?: string[];
  statistic?: string;
  dissipationWeightDecay?: number;
  dissipationSchedule?: DissipationSchedule;
  dissipationForm?: DissipationForm;
  system?: string;
  pixels?: boolean;
  dissipative?: boolean;
  models?: ModelKind[];
  seeds: number;
  out?: string;
  quick?: boolean;
  dynamicsWeightDecay?: number;
  latentStep?: LatentStep;
  projection?: RolloutProjection;
  backend: string;
  force?: boolean;
  quiet?: boolean;
  jobs?: number;
  steps?: number;
  queue?: string;
  store?: string;
}

/** Reproduce's state-task training flags and statistic, checked; refused when a pixel task is in the table. */
function reproduceStateOptions(o: ReproduceFlags, tasks: string[]) {
  const train = trainOverrides(o, 'state', 'hnn reproduce');
  const given = [
    ...(train ? ['--lr, --batch-size, --weight-decay, --hidden, --eval-every'] : []),
    ...(o.dissipationWeightDecay !== undefined ? ['--dissipation-weight-decay'] : []),
    ...(o.dissipationSchedule !== undefined ? ['--dissipation-schedule'] : []),
    ...(o.dissipationForm !== undefined ? ['--dissipation-form'] : []),
  ];
  const pixel = tasks.find((t) => getTask(t).kind === 'pixel');
  if (given.length && pixel)
    throw new UserError(
      `${given.join(' and ')} apply to the state tasks of a reproduction, and ${pixel} is a pixel task; drop it from --tasks or drop the options`,
    );
  return {
    ...(train ? { train } : {}),
    ...(o.dissipationWeightDecay !== undefined ? { dissipationWeightDecay: o.dissipationWeightDecay } : {}),
    ...(o.dissipationSchedule !== undefined ? { dissipationSchedule: o.dissipationSchedule } : {}),
    ...(o.dissipationForm !== undefined ? { dissipationForm: o.dissipationForm } : {}),
    ...(o.statistic !== undefined ? { statistic: parseStatistic(o.statistic) } : {}),
  };
}

async function reproduce(o: ReproduceFlags): Promise<void> {
  // --pixels and --dissipative choose the table (its protocol, models and published figures) and, without --tasks, its tasks
  if (o.pixels && o.dissipative) throw new UserError('--pixels and --dissipative choose different tables; pass one of them');
  const fromFile = await useSystemFile(o.system);
  for (const t of o.tasks ?? []) getTask(t);
  // with --system and no --tasks: the file's tasks of the table's kind
  if (fromFile.length && !o.tasks) o.tasks = fromFile.filter((t) => (t.kind === 'pixel') === !!o.pixels).map((t) => t.name);
  const notPixel = o.pixels ? o.tasks?.find((t) => getTask(t).kind !== 'pixel') : undefined;
  if (notPixel) throw new UserError(`--pixels makes the pixel table, and ${notPixel} is not a pixel task; drop it from --tasks`);
  const suite = o.pixels ? 'pixels' : o.dissipative ? 'dissipative' : 'paper';
  const tasks = o.tasks ?? suiteTasks(suite).map((t) => t.name);
  const state = reproduceStateOptions(o, tasks);
  const out = o.out ?? `runs/reproduce${suite === 'paper' ? '' : `-${suite}`}${o.quick ? '-quick' : ''}`;
  if (!!o.queue !== !!o.store)
    throw new UserError('--queue and --store go together: the runs go through the queue into the store the workers share');
  if (o.queue && o.jobs !== undefined) throw new UserError('--jobs trains here; with --queue, start workers instead (hnn worker)');
  if (o.queue && o.system)
    throw new UserError('--system runs a file of code; a queued reproduction carries data only: run it without --queue');
  const { runReproduce } = await import('../pipeline/reproduce.ts');
  const options: import('../pipeline/reproduce.ts').ReproduceOptions = {
    tasks,
    ...state,
    // the dissipative table: the three models beside the D-HNN paper's figures
    models: o.models ?? (o.dissipative ? ['baseline', 'hnn', 'dhnn'] : undefined),
    reference: o.dissipative ? 'dissipative' : 'paper',
    seeds: o.seeds,
    outDir: resolve(out),
    quick: !!o.quick,
    dynamicsWeightDecay: o.dynamicsWeightDecay,
    backend: o.backend,
    force: !!o.force,
    quiet: !!o.quiet,
    jobs: o.jobs,
    // the paper's table keeps the paper's one-step latent loss; the pixel table takes the tasks' defaults
    paperProtocol: suite === 'paper',
    steps: o.steps,
    latentStep: o.latentStep,
    projection: o.projection,
    systemFile: o.system && resolve(o.system),
  };
  const external = o.queue ? await queuedRuns(options, o.queue, o.store!, o.quiet) : undefined;
  await runReproduce({ ...options, external });
}

/** The reproduction's runs as a queued sweep named after its --out folder. */
async function queuedRuns(options: import('../pipeline/reproduce.ts').ReproduceOptions, url: string, store: string, quiet?: boolean) {
  const { parseQueueUrl } = await import('../pipeline/sweep/connection.ts');
  const { checkStore } = await import('../pipeline/sweep/execute.ts');
  const { queuedReproduction } = await import('../pipeline/sweep/reproduce-queue.ts');
  const { startView } = await import('../pipeline/sweep/view.ts');
  const { validateRun } = await import('./sweep-options.ts');
  const sweep = basename(options.outDir).replace(/[^A-Za-z0-9._-]/g, '-');
  return queuedReproduction(options, {
    address: parseQueueUrl(url),
    store: checkStore(store),
    sweep,
    validate: validateRun,
    view: startView(`reproduce ${sweep}`, { quiet }),
  });
}

export function registerCommands(program: Command): void {
  registerInit(program);
  registerExport(program);
  registerSweepCommands(program);
  registerWorkerCommand(program);
  const backend = () =>
    new Option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`).argParser(oneOf('backend', BACKEND_CHOICES)).default('auto');

  program
    .command('tasks')
    .description('list the tasks (systems and their experiments)')
    .addOption(systemOption())
    .action(async (o: { system?: string }) => {
      const fromFile = await useSystemFile(o.system);
      for (const t of [...TASKS, ...fromFile]) console.log(`${t.name.padEnd(18)} ${t.kind.padEnd(5)}  ${t.description}`);
      for (const [name, kind, what] of IMPORT_TASK_LINES) console.log(`${name.padEnd(18)} ${kind.padEnd(5)}  ${what}`);
    });
  registerImport(program);

  program
    .command('generate')
    .description('generate a dataset folder (manifest.json + .npy arrays)')
    .argument('[task]', `one of ${TASK_NAMES.join(', ')}, or a task of --system FILE (default: its state task)`)
    .addOption(systemOption())
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'random seed', seed('--seed'), 0)
    .option('--trials <n>', 'pixel tasks: number of trials', positiveInt('--trials'))
    .option('--frames <n>', 'pixel tasks: frames per trial', positiveInt('--frames'))
    .option('--size <n>', 'pixel tasks: frame size N (N x N)', positiveInt('--size'))
    .option('--engine <name>', 'pixel tasks: simulation source (ode, the exact field; the pendulum also offers matter)')
    .option('--colour', 'pixel tasks: RGB frames, one colour per body')
    .option(
      '--friction <gamma>',
      "friction of the system: dp/dt = -dH/dq - gamma dH/dp (default: the task's)",
      numberIn('--friction', 0, 100),
    )
    .option(
      '--random-params',
      "pixel tasks: masses, lengths or stiffness drawn per trial within the task's ranges (recorded in the labels)",
    )
    .option('--force', 'replace an existing dataset (the old one stays until the new one is complete)')
    .option('--quiet', 'no progress output')
    .action(generate);

  const trainCommand = program
    .command('train')
    .description('train one model on one task; writes <out>/metrics.json, <out>/model/, <out>/log.jsonl, <out>/plots/')
    .option(
      '--task <task>',
      `one of ${TASK_NAMES.join(', ')}, state-import or pixel-import (with --data), or a task of --system FILE (default: its state task, or the task --data names)`,
    )
    .addOption(systemOption())
    .option('--model <model>', `one of ${MODEL_KINDS.join(', ')}`, oneOf('model', MODEL_KINDS), 'hnn')
    .option('--seed <n>', 'random seed (model init, batches; dataset when generated)', seed('--seed'), 0)
    .option('--steps <n>', "number of training steps (default: the task's protocol)", positiveInt('--steps'))
    .option('--data <dir>', 'dataset folder (default: generate one into <out>/dataset)')
    .option('--out <dir>', 'output folder (default runs/<task>-<model>-seed<seed>)')
    .addOption(backend())
    .option(
      '--eval <size>',
      "state tasks: the rollout evaluation, full (the task's protocol), quick (up to 5 states, rtol 1e-6) or a number of states (default: quick below 100 steps, else full)",
      evalFlag,
    )
    .option('--resume', 'pixel tasks: continue from the last checkpoint in <out>')
    .option(
      '--latent-step <name>',
      `integrator of the multi-step loss, ${LATENT_STEPS.join(', ')}: pixel tasks' latent term (default the task's, leapfrog; the paper's: euler); state tasks' trajectory loss (default leapfrog)`,
      oneOf('latent step', LATENT_STEPS),
    )
    .option(
      '--rollout-steps <k>',
      "pixel tasks: frames the latent loss rolls out from each window start (default: the task's, 4; the paper's: 1); state tasks: train on the K-step trajectory loss instead of the derivative loss",
      positiveInt('--rollout-steps'),
    )
    .option(
      '--encoder <name>',
      `pixel tasks: the autoencoder, ${PIXEL_ENCODERS.join(', ')} (protocol: mlp, the paper's residual MLP)`,
      oneOf('encoder', PIXEL_ENCODERS),
    )
    .option('--context <k>', 'pixel tasks: frames the encoder sees per row (protocol: 2, a pair)', positiveInt('--context'))
    .option('--hnn-weight <w>', 'pixel tasks: weight of the latent HNN loss term (protocol: 0.1)', numberIn('--hnn-weight', 0, 1e6))
    .option(
      '--consistency-weight <w>',
      'pixel tasks: weight of the latent consistency term (protocol: 1)',
      numberIn('--consistency-weight', 0, 1e6),
    )
    .option(
      '--dynamics-weight-decay <w>',
      'pixel tasks: weight decay of the latent HNN/baseline alone (default: 1e-5 x the HNN weight; 1e-5 is the literal protocol)',
      numberIn('--dynamics-weight-decay', 0, 1),
    )
    .option(
      '--dissipation-weight-decay <w>',
      "state tasks, --model dhnn: weight decay of the D network (default: the task's, else 5e-4; docs/DISSIPATIVE.md)",
      numberIn('--dissipation-weight-decay', 0, 1),
    )
    .option(
      '--dissipation-schedule <name>',
      `state tasks, --model dhnn: how D's weight decay runs, ${DISSIPATION_SCHEDULES.join(', ')} (default relaxed: D's decay is dropped at the half when D survived it; docs/DISSIPATIVE.md)`,
      oneOf('dissipation schedule', DISSIPATION_SCHEDULES),
    )
    .option(
      '--dissipation-form <name>',
      `state tasks, --model dhnn: D's part of the field, ${DISSIPATION_FORMS.join(', ')} (default even: D's part even in the momenta, as a Rayleigh function; docs/DISSIPATIVE.md)`,
      oneOf('dissipation form', DISSIPATION_FORMS),
    )
    .option(
      '--projection <name>',
      `pixel tasks: what the evaluation's rollouts do to the latent after every frame, ${ROLLOUT_PROJECTIONS.join(', ')} (default: the task's; autoencoder re-encodes the decoded frames, pixel-two-body's default)`,
      oneOf('projection', ROLLOUT_PROJECTIONS),
    )
    .option('--quick', "reduced run: the task's --quick steps (and a state task's reduced data); labelled by its step count")
    .option(
      '--threads <n>',
      "ONNX Runtime's intra-op threads (default: every core); a run is deterministic for a given engine and thread count",
      positiveInt('--threads'),
    )
    .option('--checkpoint-every <n>', 'pixel tasks: updates between checkpoints (default 250)', positiveInt('--checkpoint-every'))
    .option('--force', 'replace a finished result in <out> (the old one stays until the new one is complete)')
    .option('--quiet', 'no progress bar');
  for (const opt of trainOptions()) trainCommand.addOption(opt);
  trainCommand.action(train);

  const reproduceCommand = program
    .command('reproduce')
    .description(
      'train HNN and baseline (and D-HNN) on every task of a table and write ours beside the published numbers (markdown + JSON + plots)',
    )
    .option(
      '--tasks <list>',
      `comma-separated tasks (default: the paper's table, ${suiteTasks('paper')
        .map((t) => t.name)
        .join(',')})`,
      (v: string) => v.split(',').map((t) => t.trim()),
    )
    .addOption(systemOption())
    .option(
      '--pixels',
      `the pixel table instead: ${suiteTasks('pixels')
        .map((t) => t.name)
        .join(', ')} (or the pixel --tasks given), with the tasks' default latent loss`,
    )
    .option(
      '--dissipative',
      `the dissipative table instead: baseline, HNN and D-HNN on ${suiteTasks('dissipative')
        .map((t) => t.name)
        .join(', ')} (or the --tasks given), beside the D-HNN paper's figures`,
    )
    .option('--models <list>', `comma-separated models (default baseline,hnn; with --dissipative also dhnn)`, listOf('model', MODEL_KINDS))
    .option('--seeds <k>', 'number of seeds (0..k-1): mean and spread across seeds', positiveInt('--seeds'), 1)
    .option('--out <dir>', 'output folder (default runs/reproduce[-pixels|-dissipative][-quick])')
    .option('--quick', 'reduced run (fewer steps and rows); labelled as such in every output')
    .option('--steps <n>', "steps of every run instead of the protocol's (labelled as such in every output)", positiveInt('--steps'))
    .option(
      '--dynamics-weight-decay <w>',
      "pixel tasks: weight decay of the latent models (default 1e-6; 1e-5 is the paper's literal protocol)",
      numberIn('--dynamics-weight-decay', 0, 1),
    )
    .option(
      '--latent-step <name>',
      `pixel tasks: integrator of the latent loss term, ${LATENT_STEPS.join(', ')} (default: the task's, leapfrog; the paper's table: euler; labelled in every output)`,
      oneOf('latent step', LATENT_STEPS),
    )
    .option(
      '--projection <name>',
      `pixel tasks: what the evaluation's rollouts do to the latent after every frame, ${ROLLOUT_PROJECTIONS.join(', ')} (default: the task's; autoencoder re-encodes the decoded frames, pixel-two-body's default)`,
      oneOf('projection', ROLLOUT_PROJECTIONS),
    )
    .addOption(backend())
    .option('--jobs <n>', "runs trained at once, each on its own core (default: the machine's cores)", positiveInt('--jobs'))
    .option('--queue <url>', 'train the runs on `hnn worker`s through this queue (redis:// or rediss://; docs/SWEEPS.md)')
    .option('--store <dir>', "with --queue: the workers' shared store, reachable here (the table is made from it)")
    .option(
      '--statistic <s>',
      "the test loss the tables show: final (the final model's, default) or last-K, the mean of the last K periodic test evaluations (the D-HNN paper's: last-5)",
    )
    .option(
      '--dissipation-weight-decay <w>',
      "state tasks, D-HNN: weight decay of the D network instead of each task's (docs/DISSIPATIVE.md)",
      numberIn('--dissipation-weight-decay', 0, 1),
    )
    .option(
      '--dissipation-schedule <name>',
      `state tasks, D-HNN: how D's weight decay runs, ${DISSIPATION_SCHEDULES.join(', ')} (default relaxed)`,
      oneOf('dissipation schedule', DISSIPATION_SCHEDULES),
    )
    .option(
      '--dissipation-form <name>',
      `state tasks, D-HNN: D's part of the field, ${DISSIPATION_FORMS.join(', ')} (default even)`,
      oneOf('dissipation form', DISSIPATION_FORMS),
    )
    .option('--force', 'retrain finished results in <out>')
    .option('--quiet', 'no progress bars');
  for (const opt of trainOptions()) reproduceCommand.addOption(opt);
  reproduceCommand.action(reproduce);

  program
    .command('rollout')
    .description('decode latent rollouts of trained pixel models into a video (truth | baseline | HNN | D-HNN) and plots')
    .option('--model <dir>', 'a trained pixel model run folder (hnn, baseline or dhnn), or a folder holding several')
    .option('--hnn <dir>', 'the HNN run folder (besides --model)')
    .option('--baseline <dir>', 'the baseline run folder (besides --model)')
    .option('--dhnn <dir>', 'the D-HNN run folder (besides --model)')
    .option('--data <dir>', 'dataset folder (default: the one the model was trained on)')
    .requiredOption('--out <file>', 'FILE.gif or FILE.mp4 (MP4 needs ffmpeg; a GIF is always written)')
    .option('--frames <n>', 'frames to roll out', positiveInt('--frames'), 200)
    .option(
      '--integrator <name>',
      `latent integrator: ${ROLLOUT_INTEGRATORS.join(', ')} (default: each model's own, as its evaluation: leapfrog-frame for the leapfrog latent step, else rk45)`,
      oneOf('integrator', ROLLOUT_INTEGRATORS),
    )
    .option(
      '--projection <name>',
      `what the rollout does to the latent after every frame, ${ROLLOUT_PROJECTIONS.join(', ')} (default: the task's, as its evaluation)`,
      oneOf('projection', ROLLOUT_PROJECTIONS),
    )
    .option('--trial <n>', 'test trial to roll out (0 = the first test pair)', nonNegativeInt('--trial'), 0)
    .addOption(backend())
    .option('--force', 'overwrite an existing video')
    .option('--quiet', 'no progress output')
    .addOption(systemOption())
    .action(
      async (o: {
        system?: string;
        model?: string;
        hnn?: string;
        baseline?: string;
        dhnn?: string;
        data?: string;
        out: string;
        frames: number;
        integrator?: RolloutIntegrator;
        projection?: RolloutProjection;
        trial: number;
        backend: string;
        force?: boolean;
        quiet?: boolean;
      }) => {
        await useSystemFile(o.system);
        const { runRolloutCommand } = await import('./pixel.ts');
        await runRolloutCommand(o);
      },
    );

  program
    .command('start')
    .description('the main job: pixel dataset -> joint HNN and baseline training -> rollout video, plots, metrics')
    .option('--out <dir>', 'output folder', 'runs/main')
    .option('--steps <n>', 'training steps per model (default: the reduced main-job setting)', positiveInt('--steps'))
    .option('--jobs <n>', "models trained at once (default: the machine's cores)", positiveInt('--jobs'))
    .addOption(backend())
    .option('--force', 'retrain even when finished results are present')
    .option('--quiet', 'no progress bars')
    .action(async (o: { out: string; steps?: number; jobs?: number; backend: string; force?: boolean; quiet?: boolean }) => {
      const { runStartCommand } = await import('./pixel.ts');
      await runStartCommand(o);
    });

  program
    .command('bench')
    .description('median ms per training step against PyTorch (with its BLAS), nodes per step, renderer frames/s, peak memory (JSON)')
    .option('--out <file>', 'also write the JSON to this file')
    .option(
      '--threads <n>',
      "ONNX Runtime's intra-op threads; 1 also limits the PyTorch peer to one thread (default: every core for both)",
      positiveInt('--threads'),
    )
    .option('--no-pixel', 'time the state steps only')
    .action(async (o: { out?: string; threads?: number; pixel: boolean }) => {
      if (o.out) checkWritable(resolve(o.out), 'file');
      const { runBench } = await import('../pipeline/bench.ts');
      const result = await runBench({ threads: o.threads, pixel: o.pixel, out: o.out && resolve(o.out) });
      console.log(JSON.stringify(result, null, 2));
    });

  program
    .command('web')
    .description('write a static web page of trained pixel models: truth | baseline | HNN, drag a body to a new start, train an HNN live')
    .requiredOption('--model <dir>', 'a trained pixel model folder, or a run folder holding hnn/ and baseline/ (e.g. runs/main)')
    .option('--out <dir>', 'site folder', 'site')
    .option('--data <dir>', 'dataset folder (default: the one the models were trained on)')
    .option('--trials <n>', 'test trials to include', positiveInt('--trials'), 3)
    .option('--frames <n>', "frames per rollout (default: the task's)", positiveInt('--frames'))
    .addOption(backend())
    .option('--force', 'replace a site already in <out>')
    .addOption(systemOption())
    .action(
      async (o: {
        model: string;
        out: string;
        data?: string;
        trials: number;
        frames?: number;
        backend: string;
        force?: boolean;
        system?: string;
      }) => {
        await useSystemFile(o.system);
        const { runWebCommand } = await import('../web/site.ts');
        await runWebCommand({ ...o, out: resolve(o.out) });
      },
    );

  program
    .command('serve')
    .description('serve a site made by `hnn web` on http://127.0.0.1 and print its address (Ctrl-C stops it)')
    .argument('[dir]', 'the site folder', 'site')
    .option('--port <n>', 'port (default: a free one)', nonNegativeInt('--port'))
    .action(async (dir: string, o: { port?: number }) => {
      const { runServeCommand } = await import('../web/serve.ts');
      await runServeCommand({ dir, port: o.port });
    });
}
