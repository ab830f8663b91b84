// Pixel datasets of any system that can draw itself: `trials` trials of `frames` rendered frames; a
// sample is two consecutive frames (first frame first), its target the same pair one frame later.
//
// Layout, per trial (frame 0 = the sampled initial state, frames `frameDt` apart), as the reference
// code: sample k = 0..frames-4 holds pixels = [frame k+1 | frame k+2], nextPixels = [frame k+2 |
// frame k+3], and its label is the state at frame k+2 (the newer frame of the pair), followed by the
// task's extra label columns. Test = the first trials (the task's test fraction), train = the rest.
// Arrays are written to disk as they are made (a trial at a time), so size is bounded by the disk.
import { basename, dirname } from 'node:path';
import { statfsSync } from 'node:fs';
import { openDatasetOutput, type ArrayStream, type DatasetManifest, type DatasetOutput } from './format.ts';
import {
  drawParams,
  labelNames,
  paramNames,
  pixelTaskOf,
  resolvePixelParams,
  sampleInitialStates,
  testTrialCount,
  trialSystem,
  type PixelDatasetOptions,
  type PixelDatasetParams,
  type PixelTaskRef,
} from './pixel-params.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { UserError } from '../src/util/errors.ts';
import { checkMemory, formatBytes, MAX_ARRAY_BYTES } from '../src/util/memory.ts';
import { startProgress } from '../src/util/progress.ts';
import { contactSheet, encodePng, greyToBytes } from '../src/media/png.ts';
import { encodeGif } from '../src/media/gif.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import type { System } from '../src/systems/system.ts';
import { firstNonFiniteIndex } from '../src/integrate/errors.ts';
import { formatState } from '../src/systems/check.ts';
import { Rasterizer } from '../renderer/rasterize.ts';
import { simulateFrames } from '../renderer/simulate.ts';
import { sourceOf, type TaskSource } from '../renderer/sources.ts';

// The parameters and initial states of pixel datasets, for the callers of this module.
export * from './pixel-params.ts';
export { manifestPixelTask, otherScene, outdatedDataset, pixelParamsOf } from './pixel-manifest.ts';
export { renderTruth } from './pixel-truth.ts';
export { simulateFrames };

export const PREVIEW_PNG = 'preview.png';
export const PREVIEW_GIF = 'preview.gif';

/** Generator version of pixel datasets, recorded in the manifest; bump it when the bytes for a seed change. */
export const PIXEL_GENERATOR_VERSION = 2;

/** The large allocations of a build in bytes, and the size of the largest array (files). */
export function pixelDatasetBytes(
  task: PixelTask,
  p: Pick<PixelDatasetParams, 'trials' | 'frames' | 'size'> & { channels?: 1 | 3 },
): { memory: Record<string, number>; largestArray: number; disk: number } {
  const values = p.size * p.size * (p.channels ?? 1);
  const samples = p.trials * (p.frames - 3);
  const nTest = testTrialCount(p.trials, task.data.testFraction);
  const pairs = (n: number) => n * (p.frames - 3) * 2 * values * 4;
  const trainPairs = pairs(p.trials - nTest);
  const testFrames = nTest * p.frames * values * 4;
  return {
    memory: { 'frames of one trial': p.frames * values * 4, 'preview frames': p.frames * values * 4 },
    largestArray: Math.max(trainPairs, testFrames),
    disk: 2 * pairs(p.trials) + testFrames + samples * 8 * (task.system.dim + 3),
  };
}

/** Refuses a dataset whose arrays could not be read back, or that would not fit on the disk. */
function checkSizes(task: PixelTask, p: PixelDatasetParams, out: string): void {
  const what = `the ${task.name} dataset (${p.trials} trials of ${p.frames} frames of ${p.size}x${p.size})`;
  const fix = 'use fewer --trials or --frames, or a smaller --size';
  const b = pixelDatasetBytes(task, p);
  checkMemory(what, b.memory, fix);
  if (b.largestArray > MAX_ARRAY_BYTES)
    throw new UserError(
      `${what}: its largest array would be ${formatBytes(b.largestArray)}, over the 2.1 GB that one array may hold: ${fix}`,
    );
  let free = Infinity;
  try {
    const s = statfsSync(dirname(out));
    free = s.bavail * s.bsize;
  } catch {
    // the parent does not exist yet: the claim creates it, the write fails with ENOSPC if it must
  }
  if (b.disk > free) throw new UserError(`${what} would need ${formatBytes(b.disk)} on disk, ${formatBytes(free)} are free: ${fix}`);
}

