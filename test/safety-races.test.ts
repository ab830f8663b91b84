// Problem 6 of the reliability issue: one writer per output. Two `train` runs with the same --out
// both exited 0 and the later silently replaced the earlier's result; two `generate` runs into one
// folder lost a dataset. A second writer is now refused while the first holds the folder's lock, a
// lock left by a killed process is taken over, and two racing writers never both succeed.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockPathFor } from '../src/util/lock.ts';
import { readDataset } from '../datasets/format.ts';
import { BIN, expectOneLineError, hnn } from './helpers/cli.ts';
import { DEAD_PID, scratchFolder } from './helpers/scratch.ts';

const root = scratchFolder('hnn-safety-race-');

describe('one writer per output', () => {
  it('refuses a second writer while the first holds the folder, naming it', () => {
    const out = join(root, 'busy');
    const lock = acquireLock(out, 'hnn train --task spring (test)');
    try {
      expectOneLineError(
        hnn(['generate', 'spring', '--out', out]),
        new RegExp(
          `busy is being written by another hnn process \\(pid ${process.pid} on ${hostname()}, "hnn train --task spring \\(test\\)"`,
        ),
      );
      expectOneLineError(hnn(['train', '--task', 'spring', '--steps', '2', '--out', out]), /is being written by another hnn process/);
    } finally {
      lock.release();
    }
    expect(existsSync(lockPathFor(out))).toBe(false);
    expect(hnn(['generate', 'spring', '--out', out]).code).toBe(0);
  });

  it('takes over a lock whose process is gone (a kill -9 leaves one)', () => {
    const out = join(root, 'stale');
    writeFileSync(lockPathFor(out), JSON.stringify({ pid: DEAD_PID, host: hostname(), command: 'hnn generate', since: '2026-01-01' }));
    expect(hnn(['generate', 'spring', '--out', out]).code).toBe(0);
    expect(existsSync(lockPathFor(out))).toBe(false);
  });

  it('of two generate runs racing into one folder, exactly one writes and the dataset is whole', async () => {
    const out = join(root, 'race');
    const run = (seed: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, 'generate', 'two-body', '--out', out, '--seed', seed], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('close', (code) => resolve({ code, stderr }));
      });
    const [a, b] = await Promise.all([run('1'), run('2')]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    expect(loser.stderr).toMatch(/is being written by another hnn process|already holds a dataset/);
    const seed = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).seed;
    expect(seed).toBe(a.code === 0 ? 1 : 2);
    expect(() => readDataset(out, 'two-body')).not.toThrow(); // every checksum holds
  });
});
