// The pixel-pendulum dataset (paper task 5): 200 trials of 103 rendered frames; a sample is two
// consecutive frames (first frame first), its target the same pair one frame later.
//
// Layout, per trial (frame 0 = the sampled initial state, frames FRAME_DT apart), as the reference
// code: sample k = 0..steps-4 holds pixels = [frame k+1 | frame k+2], nextPixels = [frame k+2 |
// frame k+3], and its label is the state at frame k+2 (the newer frame of the pair):
// (phi, dphi/dt, p = 0.25 dphi/dt). Test = the first 20% of trials, train = the rest.
// Initial state: |phi0| ~ U(0, pi/6) with a random sign, dphi/dt ~ U(-1, 1) rad per time unit.
import { basename } from 'node:path';
import { openDatasetOutput, readDataset, type DatasetManifest } from './format.ts';
import { checkMemory } from '../src/util/memory.ts';
import { MAX_SEED } from '../src/util/rng.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { Rng } from '../src/util/rng.ts';
import { UserError } from '../src/util/errors.ts';
import { startProgress } from '../src/util/progress.ts';
import { contactSheet, encodeGreyPng, greyToBytes } from '../src/media/png.ts';
import { encodeGif } from '../src/media/gif.ts';
import { defaultGeometry } from '../renderer/geometry.ts';
import { PendulumRasterizer } from '../renderer/rasterize.ts';
import { FRAME_DT, MOMENTUM_SCALE, OMEGA0_SQUARED, pendulumEnergy } from '../renderer/ode.ts';
import { renderStates, renderTrial, simulate, sourceInfo, SCENE_ENGINES, type SceneEngine } from '../renderer/scene.ts';

export const PIXEL_DATASET_KIND = 'pixel-pendulum';
export const MAX_INITIAL_ANGLE = Math.PI / 6;
export const MAX_INITIAL_OMEGA = 1;
export const TEST_FRACTION = 0.2;
export const PREVIEW_PNG = 'preview.png';
export const PREVIEW_GIF = 'preview.gif';

export interface PixelDatasetOptions {
  /** Output folder (replaced atomically). */
  out: string;
  trials?: number;
  /** Frames per trial (default 103 -> 100 samples per trial). */
  steps?: number;
  /** Frame side N (default 28). */
  size?: number;
  engine?: SceneEngine;
  seed?: number;
  quiet?: boolean;
  /** Rasteriser subsamples per axis on edge pixels (default 8). */
  samples?: number;
}

export interface PixelDatasetParams {
  trials: number;
  steps: number;
  size: number;
  engine: SceneEngine;
  seed: number;
  samples: number;
  [k: string]: unknown;
}

function resolve(opts: Omit<PixelDatasetOptions, 'out'>): PixelDatasetParams {
  const p = {
    trials: opts.trials ?? 200,
    steps: opts.steps ?? 103,
    size: opts.size ?? 28,
    engine: opts.engine ?? 'ode',
    seed: opts.seed ?? 0,
    samples: opts.samples ?? 8,
  };
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int('trials', p.trials, 2);
  int('steps', p.steps, 4);
  int('size', p.size, 4);
  int('seed', p.seed, 0);
  if (p.seed > MAX_SEED) throw new UserError(`seed must be at most ${MAX_SEED} (2^32 - 1), got ${p.seed}`);
  int('samples', p.samples, 1);
  if (!SCENE_ENGINES.includes(p.engine)) throw new UserError(`engine must be one of ${SCENE_ENGINES.join(', ')}, got "${p.engine}"`);
  return p;
}

/** Number of test trials: the first 20% (at least one, and at least one trial left to train on). */
export function testTrialCount(trials: number): number {
  return Math.min(trials - 1, Math.max(1, Math.round(TEST_FRACTION * trials)));
}