/** The counts and widths that every stage of a build shares. */
interface BuildLayout {
  trials: number;
  frames: number;
  size: number;
  dim: number;
  /** Values per frame (N * N grey, or N * N * 3 colour). */
  NN: number;
  /** Values per sample (a pair of frames). */
  S: number;
  perTrial: number;
  nTest: number;
  nTrain: number;
  extras: NonNullable<PixelTask['data']['extraLabels']>;
  /** The names of the parameters drawn per trial. */
  names: string[];
  labelWidth: number;
}

function buildLayout(task: PixelTask, p: PixelDatasetParams): BuildLayout {
  const { trials, frames, size } = p;
  const dim = task.system.dim;
  const NN = size * size * p.channels;
  const nTest = testTrialCount(trials, task.data.testFraction);
  const extras = task.data.extraLabels ?? [];
  const names = paramNames(task, p.randomParams);
  const labelWidth = dim + extras.length + names.length;
  return { trials, frames, size, dim, NN, S: 2 * NN, perTrial: frames - 3, nTest, nTrain: trials - nTest, extras, names, labelWidth };
}

/** The streams of one split's samples. */
interface Streams {
  px: ArrayStream;
  next: ArrayStream;
  labels: ArrayStream;
}

/** What every trial of a build shares: its layout, output streams, source, draws and scratch buffers. */
interface Build {
  task: PixelTask;
  p: PixelDatasetParams;
  L: BuildLayout;
  view: NonNullable<PixelTask['system']['view']>;
  train: Streams;
  test: Streams;
  testFrames: ArrayStream;
  trialStates: ArrayStream;
  raster: Rasterizer;
  source: TaskSource;
  initial: Float64Array;
  params: Float64Array;
  /** The current trial's frames, [frames, NN]. */
  frameBuf: Float32Array;
  labelBuf: Float64Array;
}

/** Opens the output's arrays and draws every trial's initial state and parameters; refuses a system without a scene. */
function startBuild(task: PixelTask, p: PixelDatasetParams, out: DatasetOutput): Build {
  const system = task.system;
  const view = system.view;
  if (!view || !system.scene) throw new UserError(`system ${system.name} has no scene: it cannot be rendered to pixels`);
  const L = buildLayout(task, p);
  const open = (split: string, n: number): Streams => ({
    px: out.stream(`${split}Pixels`, 'float32', [n * L.perTrial, L.S]),
    next: out.stream(`${split}NextPixels`, 'float32', [n * L.perTrial, L.S]),
    labels: out.stream(`${split}Labels`, 'float64', [n * L.perTrial, L.labelWidth]),
  });
  const train = open('train', L.nTrain);
  const test = open('test', L.nTest);
  return {
    task,
    p,
    L,
    view,
    train,
    test,
    testFrames: out.stream('testFrames', 'float32', [L.nTest, L.frames, L.NN]),
    trialStates: out.stream('trialStates', 'float64', [L.trials, L.frames, L.dim]),
    raster: new Rasterizer(L.size, { samples: p.samples, channels: p.channels }),
    source: sourceOf(task, p.engine, p),
    initial: sampleInitialStates(task, L.trials, p.seed),
    params: drawParams(task, L.names, L.trials, p.seed),
    frameBuf: new Float32Array(L.frames * L.NN),
    labelBuf: new Float64Array(L.perTrial * L.labelWidth),
  };
}

