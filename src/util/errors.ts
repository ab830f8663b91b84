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
