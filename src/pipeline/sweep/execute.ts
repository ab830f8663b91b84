// One run of a sweep into a store, the same way locally and on a queue's worker: its folder (and its
// own dataset's, with data options) lies inside the store and nowhere else; a finished run is reused
// and never trained twice; an interrupted one resumes from its checkpoint; the run itself is
// `hnn generate` / `hnn train` in a child process. The caller holds the run (a queue job's lock, or
// the local runner's plan) and says when to stop: at once (`abort`) or at the next checkpoint (`drain`).
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { processAlive } from '../../util/files.ts';
import { lockPathFor } from '../../util/lock.ts';
import { CHECKPOINT_FILE, METRICS_FILE } from '../run-output.ts';
import { getTask } from '../../tasks/registry.ts';
import { datasetFolder, generateArgv, runFolder, trainArgv, type PlannedRun } from './plan.ts';
import { readRunProgress, type RunProgress } from './progress.ts';
import { summarizeMetrics, type RunSummary } from './summary.ts';
import { runInThread } from './thread.ts';
import { hasDataset } from '../../../datasets/format.ts';

export interface RunOutcome {
  summary: RunSummary;
  /** false when the run was already finished in the store (reused, not trained again) */
  trained: boolean;
  seconds: number;
}

export interface ExecuteOptions {
  store: string;
  /** the CLI's run entry (src/cli/run-thread.ts, built) */
  entry: string;
  log: (line: string) => void;
  onProgress?: (p: RunProgress) => void;
  /** aborted: stop now (the queue lost this run's lock) */
  abort?: AbortSignal;
  /** resolves when the run should stop at its next checkpoint (SIGTERM) */
  drain?: Promise<void>;
  /** how often progress is read from the run's log.jsonl */
  progressMs?: number;
}

/** Longest wait for a checkpoint after a drain was asked for: then the run stops anyway. */
const DRAIN_LIMIT_MS = 15 * 60_000;

/** The store as the user named it, checked: an existing folder (never created implicitly). */
export function checkStore(store: string): string {
  const full = resolve(store);
  if (!existsSync(full) || !statSync(full).isDirectory())
    throw new UserError(`--store ${full} is not an existing folder; create it (a folder every worker can reach) and pass it again`);
  return full;
}

/** `path` resolved, refused unless it lies inside the store, also after following symbolic links. */
export function confined(store: string, path: string): string {
  const root = realpathSync(store);
  const full = resolve(store, path);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (!inside(full, resolve(store))) throw new UserError(`${full} lies outside the store ${store}; a run writes only inside --store`);
  // the deepest existing part of the path, with links followed, must be inside the store too
  let existing = full;
  while (!existsSync(existing)) existing = resolve(existing, '..');
  const real = realpathSync(existing);
  if (real !== root && !inside(real, root))
    throw new UserError(`${full} leads outside the store ${store} (through a link to ${real}); a run writes only inside --store`);
  return full;
}

/** The run's folders, created up to their parents inside the store. */
function runPaths(store: string, run: PlannedRun): { runDir: string; dataDir: string | null } {
  const runDir = confined(store, runFolder(store, run));
  mkdirSync(resolve(runDir, '..'), { recursive: true });
  confined(store, runDir);
  const hasData = Object.keys(run.data).length > 0;
  const dataDir = hasData ? confined(store, datasetFolder(store, run)) : null;
  if (dataDir) {
    mkdirSync(resolve(dataDir, '..'), { recursive: true });
    confined(store, dataDir);
  }
  return { runDir, dataDir };
}

/**
 * Removes the lock file a previous holder of this run left: the caller holds the run now (the queue's
 * lock), so a lock of a process on another host, or of a dead one
 * is stale. A live process on this host still writing it is waited for (the run is tried again later).
 */
function clearStaleLock(out: string): void {
  const path = lockPathFor(out);
  if (!existsSync(path)) return;
  let owner: { pid?: number; host?: string } = {};
  try {
    owner = JSON.parse(readFileSync(path, 'utf8')) as typeof owner;
  } catch {
    // unreadable: its writer died while creating it
  }
  const here = owner.host === hostname();
  if (here && owner.pid !== process.pid && typeof owner.pid === 'number' && processAlive(owner.pid))
    throw new Error(`${out} is still being written by pid ${owner.pid} on this host; the run will be tried again`);
  rmSync(path, { force: true });
}

