// One writer per output: an exclusive lock file `<out>.lock` beside the output (created with O_EXCL),
// holding the owner's pid, host and command. A lock whose process no longer runs on this host is
// stale (a kill -9 leaves one) and is taken over. (proper-lockfile's staleness rule is an mtime
// heartbeat on a timer, which a long synchronous training step would starve.)
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UserError } from './errors.ts';
import { makeDir, processAlive } from './files.ts';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';

interface Owner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** Locks held by this process (released on exit, also after SIGINT/SIGTERM). */
const held = new Set<string>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const path of held) rmSync(path, { force: true });
  });
  // signals reach the main thread only; a worker's locks are released by its own exit
  if (!isMainThread) return;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]));
  }
}

export function lockPathFor(out: string): string {
  return `${resolve(out)}.lock`;
}

function readOwner(path: string): Owner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Owner;
    return Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}

/** A lock file is stale when its owner no longer runs here, or it stayed unreadable (its writer died while creating it). */
function isStale(path: string, owner: Owner | null): boolean {
  if (owner) return owner.host === hostname() && !processAlive(owner.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > 10_000;
  } catch {
    return true; // gone meanwhile
  }
}

export interface Lock {
  path: string;
  release(): void;
}

/**
 * Takes the lock of output `out` (a folder or file) for this process, or throws a UserError naming
 * the process that holds it. `what` describes the command, e.g. "hnn train".
 */
export function acquireLock(out: string, what: string): Lock {
  const path = lockPathFor(out);
  makeDir(dirname(path));
  installExitHandlers();
  const me: Owner = { pid: process.pid, host: hostname(), command: what, since: new Date().toISOString() };
  // at most two attempts: the second follows the removal of a stale lock
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      held.add(path);
      return { path, release: () => releaseLock(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner && owner.pid === process.pid && owner.host === me.host) {
      throw new UserError(
        `${resolve(out)} is already being written by this process (${owner.command}); use a separate output for each job`,
      );
    }
    if (!isStale(path, owner)) {
      const who = owner ? `pid ${owner.pid} on ${owner.host}, "${owner.command}", since ${owner.since}` : 'a process that is starting';
      throw new UserError(
        `${resolve(out)} is being written by another hnn process (${who}); wait for it to finish or choose another output`,
      );
    }
    // Take the stale lock over: rename is atomic, so of two processes finding it stale only one moves it.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      rmSync(`${path}.stale-${process.pid}`, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new UserError(`${resolve(out)}: could not take its lock (${path}) after removing a stale one; another process took it, try again`);
}

function releaseLock(path: string): void {
  if (!held.delete(path)) return;
  const owner = readOwner(path);
  if (owner && owner.pid === process.pid) rmSync(path, { force: true });
}

/** Runs `fn` holding the lock of `out`; the lock is released when it settles. */
export async function withLock<T>(out: string, what: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = acquireLock(out, what);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
