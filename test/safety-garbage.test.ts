// Problem 3 of the reliability issue: no garbage that looks finished. NaN labels used to give
// `energyMse: null`, zero test rows null losses, labels of the wrong width were accepted, and a
// manifest whose parameters disagree with its arrays was evaluated on the wrong trial boundaries,
// all exiting 0 with a metrics.json. Each is now refused when the dataset is read, and training
// stops at the first non-finite loss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoop } from '../src/train/loop.ts';
import { checkMetricsFinite } from '../src/pipeline/metrics.ts';
import { UserError } from '../src/util/errors.ts';
import { expectOneLineError, hnn } from './helpers/cli.ts';
import { editArray } from './helpers/datasets.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-garbage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pixel = join(root, 'pixel');

function variant(name: string): string {
  const dir = join(root, name);
  cpSync(pixel, dir, { recursive: true });
  return dir;
}

const trainPixel = (data: string, out: string) =>
  hnn(['train', '--task', 'pixel-pendulum', '--steps', '3', '--data', data, '--out', join(root, out), '--quiet', '--backend', 'cpu']);

beforeAll(() => {
  expect(hnn(['generate', 'pixel-pendulum', '--out', pixel, '--trials', '5', '--frames', '7', '--size', '8']).code).toBe(0);
});

describe('datasets are checked against themselves when read', () => {
  it('refuses a NaN label', () => {
    const dir = variant('nan-label');
    editArray(dir, 'testLabels', (d, shape) => {
      d[4] = NaN;
      return { data: d, shape };
    });
    expectOneLineError(trainPixel(dir, 'o1'), /testLabels\.npy holds a non-finite value \(NaN\)/);
    expect(existsSync(join(root, 'o1', 'metrics.json'))).toBe(false);
  });

  it('refuses labels of the wrong width', () => {
    const dir = variant('narrow-labels');
    editArray(dir, 'trainLabels', (d, shape) => ({ data: d.slice(0, shape[0] * 2), shape: [shape[0], 2] }));
    expectOneLineError(trainPixel(dir, 'o2'), /trainLabels has shape \[16,2\], but trials 5, frames 7 and size 8 make it \[16,3\]/);
  });

  it('refuses a manifest whose parameters disagree with the arrays', () => {
    const dir = variant('wrong-steps');
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.params.frames = 6; // the arrays hold 4 samples per trial, this would cut trials at 3
    writeFileSync(path, JSON.stringify(m));
    expectOneLineError(trainPixel(dir, 'o3'), /trainPixels has shape \[16,128\], but trials 5, frames 6 and size 8 make it \[12,128\]/);
  });

  it('refuses a state dataset without test rows', () => {
    const dir = join(root, 'no-test');
    expect(hnn(['generate', 'pendulum', '--out', dir]).code).toBe(0);
    for (const name of ['testX', 'testDx']) editArray(dir, name, () => ({ data: new Float64Array(0), shape: [0, 2] }));
    editArray(dir, 'testT', () => ({ data: new Float64Array(0), shape: [0] }));
    const r = hnn(['train', '--task', 'pendulum', '--steps', '5', '--data', dir, '--out', join(root, 'o4'), '--backend', 'cpu']);
    expectOneLineError(r, /1125 train and 0 test rows/);
  });
});

describe('nothing non-finite is reported as finished', () => {
  it('training stops at the first non-finite loss, naming the step and the term', async () => {
    let i = 0;
    const run = runLoop({ updates: 10, step: () => ({ loss: ++i < 4 ? 1 / i : NaN, recon: 0.5 }), label: 'pixel hnn', quiet: true });
    await expect(run).rejects.toThrow(
      new UserError(
        'pixel hnn: training diverged at step 3: the loss loss on the training batch is NaN; lower the learning rate or the loss weights, or check the dataset (nothing was written as finished)',
      ),
    );
  });

  it('metrics with a non-finite headline number are not written', () => {
    const ok = { trainLoss: { mean: 1 }, testLoss: { mean: 2 }, energyMse: { mean: 3 } };
    expect(() => checkMetricsFinite(ok)).not.toThrow();
    expect(() => checkMetricsFinite({ ...ok, energyMse: { mean: NaN } })).toThrow(/energyMse\.mean = NaN, not a finite number/);
    expect(() => checkMetricsFinite({ ...ok, testLoss: {} })).toThrow(/testLoss\.mean = undefined/);
  });
});
