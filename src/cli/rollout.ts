// `hnn rollout --model DIR --out FILE`: latent rollouts of trained pixel models decoded into a video
// and plots (src/cli/pixel.ts).
import type { Command } from 'commander';
import { ROLLOUT_INTEGRATORS, ROLLOUT_PROJECTIONS } from '../eval/integrators.ts';
import { backendOption, nonNegativeInt, oneOf, positiveInt } from './args.ts';
import { systemOption, useSystemFile } from './system.ts';
import type { RolloutCommandOptions } from './pixel.ts';

interface RolloutFlags extends RolloutCommandOptions {
  system?: string;
}

async function rollout(o: RolloutFlags): Promise<void> {
  await useSystemFile(o.system);
  const { runRolloutCommand } = await import('./pixel.ts');
  await runRolloutCommand(o);
}

export function registerRollout(program: Command): void {
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
    .addOption(backendOption())
    .option('--force', 'overwrite an existing video')
    .option('--quiet', 'no progress output')
    .addOption(systemOption())
    .action(rollout);
}
