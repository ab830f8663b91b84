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

/** What `hnn worker` is started with. */
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

/** What the job processor of one worker shares. */
interface WorkerContext {
  log: (line: string) => void;
  store: string;
  name: string;
  entry: string;
  validate: RunValidator;
  /** resolves when the worker is asked to stop (runs stop at their next checkpoint) */
  draining: Promise<void>;
  /** the running jobs' stop switches, by job id */
  aborts: Map<string, AbortController>;
}

/** The run a job asks for, or an UnrecoverableError (never retried) with the reason, logged. */
function runOfJob(ctx: WorkerContext, job: Job): PlannedRun {
  try {
    return checkPayload(job.id, job.data, ctx.validate);
  } catch (e) {
    const why = e instanceof UserError ? e.message : String(e);
    ctx.log(`refused job ${printable(job.id)}: ${why}`);
    throw new UnrecoverableError(`refused: ${why}`);
  }
}

/** Trains one job's run; a run stopped for a drain (or a forced stop) goes back to the queue. */
async function processJob(ctx: WorkerContext, job: Job, token?: string): Promise<JobResult> {
  const run = runOfJob(ctx, job);
  const abort = new AbortController();
  ctx.aborts.set(job.id!, abort);
  ctx.log(`started ${run.name} (attempt ${job.attemptsMade + 1}, ${job.attemptsStarted} starts)`);
  try {
    const outcome = await executeRun(run, {
      store: ctx.store,
      entry: ctx.entry,
      log: ctx.log,
      abort: abort.signal,
      drain: ctx.draining,
      onProgress: (p) => void job.updateProgress({ ...p, worker: ctx.name } satisfies JobProgress).catch(() => {}),
    });
    if (!outcome) {
      ctx.log(`stopped ${run.name} at its checkpoint; it goes back to the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    ctx.log(`finished ${run.name} (${outcome.trained ? 'trained' : 'already finished in the store, not trained again'})`);
    return { ...outcome.summary, worker: ctx.name, trained: outcome.trained, seconds: outcome.seconds };
  } catch (e) {
    if (abort.signal.reason === STOPPED) {
      await job.moveToWait(token).catch(() => {});
      throw new WaitingError();
    }
    if (!(e instanceof WaitingError)) ctx.log(`run ${run.name} failed: ${(e as Error).message.split('\n')[0]}`);
    throw e;
  } finally {
    ctx.aborts.delete(job.id!);
  }
}

/** Logs the worker's events; a lost lock stops its run at once (only the lock's holder writes a run). */
function watch(worker: Worker, ctx: WorkerContext, address: QueueAddress): void {
  const quietLog = throttled(ctx.log);
  worker.on('error', (e) => quietLog(`queue: ${scrub(e.message, address)}`));
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      ctx.log(`lost the lock of job ${printable(id)}: stopping its run (another worker may hold it now)`);
      ctx.aborts.get(id)?.abort('the queue lost this run');
    }
  });
  worker.on('failed', (job, err) => {
    if (!job || err instanceof WaitingError) return;
    const tries = err instanceof UnrecoverableError ? 'not tried again' : `attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}`;
    ctx.log(`job ${printable(job.name)}: ${err.message.split('\n')[0]} (${tries})`);
  });
}

/** Runs a worker until `stop` is called (twice: at once); `closed` resolves when it has left. */
export async function runWorker(o: WorkerOptions): Promise<{ stop: () => Promise<void>; closed: Promise<void> }> {
  const log = timestamped(o.log ?? ((l) => process.stdout.write(`${l}\n`)));
  const store = checkStore(o.store);
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const client = connect(o.address);
  await checkReachable(client, o.address);
  let drain: () => void = () => {};
  const draining = new Promise<void>((r) => (drain = r));
  const ctx: WorkerContext = { log, store, name, entry: o.entry, validate: o.validate, draining, aborts: new Map() };
  const worker = new Worker(QUEUE_NAME, (job: Job, token?: string) => processJob(ctx, job, token), {
    connection: client,
    concurrency: o.concurrency,
    name,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: o.lockSeconds * 1000,
    maxStalledCount: MAX_STALLS,
    autorun: true,
  });
  watch(worker, ctx, o.address);
  log(`worker ${name}: queue ${o.address.shown}, store ${store}, ${o.concurrency} at a time, lock ${o.lockSeconds} s`);
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      log('stopping now: the runs stop where they are and resume from their checkpoints elsewhere');
      for (const a of ctx.aborts.values()) a.abort(STOPPED);
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
