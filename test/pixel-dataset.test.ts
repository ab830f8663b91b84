import { describe, expect, it, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readDataset } from '../datasets/format.ts';
import {
  generatePixelDataset as generate,
  PREVIEW_GIF,
  PREVIEW_PNG,
  renderTruth,
  resolvePixelParams,
  sampleInitialStates,
  testTrialCount,
  type PixelDatasetOptions,
} from '../datasets/pixel.ts';
import { gymPendulum, pixelPendulumTask } from '../src/systems/pendulum.ts';
import { UserError } from '../src/util/errors.ts';

const TASK = pixelPendulumTask.name;
const generatePixelDataset = (o: PixelDatasetOptions) => generate(pixelPendulumTask, o);
const pendulumEnergy = (phi: number, omega: number) => gymPendulum.energy(Float64Array.of(phi, omega));
const renderPixelTruth = (ds: Parameters<typeof renderTruth>[0], trial: number, count: number, start = 0) =>
  renderTruth(ds, trial, count, start).frames;

const root = mkdtempSync(join(tmpdir(), 'pixel-ds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small = { trials: 10, frames: 13, size: 16, seed: 3, quiet: true } as const;

describe('pixel-pendulum dataset', () => {
  it('generate -> write -> read round trip with the documented layout', async () => {
    const dir = join(root, 'small');
    const manifest = await generatePixelDataset({ out: dir, ...small });
    const { manifest: m, arrays } = readDataset(dir, TASK);
    expect(m).toEqual(JSON.parse(JSON.stringify(manifest)));
    const NN = 16 * 16;
    const per = 13 - 3;
    const nTest = testTrialCount(10);
    expect(nTest).toBe(2);
    expect(arrays.trainPixels.shape).toEqual([8 * per, 2 * NN]);
    expect(arrays.trainNextPixels.shape).toEqual([8 * per, 2 * NN]);
    expect(arrays.testPixels.shape).toEqual([2 * per, 2 * NN]);
    expect(arrays.testNextPixels.shape).toEqual([2 * per, 2 * NN]);
    expect(arrays.trainLabels.shape).toEqual([8 * per, 3]);
    expect(arrays.testFrames.shape).toEqual([2, 13, NN]);
    expect(arrays.trialStates.shape).toEqual([10, 13, 2]);
    expect(arrays.trainPixels.data).toBeInstanceOf(Float32Array);
    expect(m.params).toMatchObject({ trials: 10, frames: 13, size: 16, engine: 'ode', seed: 3 });
    expect(m.ideal).toBe(true);
    expect((m.source as { conservative: boolean }).conservative).toBe(true);
    expect(m.counts).toMatchObject({ trainSamples: 80, testSamples: 20, samplesPerTrial: 10 });

    // Sample k of test trial t = [frame k+1 | frame k+2]; next = [frame k+2 | frame k+3]; label at frame k+2.
    const frames = arrays.testFrames.data as Float32Array;
    const states = arrays.trialStates.data as Float64Array;
    for (const [t, k] of [
      [0, 0],
      [1, 9],
      [0, 4],
    ]) {
      const row = (t * per + k) * 2 * NN;
      const f = (idx: number) => Array.from(frames.subarray((t * 13 + idx) * NN, (t * 13 + idx + 1) * NN));
      expect(Array.from(arrays.testPixels.data.subarray(row, row + NN))).toEqual(f(k + 1));
      expect(Array.from(arrays.testPixels.data.subarray(row + NN, row + 2 * NN))).toEqual(f(k + 2));
      expect(Array.from(arrays.testNextPixels.data.subarray(row, row + NN))).toEqual(f(k + 2));
      expect(Array.from(arrays.testNextPixels.data.subarray(row + NN, row + 2 * NN))).toEqual(f(k + 3));
      const lab = Array.from(arrays.testLabels.data.subarray((t * per + k) * 3, (t * per + k + 1) * 3));
      const s = (t * 13 + k + 2) * 2;
      expect(lab).toEqual([states[s], states[s + 1], 0.25 * states[s + 1]]);
    }
    // The next pair is the same pair one step later: next[k] == pixels[k+1] within a trial (train too).
    const rowLen = 2 * NN;
    expect(Array.from(arrays.trainNextPixels.data.subarray(3 * rowLen, 4 * rowLen))).toEqual(
      Array.from(arrays.trainPixels.data.subarray(4 * rowLen, 5 * rowLen)),
    );
    // Train trials are the last 80%: train sample 0 is trial 2's frames 1, 2.
    const trial2 = renderPixelTruth(dir, 2, 2, 1);
    expect(Array.from(arrays.trainPixels.data.subarray(0, rowLen))).toEqual(Array.from(trial2));

    const px = arrays.trainPixels.data;
    let lo = Infinity,
      hi = -Infinity;
    for (const v of px) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // Exact source: energy conserved along every trial to 1e-6 relative.
    for (let t = 0; t < 10; t++) {
      const e0 = pendulumEnergy(states[t * 26], states[t * 26 + 1]);
      for (let f = 1; f < 13; f++)
        expect(Math.abs(pendulumEnergy(states[t * 26 + 2 * f], states[t * 26 + 2 * f + 1]) - e0) / e0).toBeLessThan(1e-6);
    }
    expect((m.source as { energy: { maxRelativeDriftAlongTrials: number } }).energy.maxRelativeDriftAlongTrials).toBeLessThan(1e-6);
  });

  it('writes a grey PNG contact sheet and an animated GIF of trial 0', async () => {
    const dir = join(root, 'small');
    const png = await sharp(readFileSync(join(dir, PREVIEW_PNG))).metadata();
    expect(png.format).toBe('png');
    expect(png.channels).toBe(1);
    const gif = await sharp(readFileSync(join(dir, PREVIEW_GIF)), { animated: true }).metadata();
    expect(gif.format).toBe('gif');
    expect(gif.pages).toBe(13);
  });

  it('renders the true continuation of any trial beyond the stored frames', () => {
    const dir = join(root, 'small');
    const ds = readDataset(dir, TASK);
    const long = renderPixelTruth(ds, 1, 40);
    expect(long.length).toBe(40 * 256);
    const stored = ds.arrays.testFrames.data.subarray(13 * 256, 26 * 256);
    expect(Array.from(long.subarray(0, 13 * 256))).toEqual(Array.from(stored));
    const tail = renderPixelTruth(ds, 1, 5, 35);
    expect(Array.from(tail)).toEqual(Array.from(long.subarray(35 * 256)));
    expect(() => renderPixelTruth(ds, 10, 5)).toThrow(UserError);
  });

  it('same seed gives identical bytes; another seed differs', async () => {
    const a = join(root, 'a'),
      b = join(root, 'b'),
      c = join(root, 'c');
    await generatePixelDataset({ out: a, ...small });
    await generatePixelDataset({ out: b, ...small });
    await generatePixelDataset({ out: c, ...small, seed: 4 });
    const files = readdirSync(a).sort();
    expect(files).toEqual(readdirSync(b).sort());
    expect(files).toContain('manifest.json');
    for (const f of files) expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f))), f).toBe(0);
    expect(Buffer.compare(readFileSync(join(a, 'trainPixels.npy')), readFileSync(join(c, 'trainPixels.npy')))).not.toBe(0);
  });

  it('samples initial states as documented: |phi0| in (0, pi/6), dphi/dt in [-1, 1)', () => {
    const s = sampleInitialStates(TASK, 2000, 0);
    let neg = 0;
    for (let t = 0; t < 2000; t++) {
      expect(Math.abs(s[2 * t])).toBeGreaterThan(0);
      expect(Math.abs(s[2 * t])).toBeLessThan(Math.PI / 6);
      expect(Math.abs(s[2 * t + 1])).toBeLessThanOrEqual(1);
      if (s[2 * t] < 0) neg++;
    }
    expect(neg).toBeGreaterThan(900);
    expect(neg).toBeLessThan(1100);
    expect(Array.from(sampleInitialStates(TASK, 5, 7))).toEqual(Array.from(sampleInitialStates(TASK, 5, 7)));
  });

  it('the matter-js source is labelled non-conservative, its energy loss is recorded, and it never makes an "ideal" dataset', async () => {
    const dir = join(root, 'matter');
    const m = await generatePixelDataset({ out: dir, ...small, engine: 'matter' });
    expect(m.ideal).toBe(false);
    expect(m.label).toMatch(/NON-CONSERVATIVE/);
    const src = m.source as { conservative: boolean; engine: string; energy: { meanRelativeLossPerTrial: number } };
    expect(src.engine).toBe('matter');
    expect(src.conservative).toBe(false);
    expect(src.energy.meanRelativeLossPerTrial).toBeGreaterThan(0);
    const loss = readDataset(dir).arrays.trialEnergyLoss.data;
    expect(Array.from(loss).every((v) => v > 0)).toBe(true);
    await expect(generatePixelDataset({ out: join(root, 'pixel-ideal'), ...small, engine: 'matter' })).rejects.toThrow(
      /not energy-conserving/,
    );
    expect(existsSync(join(root, 'pixel-ideal'))).toBe(false);
  });

  it('rejects bad options with a clear message', () => {
    expect(() => resolvePixelParams(pixelPendulumTask, { trials: 1 })).toThrow(/trials must be an integer >= 2/);
    expect(() => resolvePixelParams(pixelPendulumTask, { frames: 3 })).toThrow(/frames must be an integer >= 4/);
    expect(() => resolvePixelParams(pixelPendulumTask, { engine: 'bullet' })).toThrow(/engine must be one of ode, matter/);
    expect(() => resolvePixelParams(pixelPendulumTask, { seed: 2 ** 32 })).toThrow(/seed must be at most 4294967295/);
  });

  it('generates the default dataset (200 trials x 103 frames, 20000 samples of 2 x 28 x 28)', async () => {
    const dir = join(root, 'default');
    const m = await generatePixelDataset({ out: dir, quiet: true });
    expect(m.arrays.trainPixels.shape).toEqual([16000, 1568]);
    expect(m.arrays.trainNextPixels.shape).toEqual([16000, 1568]);
    expect(m.arrays.testPixels.shape).toEqual([4000, 1568]);
    expect(m.arrays.testNextPixels.shape).toEqual([4000, 1568]);
    expect(m.arrays.testFrames.shape).toEqual([40, 103, 784]);
    expect(statSync(join(dir, 'trainPixels.npy')).size).toBe(128 + 16000 * 1568 * 4);
    rmSync(dir, { recursive: true, force: true });
  });
});
