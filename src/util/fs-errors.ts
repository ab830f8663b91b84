// The one-line message the CLI prints for a file-system error: what its code means for the user and
// what to do about it, from the table ./fs-errors.json (shipped beside this module in dist/). Node
// only (it reads the table with node:fs), apart from ./errors.ts, which the page bundles.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The table by error code, read and checked once, when this module loads. */
const FS_ERRORS = z
  .record(z.string(), z.object({ meaning: z.string(), fix: z.string() }))
  .parse(JSON.parse(readFileSync(new URL('./fs-errors.json', import.meta.url), 'utf8')));

/** A one-line message for a file-system error (with its path and a fix), or null for other errors. */
export function fileSystemMessage(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== 'string' || !(err.code in FS_ERRORS)) return null;
  const { meaning, fix } = FS_ERRORS[err.code];
  const action = err.syscall ? `cannot ${err.syscall}` : 'file error on';
  const dest = (err as { dest?: string }).dest;
  const path = err.path ? ` ${err.path}${dest ? ` -> ${dest}` : ''}` : '';
  return `${action}${path}: ${meaning} (${err.code}); ${fix}`;
}
