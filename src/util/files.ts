// File output that a kill cannot corrupt: every file is written to a temporary sibling
// (`<name>.<pid>.tmp`) and renamed into place, so a result is either whole or absent. Folders are
// created level by level (Node's recursive mkdir loops forever under /proc), and output locations
// are checked before any work starts.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserError } from './errors.ts';

/** Creates `dir` and its missing parents, one level at a time (bounded by the path's depth). */
export function makeDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) {
    throw new UserError(`${at} is a file, not a folder, so ${resolve(dir)} cannot be created inside it; choose another path`);
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/** The temporary sibling this process writes `path` through. */
export function tmpPathFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/** Matches the temporary files of tmpPathFor; group 1 is the writer's pid. */
export const TMP_FILE = /\.(\d+)\.tmp$/;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDir(dirname(path));
  const tmp = tmpPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Reads JSON the project wrote earlier. With a schema, the value is checked against it: a file
 * edited or written by another version is refused with the first field that does not fit.
 */
export function readJson<T = unknown>(path: string, what: string, schema?: z.ZodType<T>): T {
  if (!existsSync(path)) throw new UserError(`${what} not found: ${path}`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${what} is not valid JSON: ${path} (${(e as Error).message}); regenerate it`);
  }
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${what} ${path} does not have the expected form (${issue.path.join('.') || 'top level'}: ${issue.message}); regenerate it`,
    );
  }
  return parsed.data;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Checks, before any work, that `path` (a folder or file to be made) can be written: the nearest
 * existing ancestor of its parent must be a writable folder (partial builds, locks and temporary
 * files live beside the output), and an existing `path` must have the expected type and be writable.
 * A probe file is created and removed in each, which also catches read-only file systems.
 */
export function checkWritable(path: string, as: 'folder' | 'file', flag = '--out'): void {
  const full = resolve(path);
  if (existsSync(full)) {
    const isDir = statSync(full).isDirectory();
    if (as === 'folder' && !isDir) throw new UserError(`${full} is a file, not a folder; choose another ${flag}`);
    if (as === 'file' && isDir) throw new UserError(`${full} is a folder, not a file; choose another ${flag}`);
  }
  let at = dirname(full);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (!statSync(at).isDirectory())
    throw new UserError(`${at} is a file, not a folder, so ${full} cannot be written; choose another ${flag}`);
  for (const dir of as === 'folder' && existsSync(full) ? [at, full] : [at]) probeWrite(dir, full, flag);
}

function probeWrite(dir: string, target: string, flag: string): void {
  try {
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.hnn-write-probe.${process.pid}.tmp`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`${target} cannot be written: ${dir} is not writable (${code}); choose another ${flag}`);
  }
}

/** True when a process with this pid runs on this machine (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files (`*.<pid>.tmp`) that killed writers left in `dir` and its
 * subfolders, down to `depth` levels. Files of a live process are kept.
 */
export function removeStaleTmpFiles(dir: string, depth = 3): string[] {
  const removed: string[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return removed;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const m = TMP_FILE.exec(name);
    if (m && !processAlive(Number(m[1]))) {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } else if (depth > 0 && statSync(path).isDirectory()) {
      removed.push(...removeStaleTmpFiles(path, depth - 1));
    }
  }
  return removed;
}

/** Renames `path` to the first free `<path>.previous-N` and returns it: a superseded result is kept, not overwritten. */
export function moveAside(path: string): string {
  for (let n = 1; n < 10_000; n++) {
    const to = `${path}.previous-${n}`;
    if (!existsSync(to)) {
      renameSync(path, to);
      return to;
    }
  }
  throw new UserError(
    `${path}: 10000 earlier results are kept beside it already; remove some of the ${parse(path).base}.previous-N folders`,
  );
}
