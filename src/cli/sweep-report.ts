// `hnn sweep report SWEEP`: the report of a sweep from a queue (its jobs' results) or from a store
// (its plan, <store>/<sweep>/sweep.json, and the metrics.json of each finished run).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import type { SweepPlan } from '../pipeline/sweep/spec.ts';
import type { RunRecord } from '../pipeline/sweep/results.ts';
import { validateRun } from './sweep-options.ts';

type Finish = (plan: Pick<SweepPlan, 'name' | 'metric' | 'swept'>, records: RunRecord[], out: string, strict?: boolean) => Promise<void>;

async function fromStore(name: string, store: string): Promise<{ plan: SweepPlan; records: RunRecord[] }> {
  const { checkSweepName, runFolder } = await import('../pipeline/sweep/plan.ts');
  const { summarizeMetrics } = await import('../pipeline/sweep/summary.ts');
  const path = join(store, checkSweepName(name), 'sweep.json');
  if (!existsSync(path))
    throw new UserError(`${path} not found: ${store} holds no local sweep named "${name}"; check --store and the name`);
  const plan = JSON.parse(readFileSync(path, 'utf8')) as SweepPlan;
  const records = plan.runs.map((run): RunRecord => {
    const metrics = join(runFolder(store, run), 'metrics.json');
    if (!existsSync(metrics)) return { run, state: 'waiting' };
    return { run, state: 'completed', summary: summarizeMetrics(JSON.parse(readFileSync(metrics, 'utf8')) as Record<string, unknown>) };
  });
  return { plan, records };
}

export async function reportCommand(name: string, o: { queue?: string; store?: string; out?: string }, finish: Finish): Promise<void> {
  if (!!o.queue === !!o.store) throw new UserError('give --queue URL (a queued sweep) or --store DIR (a local sweep), one of them');
  if (o.store) {
    const store = resolve(o.store);
    const { plan, records } = await fromStore(name, store);
    await finish(plan, records, resolve(o.out ?? store), false);
    return;
  }
  const { parseQueueUrl } = await import('../pipeline/sweep/connection.ts');
  const { openQueue, queuedSweeps, recordsOf } = await import('../pipeline/sweep/coordinator.ts');
  const { sweptOptions } = await import('../pipeline/sweep/spec.ts');
  const address = parseQueueUrl(o.queue!);
  const q = await openQueue(address);
  try {
    const runs = (await queuedSweeps(q.queue, validateRun)).sweeps.get(name);
    if (!runs)
      throw new UserError(`the queue at ${address.shown} holds no sweep named "${name}"; \`hnn sweep status --queue URL\` lists them`);
    const out = resolve(o.out ?? 'runs/sweeps');
    await finish(planFor(name, runs, out, sweptOptions), await recordsOf(q.queue, runs), out, false);
  } finally {
    await q.close();
  }
}

/** A queued sweep's ranking: the metric its submitter wrote into <out>/<sweep>/sweep.json, else energy MSE. */
export function planFor(
  name: string,
  runs: SweepPlan['runs'],
  out: string,
  swept: (runs: SweepPlan['runs']) => string[],
): Pick<SweepPlan, 'name' | 'metric' | 'swept'> {
  const path = join(out, name, 'sweep.json');
  let metric = 'energyMse';
  try {
    metric = (JSON.parse(readFileSync(path, 'utf8')) as { metric?: string }).metric ?? metric;
  } catch {
    // no plan written here: the default ranking
  }
  return { name, metric, swept: swept(runs) };
}
