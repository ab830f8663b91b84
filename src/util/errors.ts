/**
 * An error caused by the user's input (flag, file, folder). The CLI prints its message on one line
 * and exits non-zero without a stack trace; the message names the problem and the fix.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A failure that is neither the user's input nor a bug: the system stopped a process the command
 * started (out of memory, a kill). The CLI prints its message on one line, which says what was lost
 * and how to go on, and exits 1.
 */
export class StoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoppedError';
  }
}
