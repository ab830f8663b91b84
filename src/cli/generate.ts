// `hnn generate [TASK] --out DIR`: a dataset folder (manifest.json + .npy arrays) for a state task
// (datasets/state.ts) or a pixel task (datasets/pixel.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { getTask, TASK_NAMES } from '../tasks/registry.ts';
import { UserError } from '../util/errors.ts';
import { numberIn, positiveInt, seed } from './args.ts';
import { chosenTask, systemOption, useSystemFile } from './system.ts';

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

export function registerGenerate(program: Command): void {
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
}
