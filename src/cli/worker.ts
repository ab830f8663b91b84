// `hnn worker --queue URL --store DIR`: takes runs of sweeps from the queue and trains them into the
// shared store until stopped (SIGTERM or Ctrl-C: each run stops at its next checkpoint and goes back
// to the queue; a second signal stops at once).
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { positiveInt } from './args.ts';
import { validateRun } from './sweep-options.ts';
import { threadEntry } from './sweep.ts';

interface WorkerFlags {
  queue: string;
  store: string;
  concurrency?: number;
  lockSeconds: number;
  name?: string;
}

async function worker(o: WorkerFlags): Promise<void> {
  const { parseQueueUrl } = await import('../pipeline/sweep/connection.ts');
  const { runWorker } = await import('../pipeline/sweep/worker.ts');
  const concurrency = o.concurrency ?? availableParallelism();
  const w = await runWorker({
    address: parseQueueUrl(o.queue),
    store: o.store,
    concurrency,
    lockSeconds: o.lockSeconds,
    name: o.name,
    entry: threadEntry(),
    validate: validateRun,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void w.stop());
  await w.closed;
  // every run has been put back or finished, the queue's connections are closed: nothing is left to wait for
  process.exit(0);
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('train the runs of queued sweeps into a shared store until stopped (docs/SWEEPS.md)')
    .requiredOption('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss:// (TLS) (password: also HNN_REDIS_PASSWORD)')
    .requiredOption('--store <dir>', 'an existing folder every worker reaches; runs go to <store>/<sweep>/runs/<run>/')
    .option(
      '--concurrency <n>',
      "runs trained at once (default: the machine's cores; each run uses its own `threads`, default 1)",
      positiveInt('--concurrency'),
    )
    .option(
      '--lock-seconds <s>',
      "how long a run stays locked after its worker's last sign of life: a dead worker's run moves on after this",
      positiveInt('--lock-seconds'),
      30,
    )
    .option('--name <name>', 'how this worker is shown (default host:pid)')
    .action(worker);
}
