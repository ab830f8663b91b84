// `hnn serve [DIR]`: serves a site made by `hnn web` on 127.0.0.1 (src/web/serve.ts).
import type { Command } from 'commander';
import { nonNegativeInt } from './args.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .argument('[dir]', 'the site folder', 'site')
    .description('serve a site made by `hnn web` on http://127.0.0.1 and print its address (Ctrl-C stops it)')
    .option('--port <n>', 'port (default: a free one)', nonNegativeInt('--port'))
    .action(async (dir: string, o: { port?: number }) => {
      const { runServeCommand } = await import('../web/serve.ts');
      await runServeCommand({ dir, port: o.port });
    });
}