/** Initial (phi0, omega0) of every trial, from the seed: [phi0_0, omega0_0, phi0_1, ...]. */
export function sampleInitialStates(trials: number, seed: number): Float64Array {
  const rng = new Rng(seed).fork('pixel-pendulum-initial');
  const out = new Float64Array(2 * trials);
  for (let t = 0; t < trials; t++) {
    let mag = 0;
    while (mag === 0) mag = rng.range(0, MAX_INITIAL_ANGLE); // open interval (0, pi/6)
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    out[2 * t] = sign * mag;
    out[2 * t + 1] = rng.range(-MAX_INITIAL_OMEGA, MAX_INITIAL_OMEGA);
  }
  return out;
}

export interface BuiltPixelDataset {
  params: PixelDatasetParams;
  arrays: Record<string, NpyArray>;
  extra: Record<string, unknown>;
  /** Frames of trial 0, for previews. */
  previewFrames: Float32Array;
}

/** The large allocations of a build, in bytes: the arrays and the copy each one is encoded through. */
export function pixelDatasetBytes(p: Pick<PixelDatasetParams, 'trials' | 'steps' | 'size'>): Record<string, number> {
  const NN = p.size * p.size;
  const samples = p.trials * (p.steps - 3);
  const pairs = samples * 2 * NN * 4;
  const testFrames = testTrialCount(p.trials) * p.steps * NN * 4;
  return {
    'pixel pairs (train and test)': pairs,
    'next pairs': pairs,
    'test frames': testFrames,
    'encoding copy of the largest array': pairs,
  };
}

