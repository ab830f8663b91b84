// `hnn sweep SPEC` (runs locally with --jobs, or through a queue with --queue), `hnn sweep status`
// and `hnn sweep report`. Each validates its flags, then calls the sweep pipeline (src/pipeline/sweep/).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../util/errors.ts';
import { makeDir, writeJsonAtomic } from '../util/files.ts';
import { packageFile } from '../util/package-root.ts';
import { positiveInt } from './args.ts';
import { validateRun } from './sweep-options.ts';
import { planFor } from './sweep-report.ts';
import type { SweepPlan } from '../pipeline/sweep/spec.ts';
import type { RunRecord } from '../pipeline/sweep/results.ts';

/** The built thread entry that runs one hnn command line of a run (workers run the built package). */
export function threadEntry(): string {
  const path = packageFile('dist/src/cli/run-thread.js');
  if (!existsSync(path)) throw new UserError('the package is not built (dist/ is missing); run `npm run build` in the hnn-ts folder');
  return path;
}

interface RunFlags {
  preset?: 'paper' | 'pixels' | 'dissipative';
  quick?: boolean;
  repeat?: number;
  name?: string;
  queue?: string;
  wait: boolean;
  waitMinutes?: number;
  retryFailed?: boolean;
  store: string;
  out?: string;
  jobs?: number;
  quiet?: boolean;
}

async function planOf(file: string | undefined, o: RunFlags): Promise<SweepPlan> {
  const { expandSpec, readSpec } = await import('../pipeline/sweep/spec.ts');
  if (file && o.preset) throw new UserError('give a spec file or --preset, not both (a spec can name its preset with "preset:")');
  if (!file && !o.preset) throw new UserError('give a sweep spec (YAML or JSON, docs/SWEEPS.md) or --preset paper|pixels|dissipative');
  const spec = file ? readSpec(resolve(file)) : { preset: o.preset };
  return expandSpec({ ...spec, ...(o.quick ? { quick: true } : {}) }, validateRun, { name: o.name, repeat: o.repeat });
}

/** The results of finished records: the table printed, the report folder written; failed runs make it an error when `strict`. */
export async function finish(
  plan: Pick<SweepPlan, 'name' | 'metric' | 'swept'>,
  records: RunRecord[],
  out: string,
  strict = true,
): Promise<void> {
  const { sweepResults, resultsMarkdown } = await import('../pipeline/sweep/results.ts');
  const { writeReport } = await import('../pipeline/sweep/report.ts');
  const res = sweepResults(plan.name, plan.metric, plan.swept, records);
  console.log(resultsMarkdown(res));
  const files = await writeReport(res, join(out, plan.name, 'report'));
  console.log(`wrote ${files.markdown}, ${files.json}, ${files.plots.length} plots and the page ${files.page}`);
  if (res.runs.failed && strict)
    throw new UserError(
      `${res.runs.failed} of ${res.runs.total} runs failed (their errors are above and in ${files.markdown}); fix the cause and submit again with --retry-failed`,
    );
}

async function runSweep(file: string | undefined, o: RunFlags): Promise<void> {
  const plan = await planOf(file, o);
  const { startView } = await import('../pipeline/sweep/view.ts');
  const swept = plan.swept.length ? `swept: ${plan.swept.join(', ')}` : 'nothing swept but seeds';
  console.log(`sweep ${plan.name}: ${plan.runs.length} runs (${swept}); ranked by ${plan.metric}`);
  const out = resolve(o.out ?? (o.queue ? 'runs/sweeps' : o.store));
  if (!o.queue) {
    const store = resolve(o.store);
    makeDir(store);
    makeDir(join(store, plan.name));
    writeJsonAtomic(join(store, plan.name, 'sweep.json'), plan);
    const { runLocally } = await import('../pipeline/sweep/local.ts');
    const { defaultJobs } = await import('../pipeline/workers.ts');
    const records = await runLocally(plan.runs, {
      store,
      entry: threadEntry(),
      jobs: o.jobs ?? defaultJobs(),
      attempts: plan.attempts,
      view: startView(`sweep ${plan.name}`, { quiet: o.quiet }),
      log: (line) => (o.quiet ? undefined : process.stderr.write(`${line}\n`)),
    });
    await finish(plan, records, out);
    return;
  }
  if (o.jobs !== undefined) throw new UserError('--jobs runs a sweep on this machine; with --queue, start workers instead (hnn worker)');
  await runQueued(plan, o.queue, o, out);
}

async function runQueued(plan: SweepPlan, url: string, o: RunFlags, out: string): Promise<void> {
  const { parseQueueUrl } = await import('../pipeline/sweep/connection.ts');
  const { addRuns, openQueue, recordsOf, retryFailed, waitForRuns } = await import('../pipeline/sweep/coordinator.ts');
  const { startView } = await import('../pipeline/sweep/view.ts');
  const address = parseQueueUrl(url);
  const q = await openQueue(address);
  try {
    const added = await addRuns(q.queue, plan.runs, plan.attempts);
    const retried = o.retryFailed ? await retryFailed(q.queue, plan.runs) : 0;
    const records = await recordsOf(q.queue, plan.runs);
    const count = (s: string) => records.filter((r) => r.state === s).length;
    console.log(
      `queue ${address.shown}: ${added} runs added, ${plan.runs.length - added} already there: ${count('completed')} done, ${count('failed')} failed, ${count('active')} running, ${count('waiting') + count('delayed')} waiting${retried ? `; ${retried} failed runs put back` : ''}`,
    );
    makeDir(join(out, plan.name));
    writeJsonAtomic(join(out, plan.name, 'sweep.json'), plan);
    if (!o.wait) {
      console.log(`follow it with: hnn sweep status ${plan.name} --queue ${address.shown}`);
      return;
    }
    const final = await waitForRuns(q.queue, plan.runs, {
      view: startView(`sweep ${plan.name}`, { quiet: o.quiet }),
      attempts: plan.attempts,
      timeoutSeconds: o.waitMinutes !== undefined ? o.waitMinutes * 60 : undefined,
    });
    if (final.some((r) => r.state !== 'completed' && r.state !== 'failed')) {
      console.log(`stopped waiting after ${o.waitMinutes} minutes; the runs go on: hnn sweep status ${plan.name} --queue ${address.shown}`);
      return;
    }
    await finish(plan, final, out);
  } finally {
    await q.close();
  }
}

