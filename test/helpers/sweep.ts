// Processes of a queued sweep in tests: `hnn worker`s and `hnn sweep` coordinators as a user starts
// them (the built bin), with their output kept, killed with the signal a test chooses.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli.ts';

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** resolves with the exit code (or the signal's name) */
  exited: Promise<number | string>;
}

export function hnnProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => out, exited };
}

export function startWorker(url: string, store: string, name: string, extra: string[] = []): Proc {
  return hnnProcess(['worker', '--queue', url, '--store', store, '--concurrency', '1', '--lock-seconds', '3', '--name', name, ...extra]);
}

/** Waits until `check` is true, polling every 200 ms, at most `seconds`. */
export async function until(check: () => boolean | Promise<boolean>, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

export function writeSpec(dir: string, name: string, spec: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

/**
 * Every file under `dir` (recursively), for checks over a whole store. Workers may be writing it
 * meanwhile: an entry that vanishes between the listing and the walk (a lock released, a
 * temporary file renamed) is skipped, not an error.
 */
export function filesUnder(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

/** How often a worker log says it trained `run` to the end. */
export function trainedCount(logs: string[], run: string): number {
  return logs
    .join('\n')
    .split('\n')
    .filter((l) => l.includes(`finished ${run} (trained)`)).length;
}

export function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Runs `hnn args` to its end without blocking this process (a worker started by the test writes into
 * pipes this process must keep reading, or it would block on a full pipe).
 */
export async function hnnAsync(
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | string>((resolve) => child.once('close', (c, s) => resolve(c ?? s ?? 'unknown')));
  return { code, stdout, stderr };
}
