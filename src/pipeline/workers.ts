// Independent long jobs (training runs) on all cores: each runs in its own child process with its own
// TensorFlow.js wasm backend (wasm runs one core per instance in Node) and its own ONNX Runtime, at
// most `concurrency` at a time. A process, not a worker thread: ONNX Runtime flushes denormals only on
// the thread of a process's first session (src/engine/ort.ts), so a second worker thread would train
// without that mode, in other bytes than the same run made by `hnn train`, and up to 7x slower
// (docs/ENGINE.md). Jobs run the built package (dist/); without a build, or with one job, they run
// here in turn.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { childReport, sendToChild } from '../util/child-errors.ts';
import { StoppedError } from '../util/errors.ts';
import { packageFile } from '../util/package-root.ts';
import { JOBS, type JobName } from './jobs.ts';

export interface Job<N extends JobName = JobName> {
  name: N;
  args: Parameters<(typeof JOBS)[N]>;
  /** A user's system file whose tasks the job names: a worker registers it before running (src/tasks/system-file.ts). */
  systemFile?: string;
}

type Result<N extends JobName> = Awaited<ReturnType<(typeof JOBS)[N]>>;

/** The default number of parallel jobs: the machine's cores. */
export function defaultJobs(): number {
  return availableParallelism();
}

function jobEntry(): string | null {
  const path = packageFile('dist/src/pipeline/job-process.js');
  return existsSync(path) ? path : null;
}

function runInProcess<N extends JobName>(entry: string, job: Job<N>): Promise<Result<N>> {
  // 'advanced': the job's arguments and metrics cross as structured clones. One garbage-collector
  // thread: jobs share the cores, and V8's parallel collector would take part of a neighbour's (as
  // for a sweep's runs, ./sweep/thread.ts).
  const child = fork(entry, [], { serialization: 'advanced', stdio: 'inherit', execArgv: [...process.execArgv, '--single-threaded-gc'] });
  const result = childReport<Result<N>>(child, 'error in a worker', (code, signal) => stoppedJob(job, signal ?? `exit code ${code}`));
  sendToChild(child, { name: job.name, args: job.args, systemFile: job.systemFile });
  return result;
}

/** A job's run as its arguments name it ("damped-spring dhnn seed 1"), else the job's name. */
function describeJob(job: Job): string {
  const a = job.args[0] as { task?: unknown; kind?: unknown; seed?: unknown };
  return typeof a.task === 'string' && typeof a.kind === 'string' ? `${a.task} ${a.kind} seed ${String(a.seed)}` : job.name;
}

/** The one-line error for a job whose process ended without a result (killed, or out of memory). */
function stoppedJob(job: Job, how: string): StoppedError {
  const memory = how === 'SIGKILL' ? ' (the system may have run out of memory: try fewer --jobs)' : '';
  return new StoppedError(
    `the process training ${describeJob(job)} was stopped (${how}) before it finished${memory}; run the command again: it reuses the runs that finished`,
  );
}

/**
 * Runs the jobs, at most `concurrency` at once, and returns their results in order. The first
 * failure is reported after the jobs already running have finished (none is left half-written).
 * `onResult` hears of each job as it finishes (e.g. to use a core the finished job leaves idle).
 */
export async function runJobs<N extends JobName>(
  jobs: Job<N>[],
  concurrency = defaultJobs(),
  onResult?: (index: number, result: Result<N>) => void,
): Promise<Result<N>[]> {
  const entry = jobEntry();
  if (!entry || concurrency <= 1 || jobs.length <= 1) {
    const out: Result<N>[] = [];
    for (const j of jobs) {
      out.push((await (JOBS[j.name] as (...a: unknown[]) => Promise<Result<N>>)(...j.args)) as Result<N>);
      onResult?.(out.length - 1, out[out.length - 1]);
    }
    return out;
  }
  const results: Result<N>[] = new Array(jobs.length);
  let next = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (next < jobs.length && failure === null) {
      const i = next++;
      try {
        results[i] = await runInProcess(entry, jobs[i]);
        onResult?.(i, results[i]);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  if (failure !== null) throw failure;
  return results;
}
