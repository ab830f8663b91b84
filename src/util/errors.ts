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

/** What each file-system error means for the user, and what to do about it. */
const FS_ERRORS: Record<string, [string, string]> = {
  EACCES: ['permission denied', 'choose a path you can write, or fix its permissions'],
  EPERM: ['operation not permitted', 'choose a path you can write, or fix its permissions'],
  EROFS: ['the file system is read-only', 'choose a path on a writable disk'],
  ENOSPC: ['no space left on the device', 'free some disk space or choose another disk'],
  EDQUOT: ['disk quota exceeded', 'free some space or choose another disk'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'choose another path'],
  EISDIR: ['it is a folder, not a file', 'choose a file path'],
  EEXIST: ['it already exists', 'choose another path or remove it'],
  ENOENT: ['no such file or folder', 'check the path'],
  EMFILE: ['too many open files', 'raise the open-file limit (ulimit -n) or close other programs'],
  ENAMETOOLONG: ['the path is too long', 'choose a shorter path'],
  EBUSY: ['the file is busy', 'close what uses it and try again'],
  EXDEV: ['the path crosses file systems', 'keep the output on one disk'],
};

/** A one-line message for a file-system error (with its path and a fix), or null for other errors. */
export function fileSystemMessage(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== 'string' || !(err.code in FS_ERRORS)) return null;
  const [meaning, fix] = FS_ERRORS[err.code];
  const action = err.syscall ? `cannot ${err.syscall}` : 'file error on';
  const dest = (err as { dest?: string }).dest;
  const path = err.path ? ` ${err.path}${dest ? ` -> ${dest}` : ''}` : '';
  return `${action}${path}: ${meaning} (${err.code}); ${fix}`;
}
