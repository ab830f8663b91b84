// The subcommands of `hnn`. Each validates its flags, then calls one pipeline function.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
// Only modules without tensors load here: `hnn --help` must answer fast. Pipelines load in their action.
import { STATE_TASKS, type StateTask } from '../../datasets/state.ts';
import { LATENT_STEPS, MODEL_KINDS, type LatentStep, type ModelKind } from '../../models/kinds.ts';
import { ROLLOUT_INTEGRATORS, type RolloutIntegrator } from '../eval/integrators.ts';
import { BACKEND_CHOICES } from '../tf/choices.ts';
import { UserError } from '../util/errors.ts';
import { checkWritable } from '../util/files.ts';
import { listOf, nonNegativeInt, numberIn, oneOf, positiveInt, seed } from './args.ts';

export const PIXEL_TASK = 'pixel-pendulum';
const ALL_TASKS = [...STATE_TASKS, PIXEL_TASK] as const;
const REPRO_TASKS = ALL_TASKS;
type ReproTask = (typeof REPRO_TASKS)[number];

function summariseState(m: import('../pipeline/state.ts').StateMetrics, out: string): void {
  const f = (v: number) => v.toExponential(3);
  console.log(
    [
      `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(1)} s)`,
      `  train loss ${f(m.trainLoss.mean)} +- ${f(m.trainLoss.sem)}`,
      `  test loss  ${f(m.testLoss.mean)} +- ${f(m.testLoss.sem)}`,
      `  energy MSE ${f(m.energyMse.mean)} +- ${f(m.energyMse.ci)}${m.energyMse.failed ? ` (${m.energyMse.failed} rollouts stopped early)` : ''}`,
      `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
    ].join('\n'),
  );
}

export function registerCommands(program: Command): void {
  program
    .command('generate')
    .description('generate a dataset folder (manifest.json + .npy arrays)')
    .argument('<task>', `one of ${ALL_TASKS.join(', ')}`, oneOf('task', ALL_TASKS))
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'random seed', seed('--seed'), 0)
    .option('--trials <n>', 'pixel-pendulum: number of trials', positiveInt('--trials'))
    .option('--steps <n>', 'pixel-pendulum: frames per trial', positiveInt('--steps'))
    .option('--size <n>', 'pixel-pendulum: frame size N (N x N)', positiveInt('--size'))
    .addOption(new Option('--engine <engine>', 'pixel-pendulum: simulation source').choices(['ode', 'matter']).default('ode'))
    .option('--force', 'replace an existing dataset (the old one stays until the new one is complete)')
    .action(
      async (
        task: string,
        o: { out: string; seed: number; trials?: number; steps?: number; size?: number; engine: 'ode' | 'matter'; force?: boolean },
      ) => {
        const out = resolve(o.out);
        if (task === PIXEL_TASK) {
          const { generatePixelDataset } = await import('../../datasets/pixel.ts');
          await generatePixelDataset({
            out,
            seed: o.seed,
            trials: o.trials,
            steps: o.steps,
            size: o.size,
            engine: o.engine,
            force: o.force,
          });
        } else {
          if (o.trials || o.steps || o.size) throw new UserError('--trials, --steps and --size apply to pixel-pendulum only');
          const { writeStateDataset } = await import('../../datasets/state.ts');
          const { dataset } = writeStateDataset(out, task as StateTask, o.seed, {}, { force: o.force });
          console.log(
            `${task}: ${dataset.trainRows} train rows, ${dataset.testRows} test rows, dim ${dataset.dim}, seed ${o.seed} -> ${out}`,
          );
        }
      },
    );

  program
    .command('train')
    .description('train one model on one task; writes <out>/metrics.json, <out>/model/, <out>/log.jsonl, <out>/plots/')
    .requiredOption('--task <task>', `one of ${ALL_TASKS.join(', ')}`, oneOf('task', ALL_TASKS))
    .option('--model <model>', `one of ${MODEL_KINDS.join(', ')}`, oneOf('model', MODEL_KINDS), 'hnn')
    .option('--seed <n>', 'random seed (model init, batches; dataset when generated)', seed('--seed'), 0)
    .option('--steps <n>', "number of training steps (default: the task's protocol)", positiveInt('--steps'))
    .option('--data <dir>', 'dataset folder (default: generate one into <out>/dataset)')
    .option('--out <dir>', 'output folder (default runs/<task>-<model>-seed<seed>)')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, oneOf('backend', BACKEND_CHOICES), 'auto')
    .option('--resume', 'pixel-pendulum: continue from the last checkpoint in <out>')
    .option(
      '--latent-step <name>',
      `pixel-pendulum: integrator of the latent HNN loss term, ${LATENT_STEPS.join(', ')} (protocol: euler)`,
      oneOf('latent step', LATENT_STEPS),
    )
    .option('--hnn-weight <w>', 'pixel-pendulum: weight of the latent HNN loss term (protocol: 0.1)', numberIn('--hnn-weight', 0, 1e6))
    .option(
      '--consistency-weight <w>',
      'pixel-pendulum: weight of the latent consistency term (protocol: 1)',
      numberIn('--consistency-weight', 0, 1e6),
    )
    .option(
      '--dynamics-weight-decay <w>',
      'pixel-pendulum: weight decay of the latent HNN/baseline alone (default: 1e-5 x the HNN weight; 1e-5 is the literal protocol)',
      numberIn('--dynamics-weight-decay', 0, 1),
    )
    .option('--force', 'overwrite a finished result in <out>')
    .option('--quiet', 'no progress bar')
    .action(
      async (o: {
        task: string;
        model: ModelKind;
        seed: number;
        steps?: number;
        data?: string;
        out?: string;
        backend: string;
        resume?: boolean;
        latentStep?: LatentStep;
        hnnWeight?: number;
        consistencyWeight?: number;
        dynamicsWeightDecay?: number;
        force?: boolean;
        quiet?: boolean;
      }) => {
        const out = resolve(o.out ?? `runs/${o.task}-${o.model}-seed${o.seed}`);
        if (o.task === PIXEL_TASK) {
          const { runPixelTrainCommand } = await import('./pixel.ts');
          await runPixelTrainCommand({ ...o, out });
          return;
        }
        if (
          o.resume ||
          o.latentStep ||
          o.hnnWeight !== undefined ||
          o.consistencyWeight !== undefined ||
          o.dynamicsWeightDecay !== undefined
        ) {
          throw new UserError(
            '--resume, --latent-step, --hnn-weight, --consistency-weight and --dynamics-weight-decay apply to pixel-pendulum training only',
          );
        }
        const { runStateExperiment } = await import('../pipeline/state.ts');
        const { metrics } = await runStateExperiment({
          task: o.task as StateTask,
          kind: o.model,
          seed: o.seed,
          steps: o.steps,
          dataDir: o.data ? resolve(o.data) : undefined,
          outDir: out,
          backend: o.backend,
          force: o.force,
          quiet: o.quiet,
        });
        summariseState(metrics, out);
      },
    );

  program
    .command('reproduce')
    .description("train HNN and baseline on every task of the paper's Table 1 and write ours beside it (markdown + JSON + plots)")
    .option('--tasks <list>', `comma-separated tasks (default all: ${REPRO_TASKS.join(',')})`, listOf('task', REPRO_TASKS), [
      ...REPRO_TASKS,
    ])
    .option('--seeds <k>', 'number of seeds (0..k-1): mean and spread across seeds', positiveInt('--seeds'), 1)
    .option('--out <dir>', 'output folder (default runs/reproduce, or runs/reproduce-quick with --quick)')
    .option('--quick', 'reduced run (fewer steps and rows); labelled as such in every output')
    .option(
      '--dynamics-weight-decay <w>',
      "pixel-pendulum: weight decay of the latent models (default 1e-6; 1e-5 is the paper's literal protocol)",
      numberIn('--dynamics-weight-decay', 0, 1),
    )
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, oneOf('backend', BACKEND_CHOICES), 'auto')
    .option('--force', 'overwrite finished results in <out>')
    .option('--quiet', 'no progress bars')
    .action(
      async (o: {
        tasks: ReproTask[];
        seeds: number;
        out?: string;
        quick?: boolean;
        dynamicsWeightDecay?: number;
        backend: string;
        force?: boolean;
        quiet?: boolean;
      }) => {
        const out = o.out ?? (o.quick ? 'runs/reproduce-quick' : 'runs/reproduce');
        const { runReproduce } = await import('../pipeline/reproduce.ts');
        await runReproduce({
          tasks: o.tasks,
          seeds: o.seeds,
          outDir: resolve(out),
          quick: !!o.quick,
          dynamicsWeightDecay: o.dynamicsWeightDecay,
          backend: o.backend,
          force: !!o.force,
          quiet: !!o.quiet,
        });
      },
    );

  program
    .command('rollout')
    .description('decode latent rollouts of trained pixel models into a video (truth | baseline | HNN) and plots')
    .option('--model <dir>', 'a trained pixel model run folder (hnn or baseline)')
    .option('--hnn <dir>', 'the HNN run folder (when --model is the baseline)')
    .option('--baseline <dir>', 'the baseline run folder (when --model is the HNN)')
    .option('--data <dir>', 'dataset folder (default: the one the model was trained on)')
    .requiredOption('--out <file>', 'FILE.gif or FILE.mp4 (MP4 needs ffmpeg; a GIF is always written)')
    .option('--frames <n>', 'frames to roll out', positiveInt('--frames'), 200)
    .option('--integrator <name>', `latent integrator: ${ROLLOUT_INTEGRATORS.join(', ')}`, oneOf('integrator', ROLLOUT_INTEGRATORS), 'rk45')
    .option('--trial <n>', 'test trial to roll out (0 = the first test pair)', nonNegativeInt('--trial'), 0)
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, oneOf('backend', BACKEND_CHOICES), 'auto')
    .option('--force', 'overwrite an existing video')
    .option('--quiet', 'no progress output')
    .action(
      async (o: {
        model?: string;
        hnn?: string;
        baseline?: string;
        data?: string;
        out: string;
        frames: number;
        integrator: RolloutIntegrator;
        trial: number;
        backend: string;
        force?: boolean;
        quiet?: boolean;
      }) => {
        const { runRolloutCommand } = await import('./pixel.ts');
        await runRolloutCommand(o);
      },
    );

  program
    .command('start')
    .description('the main job: pixel dataset -> joint HNN and baseline training -> rollout video, plots, metrics')
    .option('--out <dir>', 'output folder', 'runs/main')
    .option('--steps <n>', 'training steps per model (default: the reduced main-job setting)', positiveInt('--steps'))
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, oneOf('backend', BACKEND_CHOICES), 'auto')
    .option('--force', 'retrain even when finished results are present')
    .option('--quiet', 'no progress bars')
    .action(async (o: { out: string; steps?: number; backend: string; force?: boolean; quiet?: boolean }) => {
      const { runStartCommand } = await import('./pixel.ts');
      await runStartCommand(o);
    });

  program
    .command('bench')
    .description('median ms per training step, implied GFLOP/s, renderer frames/s, peak memory (JSON)')
    .option('--out <file>', 'also write the JSON to this file')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, oneOf('backend', BACKEND_CHOICES), 'auto')
    .action(async (o: { out?: string; backend: string }) => {
      if (o.out) checkWritable(resolve(o.out), 'file');
      const { runBench } = await import('../pipeline/bench.ts');
      const result = await runBench({ backend: o.backend, out: o.out && resolve(o.out) });
      console.log(JSON.stringify(result, null, 2));
    });
}