/** Removes the lock a stopped run's process (`pid`) held on `out` (a killed process runs no exit handler). */
function releaseLockOf(out: string, pid: number): void {
  const path = lockPathFor(out);
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as { pid?: number; host?: string };
    if (owner.pid === pid && owner.host === hostname()) rmSync(path, { force: true });
  } catch {
    // no lock, or one being written: nothing of ours
  }
}

const finished = (dir: string) => existsSync(join(dir, METRICS_FILE));

/** Runs (or reuses, or resumes) one run into the store; returns null when it stopped at a checkpoint for a drain. */
export async function executeRun(run: PlannedRun, o: ExecuteOptions): Promise<RunOutcome | null> {
  const t0 = performance.now();
  const { runDir, dataDir } = runPaths(o.store, run);
  const readSummary = () => summarizeMetrics(JSON.parse(readFileSync(join(runDir, METRICS_FILE), 'utf8')) as Record<string, unknown>);
  if (finished(runDir)) return { summary: readSummary(), trained: false, seconds: 0 };
  const log = (line: string) => o.log(`[${run.name}] ${line}`);
  if (dataDir && !hasDataset(dataDir)) {
    clearStaleLock(dataDir);
    o.onProgress?.({ phase: 'dataset', step: 0, steps: 0, loss: null });
    const stopped = await supervise(runInThread(o.entry, generateArgv(run, dataDir), log), o, null, [dataDir], () => hasDataset(dataDir));
    if (stopped) return null;
  }
  clearStaleLock(runDir);
  const resume = existsSync(join(runDir, CHECKPOINT_FILE));
  const thread = runInThread(o.entry, trainArgv(run, runDir, { data: dataDir ?? undefined, resume }), log);
  const poll = setInterval(() => {
    const p = readRunProgress(runDir);
    if (p) o.onProgress?.(p);
  }, o.progressMs ?? 2000);
  try {
    const checkpointed = getTask(run.task).kind === 'pixel' ? join(runDir, CHECKPOINT_FILE) : null;
    if (await supervise(thread, o, checkpointed, [runDir], () => finished(runDir))) return null;
  } finally {
    clearInterval(poll);
  }
  return { summary: readSummary(), trained: true, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Waits for a thread; stops it at once on abort, or after the next checkpoint (a newer `checkpoint`
 * file; at once for runs without checkpoints) once a drain is asked for. True when it was stopped.
 * A thread that completed its work (`complete()`) before the stop reached it counts as done: its
 * result is kept, not reported as failed and made again.
 */
async function supervise(
  thread: ReturnType<typeof runInThread>,
  o: ExecuteOptions,
  checkpoint: string | null,
  owned: string[],
  complete: () => boolean,
): Promise<boolean> {
  let stop: 'abort' | 'drain' | null = null;
  let wake: () => void = () => {};
  const stopNow = new Promise<void>((r) => (wake = r));
  const onAbort = () => {
    stop = 'abort';
    wake();
  };
  o.abort?.addEventListener('abort', onAbort);
  if (o.abort?.aborted) onAbort();
  void o.drain?.then(async () => {
    const since = Date.now();
    const mtime = () => (checkpoint && existsSync(checkpoint) ? statSync(checkpoint).mtimeMs : 0);
    const before = mtime();
    while (checkpoint && mtime() <= Math.max(before, since - 1) && Date.now() - since < DRAIN_LIMIT_MS && stop === null)
      await new Promise((r) => setTimeout(r, 200));
    stop ??= 'drain';
    wake();
  });
  try {
    const outcome = await Promise.race([thread.done.then(() => 'done' as const), stopNow.then(() => 'stop' as const)]);
    if (outcome === 'done') return false;
    thread.done.catch(() => {}); // it rejects once stopped: the stop is the outcome
    await thread.stop();
    for (const dir of owned) releaseLockOf(dir, thread.pid);
    if (complete()) return false;
    if (stop === 'abort') throw new Error(`stopped: ${String(o.abort?.reason ?? 'aborted')}`);
    return true;
  } finally {
    o.abort?.removeEventListener('abort', onAbort);
  }
}
