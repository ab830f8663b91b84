// Rollouts of pixel models: the metric helpers (VPT, latent map, latent integration) and the
// `hnn rollout` pipeline, whose video must read back with the expected frame count and size.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePixelDataset as generate, type PixelDatasetOptions } from '../datasets/pixel.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';

const generatePixelDataset = (o: PixelDatasetOptions) => generate(pixelPendulumTask, o);
import {
  applyLatentMap,
  decodeLatents,
  encodeRows,
  fitLatentMap,
  latentField,
  latentRollout,
  meanPeriod,
  normalisedErrors,
  pixelRollout,
  projectedRollouts,
  validPredictionTime,
} from '../src/eval/pixel.ts';
import { step as leapfrogStep } from '../src/integrate/leapfrog.ts';
import { loadPixelModel } from '../models/storage.ts';
import { composeLayout, hasFfmpeg, readVideoInfo } from '../src/media/video.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { fitTrainMap } from '../src/eval/pixel-evaluation.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';
import { rolloutScoring, rolloutTrial, trialTruth } from '../src/eval/pixel-trials.ts';
import { findPixelModels, pixelModelFolder, runRollout } from '../src/pipeline/rollout.ts';
import { Rng } from '../src/util/rng.ts';
import { packageRoot } from '../src/util/package-root.ts';
import { LatentRolloutHelper, rolloutLatents } from '../src/eval/latent-pool.ts';
import type { LatentRollout } from '../src/eval/latent-rollout.ts';

/** `rows` latents of `dim` standard normals from `rng`, row-major, then each row's labels from `label` (called in row order). */
function latentsAndLabels(rng: Rng, rows: number, dim: number, label: (z: Float64Array) => number[]) {
  const z = new Float64Array(dim * rows).map(() => rng.normal());
  const labels = Float64Array.from(Array.from({ length: rows }, (_, r) => label(z.subarray(dim * r, dim * (r + 1)))).flat());
  return { z, labels };
}

