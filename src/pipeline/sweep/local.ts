// A sweep without a queue: its runs on this machine, at most `jobs` at once, each in its own child
// process, into the same store layout a queue's workers use (so a local sweep and a queued one give
// the same folders and the same bytes). A run that fails is tried again up to `attempts` times in all.
import type { PlannedRun } from './plan.ts';
import { checkStore, executeRun } from './execute.ts';
import type { RunRecord } from './results.ts';
import type { ActiveRun, SweepView } from './view.ts';

export interface LocalOptions {
  store: string;
  entry: string;
  jobs: number;
  attempts: number;
  view: SweepView;
  log: (line: string) => void;
}

export async function runLocally(runs: PlannedRun[], o: LocalOptions): Promise<RunRecord[]> {
  const store = checkStore(o.store);
  const records: RunRecord[] = runs.map((run) => ({ run, state: 'waiting' }));
  const active = new Map<string, ActiveRun>();
  const show = () =>
    o.view.update({
      total: runs.length,
      completed: records.filter((r) => r.state === 'completed').length,
      failed: records.filter((r) => r.state === 'failed').length,
      active: [...active.values()],
    });
  let next = 0;
  const lane = async (worker: string) => {
    while (next < runs.length) {
      const i = next++;
      const run = runs[i];
      records[i].state = 'active';
      active.set(run.id, { id: run.id, name: run.name, worker });
      show();
      for (let attempt = 1; attempt <= o.attempts; attempt++) {
        try {
          const outcome = await executeRun(run, {
            store,
            entry: o.entry,
            log: o.log,
            onProgress: (p) => {
              active.set(run.id, { id: run.id, name: run.name, worker, ...p });
              show();
            },
          });
          records[i] = { run, state: 'completed', summary: outcome!.summary, worker, trained: outcome!.trained, attempts: attempt };
          break;
        } catch (e) {
          const error = (e as Error).message.split('\n')[0];
          o.log(`[${run.name}] attempt ${attempt} of ${o.attempts} failed: ${error}`);
          records[i] = { run, state: attempt === o.attempts ? 'failed' : 'active', error, attempts: attempt };
        }
      }
      active.delete(run.id);
      show();
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, runs.length) }, (_, k) => lane(`local ${k + 1}`)));
  o.view.stop();
  return records;
}
