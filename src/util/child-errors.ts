// An error that crosses a process boundary (a job or a sweep's run in a child process): the child
// sends it as a plain record, and the parent throws it again as the child would have (a UserError
// stays one line). The child's one report, and how the parent waits for it.
import type { ChildProcess } from 'node:child_process';
import { UserError } from './errors.ts';

export type ErrorRecord = Record<string, string | undefined>;

/** The fields of `e` the parent needs: name, message, stack, and a file error's code, syscall and path. */
export function errorRecord(e: unknown): ErrorRecord {
  const err = e as Error & { code?: string; syscall?: string; path?: string };
  return { name: err.name, message: err.message, stack: err.stack, code: err.code, syscall: err.syscall, path: err.path };
}

/** The error `r` records, as the child threw it; `fallback` is the message of a UserError that had none. */
export function errorFromRecord(r: ErrorRecord, fallback: string): Error {
  if (r.name === 'UserError') return new UserError(r.message ?? fallback);
  const err = Object.assign(new Error(r.message), { code: r.code, syscall: r.syscall, path: r.path });
  err.stack = r.stack;
  return err;
}

/** Sends `message` to the parent process; resolves once it has been handed over. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

/**
 * Sends `child` its one message. A child that dies before reading it (killed, out of memory) makes
 * the write fail (EPIPE): that is not the child's report, so the child is made sure to end, and its
 * exit reports the stop (childReport's `unreported`).
 */
export function sendToChild(child: ChildProcess, message: Parameters<ChildProcess['send']>[0]): void {
  child.send(message, (e) => {
    if (e) child.kill();
  });
}

/**
 * The one report `child` sends (`{ ok: true, result }` or `{ ok: false, error }`): resolves with the
 * result, rejects with the child's error as it threw it (`fallback`: errorFromRecord's), or with
 * `unreported(code, signal)` when the child exits without reporting.
 */
export function childReport<T>(
  child: ChildProcess,
  fallback: string,
  unreported: (code: number | null, signal: NodeJS.Signals | null) => Error,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (m: { ok: boolean; result?: T; error?: ErrorRecord }) => {
      settled = true;
      if (m.ok) resolve(m.result as T);
      else reject(errorFromRecord(m.error!, fallback));
    });
    child.on('error', (e) => {
      settled = true;
      reject(e);
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(unreported(code, signal));
    });
  });
}
