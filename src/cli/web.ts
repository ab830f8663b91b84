// `hnn web --model DIR`: a static web page of trained pixel models (src/web/site.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backendOption, positiveInt } from './args.ts';
import { systemOption, useSystemFile } from './system.ts';

interface WebFlags {
  model: string;
  out: string;
  data?: string;
  trials: number;
  frames?: number;
  backend: string;
  force?: boolean;
  system?: string;
}

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('write a static web page of trained pixel models: truth | baseline | HNN, drag a body to a new start, train an HNN live')
    .requiredOption('--model <dir>', 'a trained pixel model folder, or a run folder holding hnn/ and baseline/ (e.g. runs/main)')
    .option('--out <dir>', 'site folder', 'site')
    .option('--data <dir>', 'dataset folder (default: the one the models were trained on)')
    .option('--trials <n>', 'test trials to include', positiveInt('--trials'), 3)
    .option('--frames <n>', "frames per rollout (default: the task's)", positiveInt('--frames'))
    .addOption(backendOption())
    .option('--force', 'replace a site already in <out>')
    .addOption(systemOption())
    .action(async (o: WebFlags) => {
      await useSystemFile(o.system);
      const { runWebCommand } = await import('../web/site.ts');
      await runWebCommand({ ...o, out: resolve(o.out) });
    });
}
