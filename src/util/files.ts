// Atomic file output: write to a temporary sibling, then rename, so a killed job never leaves a
// half-written result under the final name.
import { mkdirSync, renameSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from './errors.ts';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(path: string, what: string): T {
  if (!existsSync(path)) throw new UserError(`${what} not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`${what} is not valid JSON: ${path} (${(e as Error).message}); regenerate it`);
  }
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Refuses to reuse an output folder that already holds a finished result (marked by `marker`),
 * unless force is set.
 */
export function guardOutput(dir: string, marker: string, force: boolean): void {
  const done = join(dir, marker);
  if (existsSync(done) && !force) {
    throw new UserError(`${dir} already holds a finished result (${marker}); choose another --out or pass --force to overwrite it`);
  }
}

/** Renames `path` to the first free `<path>.previous-N` and returns it: a superseded result is kept, not overwritten. */
export function moveAside(path: string): string {
  for (let n = 1; ; n++) {
    const to = `${path}.previous-${n}`;
    if (!existsSync(to)) {
      renameSync(path, to);
      return to;
    }
  }
}
