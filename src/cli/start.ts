// `hnn start`: the main job, a pixel dataset, joint HNN and baseline training, then the rollout
// video, plots and metrics (src/cli/pixel.ts).
import type { Command } from 'commander';
import { backendOption, positiveInt } from './args.ts';
import type { StartCommandOptions } from './pixel.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job: pixel dataset -> joint HNN and baseline training -> rollout video, plots, metrics')
    .option('--out <dir>', 'output folder', 'runs/main')
    .option('--steps <n>', 'training steps per model (default: the reduced main-job setting)', positiveInt('--steps'))
    .option('--jobs <n>', "models trained at once (default: the machine's cores)", positiveInt('--jobs'))
    .addOption(backendOption())
    .option('--force', 'retrain even when finished results are present')
    .option('--quiet', 'no progress bars')
    .action(async (o: StartCommandOptions) => {
      const { runStartCommand } = await import('./pixel.ts');
      await runStartCommand(o);
    });
}
