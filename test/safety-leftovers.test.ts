// Problem 8 of the reliability issue: no leftovers, no half-results. `--force` used to remove the old
// dataset before the new one was in place, previews were written after the dataset was published,
// `*.partial-<pid>/` folders and `*.<pid>.tmp` files were never cleaned, a stale checkpoint could stay
// in a finished folder, `hnn rollout` accepted an unfinished run, and seeds >= 2^32 wrapped around
// onto seed 0's bytes while the manifest recorded the large seed.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatasetOutput } from '../datasets/format.ts';
import { recoverLeftovers } from '../src/util/output.ts';
import { expectOneLineError, hnn } from './helpers/cli.ts';
import { DEAD_PID, scratchFolder } from './helpers/scratch.ts';

const root = scratchFolder('hnn-safety-left-');

describe('replacement publishes first, and killed runs leave nothing that lasts', () => {
  it('--force keeps the old dataset until the new one is complete', () => {
    const dir = join(root, 'ds');
    expect(hnn(['generate', 'spring', '--out', dir, '--seed', '1']).code).toBe(0);
    const old = readFileSync(join(dir, 'trainX.npy'));
    // a replacement that dies before it writes: the old dataset is untouched, the build removed
    const out = openDatasetOutput(dir, { force: true });
    expect(existsSync(out.partial)).toBe(true);
    out.release();
    expect(readFileSync(join(dir, 'trainX.npy'))).toEqual(old);
    expect(existsSync(out.partial)).toBe(false);
    // a kill between the two renames of a publish: the next run puts the old dataset back
    renameSync(dir, `${dir}.replaced-${DEAD_PID}`);
    mkdirSync(`${dir}.partial-${DEAD_PID}`);
    writeFileSync(join(`${dir}.partial-${DEAD_PID}`, 'trainX.npy'), 'half');
    expect(recoverLeftovers(dir)).toHaveLength(2);
    expect(readFileSync(join(dir, 'trainX.npy'))).toEqual(old);
    expect(readdirSync(root).filter((n) => n.startsWith('ds.'))).toEqual([]);
  });

  it('publishes a pixel dataset with its previews, and cleans what killed writers left', () => {
    const dir = join(root, 'pix');
    mkdirSync(`${dir}.partial-${DEAD_PID}`); // a build killed earlier
    expect(hnn(['generate', 'pixel-pendulum', '--out', dir, '--trials', '4', '--frames', '6', '--size', '8']).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['manifest.json', 'preview.gif', 'preview.png']));
    expect(existsSync(`${dir}.partial-${DEAD_PID}`)).toBe(false);
    writeFileSync(join(dir, `manifest.json.${DEAD_PID}.tmp`), '{');
    expect(hnn(['generate', 'pixel-pendulum', '--out', dir, '--trials', '4', '--frames', '6', '--size', '8', '--force']).code).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('removes a stale checkpoint from a finished run, and refuses to roll out an unfinished one', () => {
    const data = join(root, 'pdata');
    expect(hnn(['generate', 'pixel-pendulum', '--out', data, '--trials', '5', '--frames', '8', '--size', '8']).code).toBe(0);
    const run = join(root, 'prun');
    expect(
      hnn([
        'train',
        '--task',
        'pixel-pendulum',
        '--model',
        'hnn',
        '--steps',
        '2',
        '--data',
        data,
        '--out',
        run,
        '--quiet',
        '--backend',
        'cpu',
      ]).code,
    ).toBe(0);
    // a kill between writing metrics.json and removing the checkpoint
    writeFileSync(join(run, 'checkpoint.bin'), 'stale');
    expectOneLineError(
      hnn(['train', '--task', 'pixel-pendulum', '--steps', '2', '--data', data, '--out', run]),
      /already holds a finished result/,
    );
    expect(existsSync(join(run, 'checkpoint.bin'))).toBe(false);
    // an unfinished run (no metrics.json) is not rolled out
    const unfinished = join(root, 'unfinished');
    cpSync(run, unfinished, { recursive: true });
    rmSync(join(unfinished, 'metrics.json'));
    expectOneLineError(
      hnn(['rollout', '--model', unfinished, '--data', data, '--out', join(root, 'u.gif'), '--frames', '5']),
      /unfinished training run \(no metrics\.json\)/,
    );
  });

  it('refuses seeds the generators cannot honour instead of wrapping them onto seed 0', () => {
    expectOneLineError(
      hnn(['generate', 'spring', '--out', join(root, 'big-seed'), '--seed', String(2 ** 32)]),
      /--seed must be at most 4294967295/,
    );
    const max = join(root, 'max-seed');
    expect(hnn(['generate', 'two-body', '--out', max, '--seed', String(2 ** 32 - 1)]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(max, 'manifest.json'), 'utf8')).seed).toBe(2 ** 32 - 1);
    const zero = join(root, 'zero-seed');
    expect(hnn(['generate', 'two-body', '--out', zero, '--seed', '0']).code).toBe(0);
    expect(readFileSync(join(max, 'trainX.npy'))).not.toEqual(readFileSync(join(zero, 'trainX.npy')));
  });
});
