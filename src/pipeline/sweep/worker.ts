// `hnn worker`: takes runs from the queue with BullMQ's Worker and runs them into the shared store.
// BullMQ does the scheduling: a job is held under a lock the worker renews; a worker that dies stops
// renewing, and the stalled-job check hands its run to another worker, which resumes it from its
// last checkpoint. A worker that loses a run's lock stops that run at once (only the lock's holder
// writes a run's folder). On SIGTERM (or Ctrl-C) it takes no new run, stops each run at its next
// checkpoint, puts it back in the queue and leaves; a second signal stops at once.
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { UserError } from '../../util/errors.ts';
import { checkReachable, connect, QUEUE_NAME, scrub, type QueueAddress } from './connection.ts';
import { checkStore, executeRun } from './execute.ts';
import { checkPayload, printable } from './payload.ts';
import type { PlannedRun, RunValidator } from './plan.ts';
import type { RunProgress } from './progress.ts';
import type { RunSummary } from './summary.ts';

/** Times a run may be handed on after its worker died (BullMQ's maxStalledCount), then it is failed. */
export const MAX_STALLS = 5;

export interface WorkerOptions {
  address: QueueAddress;
  store: string;
  concurrency: number;
  /** seconds a run stays locked after its worker's last renewal (a dead worker's run waits this long) */
  lockSeconds: number;
  name?: string;
  /** the CLI's thread entry that runs one hnn command line */
  entry: string;
  validate: RunValidator;
  log?: (line: string) => void;
}

const STOPPED = 'the worker was stopped';

/** What a finished job returns (kept by the queue as the run's result). */
export interface JobResult extends RunSummary {
  worker: string;
  /** false when the run was found finished in the store (not trained again) */
  trained: boolean;
  seconds: number;
}

/** What a job reports as its progress while it runs. */
export interface JobProgress extends RunProgress {
  worker: string;
}

function timestamped(log: (line: string) => void): (line: string) => void {
  return (line) => log(`${new Date().toISOString()} ${line}`);
}

/** Logs each distinct message once per `ms` (a Redis restart makes the client repeat itself). */
function throttled(log: (line: string) => void, ms = 10_000): (line: string) => void {
  const last = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    if (now - (last.get(line) ?? -Infinity) < ms) return;
    last.set(line, now);
    log(line);
  };
}

/** Runs a worker until a signal stops it (or `stop` is called); resolves when it has left. */
export async function runWorker(o: WorkerOptions): Promise<{ stop: () => Promise<void>; closed: Promise<void> }> {
  const log = timestamped(o.log ?? ((l) => process.stdout.write(`${l}\n`)));
  const store = checkStore(o.store);
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const client = connect(o.address);
  await checkReachable(client, o.address);
  let drain: () => void = () => {};
  const draining = new Promise<void>((r) => (drain = r));
  const aborts = new Map<string, AbortController>();
  const processor = async (job: Job, token?: string): Promise<JobResult> => {
    let run: PlannedRun;
    try {
      run = checkPayload(job.id, job.data, o.validate);
    } catch (e) {
      const why = e instanceof UserError ? e.message : String(e);
      log(`refused job ${printable(job.id)}: ${why}`);
      throw new UnrecoverableError(`refused: ${why}`);
    }
    const abort = new AbortController();
    aborts.set(job.id!, abort);
    log(`started ${run.name} (attempt ${job.attemptsMade + 1}, ${job.attemptsStarted} starts)`);
    try {
      const outcome = await executeRun(run, {
        store,
        entry: o.entry,
        log,
        abort: abort.signal,
        drain: draining,
        onProgress: (p) => void job.updateProgress({ ...p, worker: name } satisfies JobProgress).catch(() => {}),
      });
      if (!outcome) {
        log(`stopped ${run.name} at its checkpoint; it goes back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      log(`finished ${run.name} (${outcome.trained ? 'trained' : 'already finished in the store, not trained again'})`);
      return { ...outcome.summary, worker: name, trained: outcome.trained, seconds: outcome.seconds };
    } catch (e) {
      if (abort.signal.reason === STOPPED) {
        await job.moveToWait(token).catch(() => {});
        throw new WaitingError();
      }
      if (!(e instanceof WaitingError)) log(`run ${run.name} failed: ${(e as Error).message.split('\n')[0]}`);
      throw e;
    } finally {
      aborts.delete(job.id!);
    }
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: client,
    concurrency: o.concurrency,
    name,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: o.lockSeconds * 1000,
    maxStalledCount: MAX_STALLS,
    autorun: true,
  });
  const quietLog = throttled(log);
  worker.on('error', (e) => quietLog(`queue: ${scrub(e.message, o.address)}`));
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      log(`lost the lock of job ${printable(id)}: stopping its run (another worker may hold it now)`);
      aborts.get(id)?.abort('the queue lost this run');
    }
  });
  worker.on('failed', (job, err) => {
    if (!job || err instanceof WaitingError) return;
    const tries = err instanceof UnrecoverableError ? 'not tried again' : `attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}`;
    log(`job ${printable(job.name)}: ${err.message.split('\n')[0]} (${tries})`);
  });
  log(`worker ${name}: queue ${o.address.shown}, store ${store}, ${o.concurrency} at a time, lock ${o.lockSeconds} s`);
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      log('stopping now: the runs stop where they are and resume from their checkpoints elsewhere');
      for (const a of aborts.values()) a.abort(STOPPED);
      return;
    }
    stopping = true;
    log('stopping: no new runs; each run stops at its next checkpoint and goes back to the queue');
    drain();
    await worker.close();
    await client.quit().catch(() => {});
  };
  const closed = new Promise<void>((resolve) => worker.on('closed', () => resolve()));
  return { stop, closed };
}