interface StatusFlags {
  queue: string;
  watch?: boolean;
  out: string;
  quiet?: boolean;
}

async function status(sweep: string | undefined, o: StatusFlags): Promise<void> {
  const { parseQueueUrl } = await import('../pipeline/sweep/connection.ts');
  const { openQueue, queuedSweeps, recordsOf, waitForRuns } = await import('../pipeline/sweep/coordinator.ts');
  const { sweptOptions } = await import('../pipeline/sweep/spec.ts');
  const { startView } = await import('../pipeline/sweep/view.ts');
  const address = parseQueueUrl(o.queue);
  const q = await openQueue(address);
  try {
    const { sweeps, refused } = await queuedSweeps(q.queue, validateRun);
    if (!sweep) {
      if (sweeps.size === 0) console.log(`queue ${address.shown} holds no sweep`);
      for (const [name, runs] of sweeps) {
        const records = await recordsOf(q.queue, runs);
        const count = (s: string) => records.filter((r) => r.state === s).length;
        console.log(
          `${name}: ${runs.length} runs, ${count('completed')} done, ${count('failed')} failed, ${count('active')} running, ${count('waiting') + count('delayed')} waiting`,
        );
      }
      if (refused) console.log(`${refused} jobs in the queue are not valid runs (a worker refuses them)`);
      return;
    }
    const runs = sweeps.get(sweep);
    if (!runs)
      throw new UserError(`the queue at ${address.shown} holds no sweep named "${sweep}"; \`hnn sweep status --queue URL\` lists them`);
    const view = startView(`sweep ${sweep}`, { quiet: o.quiet, plain: !o.watch, stream: o.watch ? process.stderr : process.stdout });
    const records = await waitForRuns(q.queue, runs, { view, attempts: 1, readd: false, timeoutSeconds: o.watch ? undefined : 0 });
    view.stop();
    if (records.every((r) => r.state === 'completed' || r.state === 'failed')) {
      await finish(planFor(sweep, runs, resolve(o.out), sweptOptions), records, resolve(o.out), false);
    }
  } finally {
    await q.close();
  }
}

export function registerSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('run a grid or random search of training runs, here or through a queue (docs/SWEEPS.md)');
  sweep
    .command('run [spec]', { isDefault: true })
    .description('run the sweep of SPEC (YAML or JSON) or of a --preset: here with --jobs, or on workers with --queue')
    .addOption(new Option('--preset <name>', 'a table of `hnn reproduce` as the sweep').choices(['paper', 'pixels', 'dissipative']))
    .option('--quick', "every run at its task's --quick steps (labelled in every output)")
    .option('--repeat <k>', "each configuration over seeds 0..k-1 (instead of the spec's seeds)", positiveInt('--repeat'))
    .option('--name <name>', "the sweep's name (default: the spec's name, or its file name)")
    .option(
      '--queue <url>',
      'redis://[user:pass@]host:port[/db] or rediss:// (TLS): enqueue the runs for `hnn worker`s (password: also HNN_REDIS_PASSWORD)',
    )
    .option('--no-wait', 'with --queue: submit and return (follow with `hnn sweep status`)')
    .option('--wait-minutes <m>', 'with --queue: stop waiting after m minutes (the runs go on)', positiveInt('--wait-minutes'))
    .option('--retry-failed', 'with --queue: put the failed runs of the sweep back in the queue')
    .option('--store <dir>', 'without --queue: the folder the runs are written into (<store>/<sweep>/runs/<run>/)', 'runs/sweeps')
    .option('--out <dir>', 'where the report goes (<out>/<sweep>/report/; default: the store, or runs/sweeps with --queue)')
    .option('--jobs <n>', "without --queue: runs trained at once (default: the machine's cores)", positiveInt('--jobs'))
    .option('--quiet', 'no progress output')
    .action((spec: string | undefined, o: RunFlags) => runSweep(spec, o));
  sweep
    .command('status [sweep]')
    .description('the sweeps a queue holds, or one sweep: progress, running runs (worker, step, loss); its results once finished')
    .requiredOption('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss://')
    .option('--watch', 'follow the sweep until it has finished')
    .option('--out <dir>', 'where the report of a finished sweep goes (<out>/<sweep>/report/)', 'runs/sweeps')
    .option('--quiet', 'no progress output')
    .action(status);
  sweep
    .command('report <sweep>')
    .description('write the report of a sweep (results.md, results.json, plots, index.html) from a queue or from a store')
    .option('--queue <url>', 'read the runs from this queue')
    .option('--store <dir>', 'read the runs from this store (a local sweep: <store>/<sweep>/sweep.json)')
    .option('--out <dir>', 'where the report goes (<out>/<sweep>/report/; default: the store, or runs/sweeps)')
    .action(async (name: string, o: { queue?: string; store?: string; out?: string }) => {
      const { reportCommand } = await import('./sweep-report.ts');
      await reportCommand(name, o, finish);
    });
}