describe('rollout metrics', () => {
  it('VPT is the first frame whose normalised error exceeds 0.025', () => {
    expect(validPredictionTime([0, 0.01, 0.025, 0.03, 0])).toBe(3);
    expect(validPredictionTime([0, 0.01])).toBe(2);
    expect(validPredictionTime([NaN, 0])).toBe(0); // a diverged prediction is not valid
    const truth = new Float32Array([1, 1, 1, 1]);
    const pred = new Float32Array([1, 1, 1, 0.5]);
    expect(Array.from(normalisedErrors(truth, pred, 2, 2))).toEqual([0, 0.125]);
  });

  it('the swing period is the mean interval between upward crossings of the mean', () => {
    // 200 frames of a swing with a period of 32.49 frames and an offset: steady, then decaying
    const period = 32.49;
    const swing = (decay: number) =>
      Float64Array.from({ length: 200 }, (_, f) => 0.3 + Math.exp(-f / decay) * Math.sin((2 * Math.PI * f) / period + 0.4));
    expect(Math.abs(meanPeriod(swing(Infinity)) / period - 1)).toBeLessThan(1e-3);
    // a decaying swing crosses its overall mean a little off its centre line: still within 1%
    expect(Math.abs(meanPeriod(swing(150)) / period - 1)).toBeLessThan(1e-2);
    // crossings by hand: -1, 1, -1, 1, -1 crosses its mean (-0.2) upward at 0.5 and 2.5
    expect(meanPeriod([-1, 1, -1, 1, -1])).toBe(2);
    expect(meanPeriod([0, 1, 2, 3])).toBeNaN(); // never swings back
  });

  it('the latent map recovers an exact affine relation', () => {
    const rng = new Rng(4);
    const rows = 50;
    // labels: the state (q, p), then an extra column the map must ignore
    const { z, labels } = latentsAndLabels(rng, rows, 2, ([a, b]) => [0.5 * a - 0.2 * b + 0.1, -0.3 * a + 0.7 * b - 0.05, rng.normal()]);
    const map = fitLatentMap(z, labels, rows, 3, 2);
    const [q, p] = applyLatentMap(map, [1, 2]);
    expect(q).toBeCloseTo(0.5 - 0.4 + 0.1, 10);
    expect(p).toBeCloseTo(-0.3 + 1.4 - 0.05, 10);
    expect(map.r2[0]).toBeCloseTo(1, 10);
    // a 4-D latent onto a 4-D state works the same way
    const { z: z4, labels: l4 } = latentsAndLabels(rng, rows, 4, (zr) => [0, 1, 2, 3].map((c) => (c + 1) * zr[(c + 1) % 4] - c));
    const m4 = fitLatentMap(z4, l4, rows, 4, 4);
    expect(Array.from(applyLatentMap(m4, [1, 1, 1, 1])).map((v) => +v.toFixed(9))).toEqual([1, 1, 1, 1]);
    expect(m4.quadratic).toBeUndefined(); // saved as before quadratic maps existed
  });

  it('a quadratic latent map recovers products an affine one cannot', () => {
    const rows = 80;
    // state = (z0 z1 + 0.5 z0 - 1, z1^2 - 0.25), no noise
    const { z, labels } = latentsAndLabels(new Rng(5), rows, 2, ([a, b]) => [a * b + 0.5 * a - 1, b * b - 0.25]);
    const quad = fitLatentMap(z, labels, rows, 2, 2, 'quadratic');
    expect(quad.quadratic).toBe(true);
    expect(quad.coef[0]).toHaveLength(2 + 3 + 1); // z0, z1, z0^2, z0 z1, z1^2, offset
    const [x, y] = applyLatentMap(quad, [0.3, -2]);
    expect(x).toBeCloseTo(0.3 * -2 + 0.15 - 1, 9);
    expect(y).toBeCloseTo(4 - 0.25, 9);
    expect(quad.r2[1]).toBeCloseTo(1, 9);
    // the affine fit of the same data explains little of the square
    expect(fitLatentMap(z, labels, rows, 2, 2).r2[1]).toBeLessThan(0.2);
  });

  it('latent rollouts (RK45 and leapfrog) follow a harmonic oscillator', () => {
    const field = (_t: number, x: Float64Array) => Float64Array.from([x[1], -x[0]]);
    for (const integrator of ['rk45', 'leapfrog'] as const) {
      const r = latentRollout(field, Float64Array.from([1, 0]), 51, { integrator, dt: 0.1 });
      expect(r.reached).toBe(51);
      expect(r.z[100]).toBeCloseTo(Math.cos(5), integrator === 'rk45' ? 6 : 3);
      expect(r.z[101]).toBeCloseTo(-Math.sin(5), integrator === 'rk45' ? 6 : 3);
    }
    // a field that blows up: the rollout holds its last finite state instead of failing
    const bad = latentRollout((_t, x) => Float64Array.from([x[0] * x[0] * 1e3, 0]), Float64Array.from([1, 0]), 10, {
      integrator: 'leapfrog',
    });
    expect(bad.reached).toBeLessThan(10);
    expect(Array.from(bad.z).every(Number.isFinite)).toBe(true);
  });

  it('a projected latent rollout starts every frame from the projection of the last', () => {
    // state [q0, q1, p0, p1]: an oscillator in (q0, p0), and q1 drifting at speed 0.1; the projection zeroes q1
    const field = (_t: number, x: Float64Array) => Float64Array.of(x[2], 0.1, -x[0], 0);
    const project = (x: Float64Array) => Float64Array.of(x[0], 0, x[2], x[3]);
    const z0 = Float64Array.of(1, 0, 0, 0);
    for (const integrator of ['rk45', 'leapfrog-frame'] as const) {
      const free = latentRollout(field, z0, 51, { integrator, dt: 0.1 });
      const held = latentRollout(field, z0, 51, { integrator, dt: 0.1, project });
      expect(free.z[4 * 50 + 1]).toBeCloseTo(0.5, 9); // unprojected, q1 drifts 0.1 per time unit
      expect(held.reached).toBe(51);
      for (let f = 0; f < 51; f++) {
        expect(held.z[4 * f + 1]).toBe(0);
        // the oscillator's part is the unprojected rollout's: the projection leaves it alone
        expect(held.z[4 * f]).toBeCloseTo(free.z[4 * f], integrator === 'rk45' ? 6 : 12);
        expect(held.z[4 * f + 2]).toBeCloseTo(free.z[4 * f + 2], integrator === 'rk45' ? 6 : 12);
      }
      expect(held.z[200]).toBeCloseTo(Math.cos(5), integrator === 'rk45' ? 6 : 2);
    }
  });

  it('latent rollouts split with the helper thread give the bits of one thread, in order', async () => {
    // the helper runs the build (dist/), which npm test makes first
    expect(existsSync(join(packageRoot(), 'dist/src/eval/latent-worker.js'))).toBe(true);
    const rng = new Rng(9);
    const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
    const layer = (i: number, o: number) => ({ values: values(i * o, 1 / Math.sqrt(i)), shape: [i, o] });
    const bias = (o: number) => ({ values: values(o, 0.1), shape: [o] });
    const weights = { 'hnn/w0': layer(2, 16), 'hnn/b0': bias(16), 'hnn/w1': layer(16, 16), 'hnn/b1': bias(16), 'hnn/w2': layer(16, 1) };
    const z0s = Array.from({ length: 5 }, () => Float64Array.from([rng.normal(), rng.normal()]));
    const req = { kind: 'hnn' as const, weights, z0s, frames: 30, integrator: 'rk45' as const };
    const helper = new LatentRolloutHelper();
    let split: LatentRollout[] = [];
    try {
      split = await helper.begin(req).finish();
      const here = rolloutLatents(req);
      expect(split.map((r) => r.reached)).toEqual(here.map((r) => r.reached));
      split.forEach((r, i) => expect(Buffer.from(r.z.buffer).equals(Buffer.from(here[i].z.buffer))).toBe(true));
      // and the trials are not all alike (a mix-up of the order would show)
      expect(here[0].z[58]).not.toBe(here[1].z[58]);
    } finally {
      await helper.close();
    }
    // a run given one thread (a sweep worker at --threads 1) keeps its rollouts on its own thread
    const single = new LatentRolloutHelper(1);
    try {
      expect(single.threaded).toBe(false);
      const one = await single.begin(req).finish();
      one.forEach((r, i) => expect(Buffer.from(r.z.buffer).equals(Buffer.from(split[i].z.buffer))).toBe(true));
    } finally {
      await single.close();
    }
  });
});

