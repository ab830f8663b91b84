// Problem 5 of the reliability issue: every failure is one line. File-system errors used to print
// `hnn: internal error` and a stack trace, a path under /proc hung in a recursive mkdir, and `bench`
// and `rollout` did all their work before finding they could not write. Output locations are now
// checked before the work, and file-system errors name the path and the fix.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemMessage } from '../src/util/fs-errors.ts';
import { checkWritable, makeDir } from '../src/util/files.ts';
import { BIN, expectOneLineError, hnn } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-fs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('file-system failures are one line, before any work', () => {
  it('a path under /proc ends at once instead of hanging in mkdir', () => {
    expectOneLineError(
      hnn(['generate', 'spring', '--out', '/proc/hnn-test/data']),
      /cannot be written: \/proc is not writable|is not writable/,
    );
    expect(() => makeDir('/proc/hnn-test/a/b')).toThrow();
  });

  it('a file used as a parent folder', () => {
    const file = join(root, 'plain.txt');
    writeFileSync(file, 'x');
    expectOneLineError(hnn(['generate', 'spring', '--out', join(file, 'data')]), /plain\.txt is a file, not a folder/);
    expectOneLineError(hnn(['bench', '--out', join(file, 'bench.json')]), /plain\.txt is a file, not a folder/);
  });

  it('an existing folder where a file is wanted, for rollout and bench, before any work', () => {
    expectOneLineError(hnn(['bench', '--out', root]), /is a folder, not a file/);
    const taken = join(root, 'video.gif');
    writeFileSync(taken, 'gif');
    expectOneLineError(
      hnn(['rollout', '--model', join(root, 'none'), '--out', taken]),
      /video\.gif already exists; choose another --out or pass --force/,
    );
  });

  it('a read-only location (sysfs) is named with its fix', () => {
    expect(() => checkWritable('/sys/hnn-test/out', 'folder')).toThrow(/\/sys.* is not writable \(E[A-Z]+\); choose another --out/);
  });

  it('maps errno codes to a message with the path and a fix', () => {
    const err = Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write', path: '/data/run/weights.bin' });
    expect(fileSystemMessage(err)).toBe(
      'cannot write /data/run/weights.bin: no space left on the device (ENOSPC); free some disk space or choose another disk',
    );
    const acc = Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open', path: '/root/x' });
    expect(fileSystemMessage(acc)).toBe(
      'cannot open /root/x: permission denied (EACCES); choose a path you can write, or fix its permissions',
    );
    const xdev = Object.assign(new Error('x'), { code: 'EXDEV', syscall: 'rename', path: '/tmp/a', dest: '/data/b' });
    expect(fileSystemMessage(xdev)).toBe(
      'cannot rename /tmp/a -> /data/b: the path crosses file systems (EXDEV); keep the output on one disk',
    );
    expect(fileSystemMessage(Object.assign(new Error('x'), { code: 'EMFILE' }))).toBe(
      'file error on: too many open files (EMFILE); raise the open-file limit (ulimit -n) or close other programs',
    );
    expect(fileSystemMessage(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeNull();
    expect(fileSystemMessage(new Error('plain'))).toBeNull();
  });

  it("commander's own errors use the same prefix on one line; --version answers", () => {
    expectOneLineError(
      hnn(['generate', 'spring', '--out', join(root, 'x'), '--bogus']),
      /^hnn: error: unknown option '--bogus' \(see `hnn --help`\)/,
    );
    expectOneLineError(hnn(['frobnicate']), /^hnn: error: unknown command 'frobnicate'/);
    const v = hnn(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a reader closing the output pipe early ends the command with one line (EPIPE)', async () => {
    const out = join(root, 'epipe');
    const child = spawn(process.execPath, [BIN, 'generate', 'spring', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away before the command prints
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(141);
    expect(stderr.trim()).toBe('hnn: error: standard output was closed by its reader (EPIPE); the command stopped');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true); // the dataset was complete before the print
  });
});