/** Builds every array in memory (no files). */
export function buildPixelDataset(opts: Omit<PixelDatasetOptions, 'out'> = {}): BuiltPixelDataset {
  const p = resolve(opts);
  const { trials, steps, size, engine } = p;
  const NN = size * size;
  const perTrial = steps - 3;
  const nTest = testTrialCount(trials);
  const nTrain = trials - nTest;
  const bytes = pixelDatasetBytes(p);
  checkMemory(
    `the pixel dataset (${trials} trials of ${steps} frames of ${size}x${size})`,
    bytes,
    'use fewer --trials or --steps, or a smaller --size',
  );
  const geometry = defaultGeometry(size);
  const raster = new PendulumRasterizer(geometry, { samples: p.samples });
  const initial = sampleInitialStates(trials, p.seed);

  const alloc = (n: number) => ({
    px: new Float32Array(n * perTrial * 2 * NN),
    next: new Float32Array(n * perTrial * 2 * NN),
    labels: new Float64Array(n * perTrial * 3),
  });
  const train = alloc(nTrain);
  const test = alloc(nTest);
  const trialStates = new Float64Array(trials * steps * 2);
  const testFrames = new Float32Array(nTest * steps * NN);
  const energyLoss = new Float64Array(trials);
  const frames = new Float32Array(steps * NN);
  let previewFrames = new Float32Array(0);
  let maxDrift = 0;

  const progress = startProgress(trials, `pixel dataset (${engine})`, opts.quiet);
  for (let t = 0; t < trials; t++) {
    const sim = simulate(engine, initial[2 * t], initial[2 * t + 1], steps);
    trialStates.set(sim.states, t * steps * 2);
    energyLoss[t] = sim.relativeEnergyLoss;
    const e0 = pendulumEnergy(sim.states[0], sim.states[1]);
    for (let f = 1; f < steps; f++)
      maxDrift = Math.max(maxDrift, Math.abs(pendulumEnergy(sim.states[2 * f], sim.states[2 * f + 1]) - e0) / e0);
    renderStates(sim.states, raster, frames);
    if (t === 0) previewFrames = frames.slice();
    const isTest = t < nTest;
    if (isTest) testFrames.set(frames, t * steps * NN);
    const dst = isTest ? test : train;
    const base = (isTest ? t : t - nTest) * perTrial;
    for (let k = 0; k < perTrial; k++) {
      const row = (base + k) * 2 * NN;
      dst.px.set(frames.subarray((k + 1) * NN, (k + 3) * NN), row); // frames k+1, k+2 are adjacent in memory
      dst.next.set(frames.subarray((k + 2) * NN, (k + 4) * NN), row);
      const phi = sim.states[2 * (k + 2)],
        omega = sim.states[2 * (k + 2) + 1];
      dst.labels.set([phi, omega, MOMENTUM_SCALE * omega], (base + k) * 3);
    }
    progress.update(t + 1, engine === 'matter' ? { energyLoss: energyLoss[t] } : undefined);
  }
  progress.stop();

  const mean = energyLoss.reduce((a, b) => a + b, 0) / trials;
  const duration = (steps - 1) * FRAME_DT;
  const info = sourceInfo(engine);
  const energy = {
    formula: `E = (dphi/dt)^2 / 2 + ${OMEGA0_SQUARED} (1 - cos phi)`,
    meanRelativeLossPerTrial: mean,
    maxRelativeLossPerTrial: Math.max(...energyLoss),
    meanRelativeLossPerTimeUnit: mean / duration,
    maxRelativeDriftAlongTrials: maxDrift,
    trialDuration: duration,
  };
  const extra: Record<string, unknown> = {
    ideal: info.conservative,
    label: info.conservative
      ? 'ideal pixel pendulum (exact ODE)'
      : `NON-CONSERVATIVE pixel pendulum (matter-js loses ${(100 * mean).toFixed(1)}% energy per trial): not an ideal dataset`,
    source: { ...info, energy },
    physics: {
      equation: `phi'' = -${OMEGA0_SQUARED} sin phi (phi from hanging down, positive = bob to the right)`,
      w2: OMEGA0_SQUARED,
      frameDt: FRAME_DT,
      momentum: `p = ${MOMENTUM_SCALE} dphi/dt`,
    },
    geometry: {
      ...geometry,
      units: 'pixels; pivot at frame centre, image rows grow downward',
      antialiasing: `covered area, ${p.samples}x${p.samples} subsamples on edge pixels`,
    },
    sampling: {
      initialAngle: `|phi0| ~ U(0, pi/6), random sign`,
      initialOmega: `dphi/dt ~ U(-${MAX_INITIAL_OMEGA}, ${MAX_INITIAL_OMEGA}) rad per time unit`,
      rngStream: 'Rng(seed).fork("pixel-pendulum-initial")',
    },
    counts: {
      trials,
      steps,
      samplesPerTrial: perTrial,
      trainTrials: nTrain,
      testTrials: nTest,
      trainSamples: nTrain * perTrial,
      testSamples: nTest * perTrial,
      frameSize: size,
      sampleLength: 2 * NN,
    },
    split: { test: `first ${nTest} trials (${TEST_FRACTION * 100}%)`, train: `trials ${nTest}..${trials - 1}` },
    layout: {
      pixels: 'sample k of a trial: [frame k+1 | frame k+2], each frame N*N row-major, float32 in [0, 1], background 0',
      nextPixels: '[frame k+2 | frame k+3]',
      labels: '[phi, dphi/dt, p = 0.25 dphi/dt] at frame k+2 (the newer frame of the pair)',
      trialInitial: '[phi0, omega0] at frame 0 of each trial: renderPixelTruth re-renders any continuation',
      trialStates: '[trial, frame, (phi, dphi/dt)]',
      testFrames: '[test trial, frame, N*N]',
    },
    previews: { contactSheet: PREVIEW_PNG, gif: PREVIEW_GIF, trial: 0 },
  };
  const S = 2 * NN;
  const arrays: Record<string, NpyArray> = {
    trainPixels: { data: train.px, shape: [nTrain * perTrial, S] },
    trainNextPixels: { data: train.next, shape: [nTrain * perTrial, S] },
    trainLabels: { data: train.labels, shape: [nTrain * perTrial, 3] },
    testPixels: { data: test.px, shape: [nTest * perTrial, S] },
    testNextPixels: { data: test.next, shape: [nTest * perTrial, S] },
    testLabels: { data: test.labels, shape: [nTest * perTrial, 3] },
    trialInitial: { data: initial, shape: [trials, 2] },
    trialStates: { data: trialStates, shape: [trials, steps, 2] },
    trialEnergyLoss: { data: energyLoss, shape: [trials] },
    testFrames: { data: testFrames, shape: [nTest, steps, NN] },
  };
  return { params: p, arrays, extra, previewFrames };
}

