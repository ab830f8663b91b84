// Problem 1 of the reliability issue: outputs are never destroyed unasked. `generate` used to remove
// whatever --out was when it held no manifest.json: a user's file, a folder of user files, a
// finished training run, the current folder. Each case must now be refused, with or without
// --force, leaving every byte in place.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectOneLineError, hnn } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function userFolder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'my notes');
  mkdirSync(join(dir, 'photos'));
  writeFileSync(join(dir, 'photos', 'a.png'), 'png bytes');
  return dir;
}

function snapshot(dir: string): string {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [`${join(d, e.name)}:${readFileSync(join(d, e.name), 'base64')}`],
    );
  return walk(dir).sort().join('\n');
}

describe('outputs are never destroyed unasked', () => {
  it('refuses a folder of user files, with and without --force, and leaves it untouched', () => {
    const dir = userFolder('mine');
    const before = snapshot(dir);
    expectOneLineError(hnn(['generate', 'spring', '--out', dir]), /holds files hnn did not make \(.*notes\.txt/);
    expectOneLineError(hnn(['generate', 'spring', '--out', dir, '--force']), /holds files hnn did not make/);
    expect(snapshot(dir)).toBe(before);
    expect(readdirSync(root).filter((n) => n.startsWith('mine.'))).toEqual([]); // no lock or partial left beside it
  });

  it('refuses a user file as --out', () => {
    const file = join(root, 'paper.pdf');
    writeFileSync(file, 'pdf bytes');
    expectOneLineError(hnn(['generate', 'spring', '--out', file, '--force']), /is a file, not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('pdf bytes');
  });

  it('refuses the current folder when it holds anything', () => {
    const cwd = userFolder('cwd');
    const before = snapshot(cwd);
    expectOneLineError(hnn(['generate', 'spring', '--out', '.', '--force'], { cwd }), /holds files hnn did not make/);
    expect(snapshot(cwd)).toBe(before);
  });

  it('never replaces a finished training run with a dataset, nor a dataset with a run', () => {
    const data = join(root, 'spring-data');
    expect(hnn(['generate', 'spring', '--out', data]).code).toBe(0);
    const run = join(root, 'run');
    expect(
      hnn(['train', '--task', 'spring', '--model', 'baseline', '--steps', '5', '--data', data, '--out', run, '--quiet', '--backend', 'cpu'])
        .code,
    ).toBe(0);
    const before = snapshot(run);
    expectOneLineError(hnn(['generate', 'spring', '--out', run, '--force']), /holds a training run, not a dataset; .*even with --force/);
    expect(snapshot(run)).toBe(before);
    const dataBefore = snapshot(data);
    expectOneLineError(
      hnn(['train', '--task', 'spring', '--steps', '5', '--data', data, '--out', data, '--force', '--backend', 'cpu']),
      /holds a dataset, not a training run/,
    );
    expect(snapshot(data)).toBe(dataBefore);
  });

  it('writes into an empty folder, and replaces its own dataset only with --force', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    expect(hnn(['generate', 'spring', '--out', dir, '--seed', '1']).code).toBe(0);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    const first = readFileSync(join(dir, 'trainX.npy'));
    expectOneLineError(hnn(['generate', 'spring', '--out', dir, '--seed', '2']), /already holds a dataset; .*--force/);
    expect(readFileSync(join(dir, 'trainX.npy'))).toEqual(first);
    expect(hnn(['generate', 'spring', '--out', dir, '--seed', '2', '--force']).code).toBe(0);
    expect(readFileSync(join(dir, 'trainX.npy'))).not.toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).seed).toBe(2);
    expect(readdirSync(root).filter((n) => n.startsWith('empty.'))).toEqual([]); // nothing left beside it
  });
});