/**
 * Simulates, renders and writes trial t (its states, its samples, and its frames if a test trial);
 * leaves its frames in b.frameBuf. Returns its energy lost from the first frame to the last and its
 * largest drift from the first frame's, both relative to |E0| (a gravitational system's energy is
 * negative).
 */
function buildTrial(b: Build, t: number): { loss: number; drift: number } {
  const { dim, frames, NN } = b.L;
  const paramRow = b.params.subarray(t * b.L.names.length, (t + 1) * b.L.names.length);
  const trialSys = trialSystem(b.task, b.p, paramRow);
  const states = b.source.simulate(b.initial.subarray(t * dim, (t + 1) * dim), frames, b.p, trialSys);
  b.trialStates.append(states);
  const e0 = trialSys.energy(states.subarray(0, dim));
  const eLast = trialSys.energy(states.subarray((frames - 1) * dim));
  const e0Size = Math.abs(e0);
  let drift = 0;
  for (let f = 1; f < frames; f++)
    drift = Math.max(drift, Math.abs(trialSys.energy(states.subarray(f * dim, (f + 1) * dim)) - e0) / e0Size);
  checkTrial(b, t, states, drift, trialSys);
  for (let f = 0; f < frames; f++) b.raster.render(trialSys.scene!(states.subarray(f * dim, (f + 1) * dim)), b.view, b.frameBuf, f * NN);
  const isTest = t < b.L.nTest;
  if (isTest) b.testFrames.append(b.frameBuf);
  appendSamples(b, isTest ? b.test : b.train, states, paramRow);
  return { loss: e0Size > 0 ? (e0 - eLast) / e0Size : 0, drift };
}

/**
 * The exact source's largest relative energy drift along a trial of a frictionless system that a
 * dataset accepts. The built-in pixel tasks stay below 3e-11 with their substeps; a trial past this
 * went through a singularity or had steps too long for its field, and its frames are not the system's.
 */
export const MAX_EXACT_DRIFT = 1e-3;

/** Refuses a trial whose states are not finite, or (exact source, no friction) whose energy drifted. */
function checkTrial(b: Build, t: number, states: Float64Array, drift: number, system: System): void {
  const { dim } = b.L;
  const bad = firstNonFiniteIndex(states);
  const exactDrift = b.source.conservative && system.friction === 0 && !(drift <= MAX_EXACT_DRIFT);
  if (bad < 0 && !exactDrift) return;
  const what =
    bad >= 0
      ? `its state is not finite from frame ${Math.floor(bad / dim)}`
      : `its energy drifted by ${drift.toExponential(2)} of |E0| (at most ${MAX_EXACT_DRIFT} accepted) under RK4 with ${b.p.substeps} substeps per frame`;
  throw new UserError(
    `${b.task.name}: trial ${t} of the dataset, from ${formatState(states.subarray(0, dim), system.stateLabels)}: ${what}; keep the sampler's states away from singularities (its ranges or energy band) or raise the task's substeps (pixel.data.substeps)`,
  );
}

/** Writes a trial's samples from b.frameBuf and its states: pixels, next pixels and label rows. */
function appendSamples(b: Build, dst: Streams, states: Float64Array, paramRow: Float64Array): void {
  const { dim, NN, perTrial, labelWidth, extras } = b.L;
  const labelBuf = b.labelBuf;
  for (let k = 0; k < perTrial; k++) {
    // frames k+1, k+2 (and k+2, k+3) are adjacent in memory
    dst.px.append(b.frameBuf.subarray((k + 1) * NN, (k + 3) * NN));
    dst.next.append(b.frameBuf.subarray((k + 2) * NN, (k + 4) * NN));
    const x = states.subarray((k + 2) * dim, (k + 3) * dim);
    labelBuf.set(x, k * labelWidth);
    extras.forEach((l, c) => (labelBuf[k * labelWidth + dim + c] = l.of(x)));
    labelBuf.set(paramRow, k * labelWidth + dim + extras.length);
  }
  dst.labels.append(labelBuf);
}

