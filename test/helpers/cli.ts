// Runs the built `hnn` command (bin/hnn.js -> dist/) as a user would, and checks failures the way the
// README promises them: exit code 2, one line on stderr starting "hnn: error:", no stack trace, and
// an answer (nothing hangs: a command still running when spawnSync's timeout kills it has no exit
// code, so the exit-code check fails; wall time itself is not asserted, the machines are shared).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'hnn.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function hnn(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, ...opts });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** A refusal: exit 2 (so it ended by itself), exactly one stderr line matching `pattern`, no stack trace. */
export function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^hnn: error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}
