// An error that crosses a process boundary (a job or a sweep's run in a child process): the child
// sends it as a plain record, and the parent throws it again as the child would have (a UserError
// stays one line).
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
