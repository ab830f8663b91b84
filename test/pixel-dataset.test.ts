import { describe, expect, it, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readDataset, type DatasetManifest } from '../datasets/format.ts';
import {
  generatePixelDataset as generate,
  outdatedDataset,
  PREVIEW_GIF,
  PREVIEW_PNG,
  renderTruth,
  resolvePixelParams,
  sampleInitialStates,
  testTrialCount,
  type PixelDatasetOptions,
} from '../datasets/pixel.ts';
import { gymPendulum, pendulumSystem } from '../src/systems/pendulum.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { pixelTasks } from '../src/tasks/registry.ts';
import { pixelTwoBodyTask } from '../src/tasks/builtin/two-body.ts';
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

describe('every pixel system, in colour and with random parameters', () => {
  it('generates each pixel task deterministically, with the documented shapes', async () => {
    for (const task of pixelTasks()) {
      const dir = join(root, `all-${task.name}`);
      const m = await generate(task, { out: dir, trials: 5, frames: 8, size: 12, seed: 2, quiet: true, samples: 2 });
      const per = 8 - 3;
      const nTest = testTrialCount(5, task.data.testFraction);
      expect(m.arrays.trainPixels.shape).toEqual([(5 - nTest) * per, 2 * 144]);
      expect(m.arrays.trialStates.shape).toEqual([5, 8, task.system.dim]);
      expect(m.arrays.testLabels.shape[1]).toBe(task.system.dim + (task.data.extraLabels?.length ?? 0));
      const again = join(root, `all-${task.name}-again`);
      await generate(task, { out: again, trials: 5, frames: 8, size: 12, seed: 2, quiet: true, samples: 2 });
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.npy')))
        expect(readFileSync(join(again, f))).toEqual(readFileSync(join(dir, f)));
      // every trial's frames show something: the system is drawn inside the frame
      const frames = readDataset(dir).arrays.testFrames.data as Float32Array;
      for (let f = 0; f < 8; f++) expect(frames.subarray(f * 144, (f + 1) * 144).some((v) => v > 0.5)).toBe(true);
    }
  });

  it('the two bodies are drawn legibly: discs of about 3 px that stay inside the frame', async () => {
    const dir = join(root, 'two-body-scene');
    const m = await generate(pixelTwoBodyTask, { out: dir, trials: 40, frames: 103, size: 28, seed: 0, quiet: true });
    expect(m.params).toMatchObject({ sceneVersion: 2 });
    const frames = readDataset(dir).arrays.testFrames.data as Float32Array;
    const count = frames.length / 784;
    let lit = 0;
    let edge = 0;
    for (let f = 0; f < count; f++) {
      const frame = frames.subarray(f * 784, (f + 1) * 784);
      lit += frame.filter((v) => v > 0.5).length;
      // a disc touching the border: any bright pixel in the outermost ring
      for (let i = 0; i < 28; i++) {
        if ([frame[i], frame[27 * 28 + i], frame[i * 28], frame[i * 28 + 27]].some((v) => v > 0.05)) {
          edge++;
          break;
        }
      }
    }
    // two discs of radius 2.8 px cover about 2 x 24.6 px; the old 2-px discs covered 2 x 12.3
    expect(lit / count).toBeGreaterThan(35);
    expect(edge / count).toBeLessThan(0.01);
  });

  it('refuses a dataset drawn by another version of its scene', async () => {
    const dir = join(root, 'two-body-old-scene');
    await generate(pixelTwoBodyTask, { out: dir, trials: 3, frames: 6, size: 12, seed: 1, quiet: true, samples: 2 });
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { params: Record<string, unknown> };
    delete manifest.params.sceneVersion;
    writeFileSync(path, JSON.stringify(manifest));
    expect(() => renderTruth(dir, 0, 4)).toThrow(
      /drawn by version 1 of its scene, and this version of hnn draws version 2; generate it again/,
    );
    // a reproduction also refuses another frame interval (the spring's frames were 0.05 apart before)
    const spring = (frameDt: number) => ({ kind: 'pixel-spring', seed: 0, params: { frameDt } }) as unknown as DatasetManifest;
    expect(outdatedDataset(spring(0.05))).toBe("this pixel-spring dataset's frames are 0.05 apart, and this version's are 0.1");
    expect(outdatedDataset(spring(0.1))).toBeNull();
  });

  it('colour frames are RGB, channels last, and their truth re-renders exactly', async () => {
    const dir = join(root, 'colour');
    const m = await generatePixelDataset({ out: dir, trials: 5, frames: 8, size: 12, seed: 1, quiet: true, colour: true });
    expect(m.params).toMatchObject({ channels: 3 });
    expect(m.arrays.trainPixels.shape).toEqual([4 * 5, 2 * 144 * 3]);
    const ds = readDataset(dir);
    const stored = (ds.arrays.testFrames.data as Float32Array).subarray(0, 8 * 432);
    expect(Array.from(renderTruth(ds, 0, 8).frames)).toEqual(Array.from(stored));
    // a colour frame is not grey: some pixel has unequal channels (the bob is yellow)
    let coloured = false;
    for (let i = 0; i < 432; i += 3) if (Math.abs(stored[i] - stored[i + 2]) > 0.3) coloured = true;
    expect(coloured).toBe(true);
    const png = await sharp(readFileSync(join(dir, PREVIEW_PNG))).metadata();
    expect(png.channels).toBe(3);
  });

  it('random parameters are drawn per trial within their ranges, recorded in the labels, and used for the truth', async () => {
    const dir = join(root, 'random');
    const m = await generatePixelDataset({ out: dir, trials: 6, frames: 10, size: 16, seed: 5, quiet: true, randomParams: true });
    expect(m.randomParams).toEqual({ mass: [0.5, 1.5], length: [0.7, 1] });
    const ds = readDataset(dir);
    const params = ds.arrays.trialParams.data as Float64Array;
    expect(ds.arrays.trialParams.shape).toEqual([6, 2]);
    for (let t = 0; t < 6; t++) {
      expect(params[2 * t]).toBeGreaterThanOrEqual(0.5);
      expect(params[2 * t]).toBeLessThan(1.5);
      expect(params[2 * t + 1]).toBeGreaterThanOrEqual(0.7);
      expect(params[2 * t + 1]).toBeLessThan(1);
    }
    expect(new Set(Array.from(params)).size).toBe(12);
    // labels: phi, omega, p_ref, mass, length; test trial 0's rows carry trial 0's parameters
    const labels = ds.arrays.testLabels.data as Float64Array;
    expect(ds.arrays.testLabels.shape[1]).toBe(5);
    expect(Array.from(labels.subarray(3, 5))).toEqual(Array.from(params.subarray(0, 2)));
    // the truth re-rendered from the recorded parameters is the stored trial, bit for bit
    const truth = renderTruth(ds, 0, 10);
    expect(Array.from(truth.frames)).toEqual(Array.from((ds.arrays.testFrames.data as Float32Array).subarray(0, 10 * 256)));
    expect(truth.system.params).toEqual({ mass: params[0], length: params[1], gravity: 15 });
    // shorter rods swing faster: each trial conserves its own energy
    const states = ds.arrays.trialStates.data as Float64Array;
    for (let t = 0; t < 6; t++) {
      const sys = pendulumSystem({ mass: params[2 * t], length: params[2 * t + 1], gravity: 15 });
      const e = (f: number) => sys.energy(states.subarray((t * 10 + f) * 2, (t * 10 + f + 1) * 2));
      expect(Math.abs(e(9) - e(0)) / e(0)).toBeLessThan(1e-8);
    }
    await expect(
      generate(
        pixelTasks().find((t) => !t.data.randomParams)!,
        { out: join(root, 'no-random'), randomParams: true, quiet: true },
      ),
    ).rejects.toThrow(/has no random-parameter variant/);
  });
});
