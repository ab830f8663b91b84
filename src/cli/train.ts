// `hnn train`: one model on one task (state, pixel or imported), writing <out>/metrics.json,
// <out>/model/, <out>/log.jsonl and <out>/plots/. checkTrainFlags is also the check `hnn sweep`
// makes of every run.
import { kebabCase } from '../util/options.ts';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LATENT_STEPS, MODEL_KINDS, PIXEL_ENCODERS, type LatentStep, type ModelKind, type PixelEncoder } from '../../models/kinds.ts';
import { ROLLOUT_PROJECTIONS, type RolloutProjection } from '../eval/integrators.ts';
import { getTask, TASK_NAMES } from '../tasks/registry.ts';
import { isImportTaskName } from '../tasks/imported.ts';
import type { Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { addDissipationOptions, backendOption, numberIn, oneOf, positiveInt, seed } from './args.ts';
import { chosenTask, evalFlag, systemOption, trainOptions, trainOverrides, useSystemFile, type TrainFlagValues } from './system.ts';
import { summariseImportedState, summariseState } from './train-summary.ts';
import { givenDissipationFlags, givenDissipationOptions, type DissipationOptions } from '../pipeline/dissipation-options.ts';

interface TrainFlags extends TrainFlagValues, DissipationOptions {
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
  projection?: RolloutProjection;
  quick?: boolean;
  threads?: number;
  checkpointEvery?: number;
  force?: boolean;
  quiet?: boolean;
}

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
  const [flag] = givenDissipationFlags(o);
  if (flag && (task.kind !== 'state' || o.model !== 'dhnn'))
    throw new UserError(`${flag} applies to a D-HNN on a state task (--model dhnn), not ${o.model} on ${task.name}; drop it`);
  if (task.kind === 'pixel') return trainSettings;
  const given = PIXEL_TRAIN_FLAGS.filter((k) => o[k] !== undefined);
  if (given.length) {
    const flags = given.map((k) => `--${kebabCase(k)}`);
    throw new UserError(
      `${flags.join(', ')} ${flags.length > 1 ? 'apply' : 'applies'} to pixel tasks only, not ${task.name}; drop ${flags.length > 1 ? 'them' : 'it'}`,
    );
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
    ...givenDissipationOptions(o),
    ...(o.quick && !o.data && task.quick.data ? { dataOverrides: task.quick.data } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(stateTrain ? { train: stateTrain } : {}),
    ...(o.eval !== undefined ? { evaluation: o.eval } : {}),
  });
  if (result.imported) console.log(summariseImportedState(result.metrics, out));
  else summariseState(result.metrics, out);
}

/** The run's task, model, seed, length, folders, backend and evaluation. */
function addRunOptions(cmd: Command): void {
  cmd
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
    .addOption(backendOption())
    .option(
      '--eval <size>',
      "state tasks: the rollout evaluation, full (the task's protocol), quick (up to 5 states, rtol 1e-6) or a number of states (default: quick below 100 steps, else full)",
      evalFlag,
    );
}

/** The pixel tasks' model and loss, and the multi-step loss of both kinds. */
function addLossOptions(cmd: Command): void {
  cmd
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
    );
}

/** The pixel evaluation's projection, the run's size and threads, checkpoints and output. */
function addExecutionOptions(cmd: Command): void {
  cmd
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
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one model on one task; writes <out>/metrics.json, <out>/model/, <out>/log.jsonl, <out>/plots/');
  addRunOptions(cmd);
  addLossOptions(cmd);
  addDissipationOptions(cmd, 'state tasks, --model dhnn', {
    weightDecay: " (default: the task's, else 3e-4; docs/DISSIPATIVE.md)",
    schedule:
      'default constant: D trains with its decay throughout; relaxed: a run with it decides, then one without it where D survived; docs/DISSIPATIVE.md',
    form: "default even: D's part even in the momenta, as a Rayleigh function; docs/DISSIPATIVE.md",
    decayOn:
      "default hidden: D's hidden layers, so the decay shapes D without shrinking its size; all: every variable; docs/DISSIPATIVE.md",
  });
  addExecutionOptions(cmd);
  for (const opt of trainOptions()) cmd.addOption(opt);
  cmd.action(train);
}
