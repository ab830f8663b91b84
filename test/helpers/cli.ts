// Runs the built `hnn` command (bin/hnn.js -> dist/) as a user would, and checks failures the way the
// README promises them: exit code 2, one line on stderr starting "hnn: error:", no stack trace, and
// an answer (nothing hangs). The bound here is 60 s of wall time, far above the 1-3 s a refusal
// takes on a quiet machine, because the test machines are shared: under a load of 6 on 2 cores a
// refusal that loads TensorFlow.js first took 20 s.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'hnn.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function hnn(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, ...opts });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), seconds: (performance.now() - t0) / 1000 };
}

/** A refusal: exit 2, exactly one stderr line matching `pattern`, no stack trace, within 60 s. */
export function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^hnn: error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
  expect(r.seconds).toBeLessThan(60);
}