/** The manifest's account of a build's arrays: their layout, per array. */
function layoutDescription(task: PixelTask, p: PixelDatasetParams, L: BuildLayout): Record<string, unknown> {
  return {
    pixels: 'sample k of a trial: [frame k+1 | frame k+2], each frame N*N row-major, float32 in [0, 1], background 0',
    nextPixels: '[frame k+2 | frame k+3]',
    labels: `[${labelNames(task, p.randomParams).join(', ')}] at frame k+2 (the newer frame of the pair)`,
    labelDescriptions: Object.fromEntries(L.extras.map((l) => [l.name, l.description])),
    trialInitial: '[trial, state] at frame 0 of each trial: the truth of any continuation is re-rendered from it',
    trialStates: '[trial, frame, state]',
    testFrames: `[test trial, frame, N*N${p.channels === 3 ? '*3 (RGB, channels last)' : ''}]`,
    ...(L.names.length ? { trialParams: `[trial, parameter]: ${L.names.join(', ')}, each uniform in its range per trial` } : {}),
  };
}

/** The manifest's source entry: the engine, and the energy it lost (`mean` per trial) or let drift. */
function sourceDescription(b: Build, energyLoss: Float64Array, mean: number, maxDrift: number): Record<string, unknown> {
  const duration = (b.L.frames - 1) * b.p.frameDt;
  return {
    engine: b.p.engine,
    conservative: b.source.conservative,
    description: b.source.description,
    energy: {
      formula: `H of ${b.task.system.description}`,
      meanRelativeLossPerTrial: mean,
      maxRelativeLossPerTrial: Math.max(...energyLoss),
      meanRelativeLossPerTimeUnit: mean / duration,
      maxRelativeDriftAlongTrials: maxDrift,
      trialDuration: duration,
    },
  };
}

/** The manifest's extra fields: how the dataset was made, its counts, split and layout. */
function describeBuild(b: Build, energyLoss: Float64Array, maxDrift: number): Record<string, unknown> {
  const { task, p, L, source } = b;
  const { trials, nTest, nTrain, perTrial, names } = L;
  const system = task.system;
  const mean = energyLoss.reduce((a, c) => a + c, 0) / trials;
  return {
    ideal: source.conservative,
    label: source.conservative
      ? `ideal ${task.name} (exact field)`
      : `NON-CONSERVATIVE ${task.name} (${p.engine} loses ${(100 * mean).toFixed(1)}% energy per trial): not an ideal dataset`,
    source: sourceDescription(b, energyLoss, mean, maxDrift),
    system: { name: system.name, description: system.description, stateLabels: system.stateLabels, friction: system.friction },
    view: { ...b.view, units: 'world units; a frame shows the view centre at its centre, one world unit spans `scale` frame sides' },
    sampling: { ...task.data.sampling, rngStream: `Rng(seed).fork("${task.name}-initial")` },
    counts: {
      trials,
      frames: L.frames,
      samplesPerTrial: perTrial,
      trainTrials: nTrain,
      testTrials: nTest,
      trainSamples: nTrain * perTrial,
      testSamples: nTest * perTrial,
      frameSize: L.size,
      sampleLength: L.S,
    },
    split: { test: `first ${nTest} trials (${task.data.testFraction * 100}%)`, train: `trials ${nTest}..${trials - 1}` },
    layout: layoutDescription(task, p, L),
    ...(names.length ? { randomParams: Object.fromEntries(names.map((n) => [n, task.data.randomParams!.ranges[n]])) } : {}),
    previews: { contactSheet: PREVIEW_PNG, gif: PREVIEW_GIF, trial: 0 },
    generatorVersion: PIXEL_GENERATOR_VERSION,
  };
}

/**
 * Builds the dataset into a claimed output, streaming each trial's rows to disk. Returns the
 * manifest's parameters and extra fields, and trial 0's frames for the previews.
 */