/**
 * Generates the dataset and writes it to opts.out: manifest.json + .npy arrays (checksummed), plus a
 * contact sheet (preview.png) and an animated GIF (preview.gif) of trial 0.
 */
export async function generatePixelDataset(opts: PixelDatasetOptions & { force?: boolean }): Promise<DatasetManifest> {
  const engine = opts.engine ?? 'ode';
  if (engine === 'matter' && /ideal/i.test(basename(opts.out))) {
    throw new UserError(
      `the matter-js source is not energy-conserving, so it cannot make a dataset named "${basename(opts.out)}"; choose an --out without "ideal" or use --engine ode`,
    );
  }
  resolve(opts); // bad options are refused before the folder is claimed
  const out = openDatasetOutput(opts.out, { force: opts.force });
  let manifest: DatasetManifest;
  let built: BuiltPixelDataset;
  try {
    built = buildPixelDataset(opts);
    const { params, arrays, extra, previewFrames } = built;
    // previews go in with the arrays: the dataset is published complete
    manifest = out.write(
      { kind: PIXEL_DATASET_KIND, seed: params.seed, params, extra },
      arrays,
      previews(previewFrames, params.size, params.steps),
    );
  } finally {
    out.release();
  }
  if (!opts.quiet) {
    const e = (built.extra.source as { energy: { meanRelativeLossPerTrial: number; maxRelativeDriftAlongTrials: number } }).energy;
    const msg =
      engine === 'matter'
        ? `matter-js source is NON-CONSERVATIVE: it lost ${(100 * e.meanRelativeLossPerTrial).toFixed(2)}% of the energy per trial on average (recorded in manifest.json)`
        : `exact source: max relative energy drift along a trial ${e.maxRelativeDriftAlongTrials.toExponential(2)}`;
    process.stderr.write(
      `${msg}\nwrote ${out.dir} (${built.arrays.trainPixels.shape[0]} train + ${built.arrays.testPixels.shape[0]} test samples)\n`,
    );
  }
  return manifest;
}

/** The contact sheet and the animated GIF of trial 0, as file bytes. */
function previews(frames: Float32Array, size: number, steps: number): Record<string, Uint8Array> {
  const NN = size * size;
  const list = Array.from({ length: steps }, (_, f) => frames.subarray(f * NN, (f + 1) * NN));
  const sheet = contactSheet(list, size, Math.ceil(Math.sqrt(steps)), Math.max(1, Math.round(56 / size)));
  return {
    [PREVIEW_PNG]: encodeGreyPng(sheet.pixels, sheet.width, sheet.height),
    [PREVIEW_GIF]: encodeGif(
      list.map((f) => greyToBytes(f).slice()),
      size,
      size,
      { delayMs: FRAME_DT * 1000, channels: 1, scale: Math.max(1, Math.round(112 / size)) },
    ),
  };
}

/**
 * The true frames of trial `trial` of a written dataset, frames startFrame .. startFrame+frames-1
 * (frame 0 = the trial's initial state), re-rendered with the dataset's own source and geometry:
 * the truth for rollouts of any length. Returns [frames * N*N] float32.
 */
export function renderPixelTruth(
  dataset: string | { manifest: DatasetManifest; arrays: Record<string, NpyArray> },
  trial: number,
  frames: number,
  startFrame = 0,
): Float32Array {
  const ds = typeof dataset === 'string' ? readDataset(dataset, PIXEL_DATASET_KIND) : dataset;
  const params = ds.manifest.params as PixelDatasetParams;
  const init = ds.arrays.trialInitial;
  if (!init) throw new UserError('dataset has no trialInitial array; regenerate it with `hnn generate`');
  if (!Number.isInteger(trial) || trial < 0 || trial >= init.shape[0])
    throw new UserError(`trial must be in 0..${init.shape[0] - 1}, got ${trial}`);
  const r = renderTrial({ phi: init.data[2 * trial], omega: init.data[2 * trial + 1] }, startFrame + frames, {
    engine: params.engine,
    size: params.size,
    samples: params.samples,
  });
  return r.frames.slice(startFrame * params.size * params.size);
}
