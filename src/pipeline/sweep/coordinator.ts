// The submitting side of a queued sweep: every run becomes a BullMQ job whose id is the hash of its
// configuration (adding an id the queue holds keeps the first job, so submitting again adds nothing),
// and the sweep's state is read back from the jobs: state, progress, result or one-line error. A run
// missing from the queue (Redis restarted without persistence) is added again while the coordinator
// waits; a worker finding that run finished in the store returns its metrics without training it.
import { Queue, type Job } from 'bullmq';
import { checkReachable, connect, QUEUE_NAME, type QueueAddress } from './connection.ts';
import { checkPayload, payloadOf } from './payload.ts';
import type { PlannedRun, RunValidator } from './plan.ts';
import type { RunRecord, RunState } from './results.ts';
import type { ActiveRun, SweepView } from './view.ts';
import type { JobProgress, JobResult } from './worker.ts';

export interface QueueHandle {
  queue: Queue;
  close(): Promise<void>;
}

export async function openQueue(address: QueueAddress): Promise<QueueHandle> {
  const client = connect(address);
  await checkReachable(client, address);
  const queue = new Queue(QUEUE_NAME, { connection: client });
  queue.on('error', () => {}); // the client reconnects by itself; callers see failures as missing answers
  return {
    queue,
    async close() {
      await queue.close();
      await client.quit().catch(() => {});
    },
  };
}

function jobOptions(run: PlannedRun, attempts: number) {
  return {
    jobId: run.id,
    attempts,
    backoff: { type: 'exponential' as const, delay: 10_000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
}

/** Adds the runs the queue does not hold; returns how many were added. */
export async function addRuns(queue: Queue, runs: PlannedRun[], attempts: number, have?: Set<string>): Promise<number> {
  const held = have ?? new Set((await Promise.all(runs.map((r) => queue.getJob(r.id)))).filter((j): j is Job => !!j).map((j) => j.id!));
  const missing = runs.filter((r) => !held.has(r.id));
  for (let i = 0; i < missing.length; i += 500)
    await queue.addBulk(missing.slice(i, i + 500).map((r) => ({ name: r.name, data: payloadOf(r), opts: jobOptions(r, attempts) })));
  return missing.length;
}

/** Puts failed runs back in the queue (`--retry-failed`); returns how many. */
export async function retryFailed(queue: Queue, runs: PlannedRun[]): Promise<number> {
  let n = 0;
  for (const r of runs) {
    const job = await queue.getJob(r.id);
    if (job && (await job.getState()) === 'failed') {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      n++;
    }
  }
  return n;
}

function stateOf(s: string): RunState {
  if (s === 'completed' || s === 'failed' || s === 'active' || s === 'delayed') return s;
  return 'waiting';
}

/** A run's record from its job, read after its state (see recordsOf). */
function recordOf(job: Job, run: PlannedRun, state: RunState): RunRecord {
  const result = job.returnvalue as JobResult | null;
  return {
    run,
    state,
    ...(state === 'completed' && result ? { summary: result, worker: result.worker, trained: result.trained } : {}),
    ...(state === 'failed' ? { error: job.failedReason } : {}),
    attempts: job.attemptsMade,
  };
}

/**
 * The records of the given runs (a run the queue does not hold is 'missing'). A job read while it ran
 * holds no result nor failure reason yet; one whose state is final by the time its state is asked is
 * read again, so that a finished record always carries what its run left.
 */
export async function recordsOf(queue: Queue, runs: PlannedRun[]): Promise<RunRecord[]> {
  return Promise.all(
    runs.map(async (run): Promise<RunRecord> => {
      const first = await queue.getJob(run.id);
      if (!first) return { run, state: 'missing' };
      const state = stateOf(await first.getState());
      const job = state === 'completed' || state === 'failed' ? ((await queue.getJob(run.id)) ?? first) : first;
      return recordOf(job, run, state);
    }),
  );
}

const ALL_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/**
 * Every run the queue holds, by sweep (the runs' payloads checked as a worker checks them; a job
 * that fails the check is listed under `refused`).
 */
export async function queuedSweeps(queue: Queue, validate: RunValidator): Promise<{ sweeps: Map<string, PlannedRun[]>; refused: number }> {
  const jobs = await queue.getJobs([...ALL_STATES], 0, -1);
  const sweeps = new Map<string, PlannedRun[]>();
  let refused = 0;
  for (const job of jobs) {
    try {
      const run = checkPayload(job.id, job.data, validate);
      sweeps.set(run.sweep, [...(sweeps.get(run.sweep) ?? []), run]);
    } catch {
      refused++;
    }
  }
  return { sweeps, refused };
}

/** The running runs with their progress, for the view. */
async function activeRuns(queue: Queue, records: RunRecord[]): Promise<ActiveRun[]> {
  const active = records.filter((r) => r.state === 'active');
  const jobs = await Promise.all(active.map((r) => queue.getJob(r.run.id)));
  return active.map((r, i) => {
    const p = (jobs[i]?.progress ?? {}) as Partial<JobProgress>;
    return {
      id: r.run.id,
      name: r.run.name,
      worker: p.worker ?? jobs[i]?.processedBy,
      phase: p.phase,
      step: p.step,
      steps: p.steps,
      loss: p.loss,
    };
  });
}

export interface WaitOptions {
  view: SweepView;
  attempts: number;
  /** seconds between polls */
  every?: number;
  /** re-add runs missing from the queue (the submitting coordinator; `status --watch` only watches) */
  readd?: boolean;
  log?: (line: string) => void;
  /** stop waiting after this many seconds (the runs go on: `hnn sweep status` follows them) */
  timeoutSeconds?: number;
}

/** Polls until every run is completed or failed (or the timeout); returns the last records. */
export async function waitForRuns(queue: Queue, runs: PlannedRun[], o: WaitOptions): Promise<RunRecord[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const deadline = Date.now() + 1000 * (o.timeoutSeconds ?? Infinity);
  let last: RunRecord[] = runs.map((run) => ({ run, state: 'missing' }));
  for (let first = true; first || Date.now() < deadline; first = false) {
    let records: RunRecord[];
    try {
      records = await recordsOf(queue, runs);
    } catch {
      await new Promise((r) => setTimeout(r, 1000 * (o.every ?? 2))); // Redis away (restarting): ask again
      continue;
    }
    const missing = records.filter((r) => r.state === 'missing').map((r) => r.run);
    if (missing.length && o.readd !== false) {
      const added = await addRuns(queue, missing, o.attempts, new Set()).catch(() => 0);
      if (added) log(`added ${added} runs again that the queue no longer held (Redis restarted without persistence?)`);
    }
    const completed = records.filter((r) => r.state === 'completed').length;
    const failed = records.filter((r) => r.state === 'failed').length;
    o.view.update({ total: runs.length, completed, failed, active: await activeRuns(queue, records).catch(() => []) });
    last = records;
    if (completed + failed === runs.length) break;
    await new Promise((r) => setTimeout(r, 1000 * (o.every ?? 2)));
  }
  return last;
}