function buildInto(task: PixelTask, p: PixelDatasetParams, out: DatasetOutput, quiet: boolean) {
  const b = startBuild(task, p, out);
  const { trials, dim, names } = b.L;
  const energyLoss = new Float64Array(trials);
  let previewFrames = new Float32Array(0);
  let maxDrift = 0;
  const progress = startProgress(trials, `${task.name} dataset (${p.engine})`, quiet);
  for (let t = 0; t < trials; t++) {
    const r = buildTrial(b, t);
    energyLoss[t] = r.loss;
    maxDrift = Math.max(maxDrift, r.drift);
    if (t === 0) previewFrames = b.frameBuf.slice();
    progress.update(t + 1, b.source.conservative ? undefined : { energyLoss: energyLoss[t] });
  }
  progress.stop();
  const extra = describeBuild(b, energyLoss, maxDrift);
  const arrays: Record<string, NpyArray> = {
    trialInitial: { data: b.initial, shape: [trials, dim] },
    trialEnergyLoss: { data: energyLoss, shape: [trials] },
    ...(names.length ? { trialParams: { data: b.params, shape: [trials, names.length] } } : {}),
  };
  return { extra, arrays, previewFrames };
}

/**
 * Generates a pixel dataset and writes it to opts.out: manifest.json + .npy arrays (checksummed),
 * a contact sheet (preview.png) and an animated GIF (preview.gif) of trial 0. The folder is claimed
 * before any work, and the dataset (previews included) appears only when complete.
 */
export async function generatePixelDataset(ref: PixelTaskRef, opts: PixelDatasetOptions): Promise<DatasetManifest> {
  const task = pixelTaskOf(ref);
  const p = resolvePixelParams(task, opts); // bad options are refused before the folder is claimed
  if (!sourceOf(task, p.engine, p).conservative && /ideal/i.test(basename(opts.out))) {
    throw new UserError(
      `the ${p.engine} source is not energy-conserving, so it cannot make a dataset named "${basename(opts.out)}"; choose an --out without "ideal" or use --engine ode`,
    );
  }
  checkSizes(task, p, opts.out);
  const out = openDatasetOutput(opts.out, { force: opts.force });
  let manifest: DatasetManifest;
  let built: ReturnType<typeof buildInto>;
  try {
    built = buildInto(task, p, out, !!opts.quiet);
    const files = previews(built.previewFrames, p.size, p.frames, p.frameDt, p.channels);
    manifest = out.write({ kind: task.name, seed: p.seed, params: p, extra: built.extra }, built.arrays, files);
  } finally {
    out.release();
  }
  if (!opts.quiet) {
    const e = (built.extra.source as { energy: { meanRelativeLossPerTrial: number; maxRelativeDriftAlongTrials: number } }).energy;
    const conservative = (built.extra.source as { conservative: boolean }).conservative;
    const msg = conservative
      ? `exact source: max relative energy drift along a trial ${e.maxRelativeDriftAlongTrials.toExponential(2)}`
      : `${p.engine} source is NON-CONSERVATIVE: it lost ${(100 * e.meanRelativeLossPerTrial).toFixed(2)}% of the energy per trial on average (recorded in manifest.json)`;
    const counts = built.extra.counts as { trainSamples: number; testSamples: number };
    process.stderr.write(`${msg}\nwrote ${out.dir} (${counts.trainSamples} train + ${counts.testSamples} test samples)\n`);
  }
  return manifest;
}

/** The contact sheet and the animated GIF of trial 0, as file bytes. */
function previews(frames: Float32Array, size: number, count: number, frameDt: number, channels: 1 | 3): Record<string, Uint8Array> {
  const NN = size * size * channels;
  const list = Array.from({ length: count }, (_, f) => frames.subarray(f * NN, (f + 1) * NN));
  const sheet = contactSheet(list, size, Math.ceil(Math.sqrt(count)), Math.max(1, Math.round(56 / size)), channels);
  return {
    [PREVIEW_PNG]: encodePng(sheet.pixels, sheet.width, sheet.height, channels),
    [PREVIEW_GIF]: encodeGif(
      list.map((f) => greyToBytes(f).slice()),
      size,
      size,
      { delayMs: frameDt * 1000, channels, scale: Math.max(1, Math.round(112 / size)) },
    ),
  };
}
