// `hnn reproduce`: HNN and baseline (and D-HNN) on every task of a table (the paper's, --pixels or
// --dissipative), trained here or through a queue, written beside the published numbers
// (src/pipeline/reproduce.ts).
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { LATENT_STEPS, MODEL_KINDS, type LatentStep, type ModelKind } from '../../models/kinds.ts';
import { ROLLOUT_PROJECTIONS, type RolloutProjection } from '../eval/integrators.ts';
import { parseStatistic } from '../eval/statistic.ts';
import type { ReproduceOptions } from '../pipeline/reproduce.ts';
import { getTask, suiteTasks } from '../tasks/registry.ts';
import { UserError } from '../util/errors.ts';
import { addDissipationOptions, backendOption, listOf, numberIn, oneOf, positiveInt } from './args.ts';
import { systemOption, trainOptions, trainOverrides, useSystemFile, type TrainFlagValues } from './system.ts';
import { givenDissipationFlags, givenDissipationOptions, type DissipationOptions } from '../pipeline/dissipation-options.ts';

interface ReproduceFlags extends TrainFlagValues, DissipationOptions {
  tasks?: string[];
  statistic?: string;
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
  const train = trainOverrides(o, 'state');
  const given = [...(train ? ['--lr, --batch-size, --weight-decay, --hidden, --eval-every'] : []), ...givenDissipationFlags(o)];
  const pixel = tasks.find((t) => getTask(t).kind === 'pixel');
  if (given.length && pixel)
    throw new UserError(
      `${given.join(' and ')} apply to the state tasks of a reproduction, and ${pixel} is a pixel task; drop it from --tasks or drop the options`,
    );
  return {
    ...(train ? { train } : {}),
    ...givenDissipationOptions(o),
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
  const options: ReproduceOptions = {
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
async function queuedRuns(options: ReproduceOptions, url: string, store: string, quiet?: boolean) {
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
/** The table: its tasks, models, seeds, output folder and length. */
function addTableOptions(cmd: Command): void {
  cmd
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
    .option('--steps <n>', "steps of every run instead of the protocol's (labelled as such in every output)", positiveInt('--steps'));
}

/** The pixel tasks' latent models. */
function addPixelOptions(cmd: Command): void {
  cmd
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
    );
}

/** Where the runs train (here or through a queue) and the statistic the tables show. */
function addExecutionOptions(cmd: Command): void {
  cmd
    .addOption(backendOption())
    .option('--jobs <n>', "runs trained at once, each on its own core (default: the machine's cores)", positiveInt('--jobs'))
    .option('--queue <url>', 'train the runs on `hnn worker`s through this queue (redis:// or rediss://; docs/SWEEPS.md)')
    .option('--store <dir>', "with --queue: the workers' shared store, reachable here (the table is made from it)")
    .option(
      '--statistic <s>',
      "the test loss the tables show: final (the final model's, default) or last-K, the mean of the last K periodic test evaluations (the D-HNN paper's: last-5)",
    );
}

export function registerReproduce(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description(
      'train HNN and baseline (and D-HNN) on every task of a table and write ours beside the published numbers (markdown + JSON + plots)',
    );
  addTableOptions(cmd);
  addPixelOptions(cmd);
  addExecutionOptions(cmd);
  addDissipationOptions(cmd, 'state tasks, D-HNN', {
    weightDecay: " instead of each task's (docs/DISSIPATIVE.md)",
    schedule: 'default constant',
    form: 'default even',
    decayOn: 'default hidden',
  });
  cmd.option('--force', 'retrain finished results in <out>').option('--quiet', 'no progress bars');
  for (const opt of trainOptions()) cmd.addOption(opt);
  cmd.action(reproduce);
}