describe('runRollout', () => {
  let dir: string;
  let ds: string;
  const SIZE = 8;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-'));
    ds = join(dir, 'ds');
    await generatePixelDataset({ out: ds, trials: 6, frames: 24, size: SIZE, seed: 0, quiet: true, samples: 2 });
    for (const kind of ['hnn', 'baseline'] as const) {
      await runPixelExperiment({ kind, seed: 0, steps: 5, dataDir: ds, outDir: join(dir, kind), quiet: true, frames: 20, backend: 'wasm' });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plays models with other encoders and contexts side by side (conv over 3 frames, MLP over 4)', async () => {
    const conv = await runPixelExperiment({
      ...{ kind: 'hnn' as const, seed: 0, steps: 3, dataDir: ds, quiet: true, frames: 20, backend: 'wasm' },
      outDir: join(dir, 'ctx', 'conv'),
      encoder: 'conv',
      context: 3,
    });
    expect(conv.metrics!.protocol).toMatchObject({ encoder: 'conv', context: 3 });
    // 6 trials of 24 frames: 21 pairs per trial, so 20 stacks of 3 frames and 19 of 4
    expect(conv.metrics!.dataset.trainRows).toBe(5 * 20);
    const mlp4 = await runPixelExperiment({
      ...{ kind: 'baseline' as const, seed: 0, steps: 3, dataDir: ds, quiet: true, frames: 20, backend: 'wasm' },
      outDir: join(dir, 'ctx', 'mlp4'),
      context: 4,
    });
    expect(mlp4.metrics!.dataset.trainRows).toBe(5 * 19);
    const out = join(dir, 'v', 'mixed.gif');
    const r = await runRollout({
      modelDirs: { hnn: join(dir, 'ctx', 'conv', 'model'), baseline: join(dir, 'ctx', 'mlp4', 'model') },
      out,
      frames: 18,
      quiet: true,
      backend: 'wasm',
    });
    expect((await readVideoInfo(out)).frames).toBe(18);
    expect(Object.keys(r.scores).sort()).toEqual(['baseline', 'hnn']);
    await expect(
      runPixelExperiment({ kind: 'hnn', seed: 0, steps: 1, dataDir: ds, quiet: true, outDir: join(dir, 'ctx', 'long'), context: 22 }),
    ).rejects.toThrow(/--context must be an integer from 2 to 21/);
  });

  it('writes a GIF of truth | baseline | HNN with the requested frames, and the two plots', async () => {
    const out = join(dir, 'v', 'roll.gif');
    const r = await runRollout({
      modelDirs: { hnn: join(dir, 'hnn', 'model'), baseline: join(dir, 'baseline', 'model') },
      out,
      frames: 24,
      quiet: true,
      backend: 'wasm',
    });
    expect(r.videos).toEqual([out]);
    const info = await readVideoInfo(out);
    const layout = composeLayout(3, SIZE, { scale: Math.round(168 / SIZE), counter: true });
    expect(info).toEqual({ frames: 24, width: layout.width, height: layout.height });
    expect(layout.panel).toBeGreaterThanOrEqual(160); // upscaled enough to see
    expect(existsSync(r.energyPlot)).toBe(true);
    expect(r.phasePlot && existsSync(r.phasePlot)).toBe(true);
    expect(Object.keys(r.scores).sort()).toEqual(['baseline', 'hnn']);
    for (const s of Object.values(r.scores)) {
      expect(s.vpt).toBeGreaterThanOrEqual(0);
      expect(s.vpt).toBeLessThanOrEqual(24);
      expect(s.periodRatio === null || s.periodRatio > 0).toBe(true);
    }
    // metrics.json of each run holds the period ratio of every test trial's rollout
    const metrics = JSON.parse(readFileSync(join(dir, 'hnn', 'metrics.json'), 'utf8'));
    expect(metrics.periodRatioPerTrial).toHaveLength(metrics.vptPerTrial.length);
    expect(metrics).toHaveProperty('periodErrorMean');
    const record = JSON.parse(readFileSync(join(dir, 'v', 'roll.json'), 'utf8'));
    // by default each model rolls out as its evaluation did: the default leapfrog step, once per frame
    expect(metrics.rollout.integrator).toBe('leapfrog-frame');
    expect(record).toMatchObject({ trial: 0, frames: 24, integrator: 'leapfrog-frame', scores: r.scores });
    // an existing video is kept unless --force
    await expect(runRollout({ modelDirs: { hnn: join(dir, 'hnn', 'model') }, out, frames: 5, quiet: true })).rejects.toThrow(
      /already exists.*--force/,
    );
    expect((await readVideoInfo(out)).frames).toBe(24);
  });

  it('rolls out with the autoencoder projection: every frame is encode(decode(the step from the last))', async () => {
    const m = loadPixelModel(join(dir, 'hnn', 'model'));
    try {
      const pixels = loadPixelDataset(ds);
      const map = fitTrainMap(m.model, pixels);
      const r = rolloutTrial(m.model, m.weights, pixels, map, 0, 6, 'leapfrog-frame', 'autoencoder');
      const free = rolloutTrial(m.model, m.weights, pixels, map, 0, 6, 'leapfrog-frame', 'none');
      const field = latentField('hnn', m.weights);
      const d = m.model.spec.latent;
      let moved = 0;
      for (let f = 1; f < 6; f++) {
        const step = leapfrogStep(field, 0, r.latent.z.slice((f - 1) * d, f * d), 1);
        const want = encodeRows(m.model, decodeLatents(m.model, step), 1);
        for (let i = 0; i < d; i++) expect(r.latent.z[f * d + i]).toBeCloseTo(want[i], 5);
        for (let i = 0; i < d; i++) moved = Math.max(moved, Math.abs(r.latent.z[f * d + i] - free.latent.z[f * d + i]));
      }
      expect(moved).toBeGreaterThan(1e-4); // the projection changed the rollout
      // the evaluation's lockstep version (one decode and encode per frame for all starts) makes the same latents;
      // the starts: the first two pairs of test trial 0
      const w = m.model.input;
      const x0s = [0, 1].map((row) => pixels.data.test.x.slice(row * w, (row + 1) * w));
      const lockstep = projectedRollouts(
        m.model,
        field,
        x0s.map((x0) => encodeRows(m.model, x0, 1)),
        6,
        'leapfrog-frame',
      );
      const truth = trialTruth(pixels, 0, 6);
      const scoring = rolloutScoring(pixels.task, truth.system);
      for (const [k, x0] of x0s.entries()) {
        const one = pixelRollout(m.model, m.weights, x0, truth, map, scoring, 6, 'leapfrog-frame', 'autoencoder');
        expect(lockstep[k].reached).toBe(6);
        for (let i = 0; i < 6 * d; i++) expect(lockstep[k].z[i]).toBeCloseTo(one.latent.z[i], 5);
      }
      expect(lockstep[0].z).not.toEqual(lockstep[1].z);
      // and the video records it
      const out = join(dir, 'v', 'projected.gif');
      await runRollout({ modelDirs: { hnn: join(dir, 'hnn', 'model') }, out, frames: 6, quiet: true, projection: 'autoencoder' });
      expect(JSON.parse(readFileSync(join(dir, 'v', 'projected.json'), 'utf8')).projection).toBe('autoencoder');
    } finally {
      m.model.dispose();
    }
  });

  it('writes an MP4 next to the GIF when ffmpeg is on the PATH (leapfrog, one model)', async () => {
    const out = join(dir, 'v', 'one.mp4');
    const r = await runRollout({
      modelDirs: { hnn: join(dir, 'hnn', 'model') },
      out,
      frames: 12,
      integrator: 'leapfrog',
      quiet: true,
      backend: 'wasm',
    });
    const gif = join(dir, 'v', 'one.gif');
    expect(r.videos[0]).toBe(gif);
    const layout = composeLayout(2, SIZE, { scale: Math.round(168 / SIZE), counter: true });
    expect(await readVideoInfo(gif)).toEqual({ frames: 12, width: layout.width, height: layout.height });
    if (hasFfmpeg()) {
      expect(r.videos[1]).toBe(out);
      const info = await readVideoInfo(out);
      expect(info.frames).toBe(12);
      expect(info.width).toBe(layout.width + (layout.width % 2));
    } else {
      expect(r.notes.join(' ')).toMatch(/apt-get install -y ffmpeg/);
    }
  });

  it('finds the models of --model DIR: a model, an experiment or a run folder', () => {
    expect(findPixelModels(dir)).toEqual({ hnn: join(dir, 'hnn', 'model'), baseline: join(dir, 'baseline', 'model') });
    expect(findPixelModels(join(dir, 'hnn'))).toEqual({ hnn: join(dir, 'hnn', 'model') });
    expect(findPixelModels(join(dir, 'baseline', 'model'))).toEqual({ baseline: join(dir, 'baseline', 'model') });
    expect(() => findPixelModels(ds)).toThrow(/no pixel model in/);
    expect(() => findPixelModels(join(dir, 'missing'))).toThrow(/model folder not found/);
  });

  it('takes --hnn / --baseline DIR as a run folder or its model/ folder', () => {
    expect(pixelModelFolder(join(dir, 'hnn'))).toBe(join(dir, 'hnn', 'model'));
    expect(pixelModelFolder(join(dir, 'hnn', 'model'))).toBe(join(dir, 'hnn', 'model'));
    expect(() => pixelModelFolder(ds)).toThrow(
      /^no pixel model at .* \(neither model.json nor model\/model.json\); pass a run's folder or its model\/ folder$/,
    );
    expect(() => pixelModelFolder(join(dir, 'missing'))).toThrow(/model folder not found/);
  });

  it('refuses bad input with a message naming the fix', async () => {
    const hnn = join(dir, 'hnn', 'model');
    await expect(runRollout({ modelDirs: {}, out: join(dir, 'x.gif') })).rejects.toThrow(/no model given/);
    await expect(runRollout({ modelDirs: { hnn }, out: join(dir, 'x.avi') })).rejects.toThrow(/\.gif or \.mp4/);
    await expect(runRollout({ modelDirs: { hnn: join(dir, 'nope') }, out: join(dir, 'x.gif') })).rejects.toThrow(/no model found/);
    await expect(runRollout({ modelDirs: { baseline: hnn }, out: join(dir, 'x.gif') })).rejects.toThrow(/holds a hnn model/);
    const other = join(dir, 'ds16');
    await generatePixelDataset({ out: other, trials: 6, frames: 10, size: 16, seed: 0, quiet: true, samples: 1 });
    await expect(runRollout({ modelDirs: { hnn }, dataDir: other, out: join(dir, 'x.gif') })).rejects.toThrow(/8x8 frames but dataset/);
  });
});
