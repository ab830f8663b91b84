// `hnn bench [--out FILE]`: training-step timings against PyTorch, renderer throughput and peak
// memory, printed as JSON (src/pipeline/bench.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkWritable } from '../util/files.ts';
import { positiveInt } from './args.ts';

export function registerBench(program: Command): void {
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
}
