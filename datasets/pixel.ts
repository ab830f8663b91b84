// Pixel datasets of any system that can draw itself: `trials` trials of `frames` rendered frames; a
// sample is two consecutive frames (first frame first), its target the same pair one frame later.
//
// Layout, per trial (frame 0 = the sampled initial state, frames `frameDt` apart), as the reference
// code: sample k = 0..frames-4 holds pixels = [frame k+1 | frame k+2], nextPixels = [frame k+2 |
// frame k+3], and its label is the state at frame k+2 (the newer frame of the pair), followed by the
// task's extra label columns. Test = the first trials (the task's test fraction), train = the rest.
// Arrays are written to disk as they are made (a trial at a time), so size is bounded by the disk.
import { basename } from 'node:path';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatasetOutput, readDataset, type ArrayStream, type DatasetManifest, type DatasetOutput } from './format.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { MAX_SEED, Rng } from '../src/util/rng.ts';
import { UserError } from '../src/util/errors.ts';
import { checkMemory, formatBytes, MAX_ARRAY_BYTES } from '../src/util/memory.ts';
import { startProgress } from '../src/util/progress.ts';
import { contactSheet, encodePng, greyToBytes } from '../src/media/png.ts';
import { encodeGif } from '../src/media/gif.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import type { System } from '../src/systems/system.ts';
import { getPixelTask, registerTasks, TASKS } from '../src/tasks/registry.ts';
import { Rasterizer } from '../renderer/rasterize.ts';
import { simulateFrames } from '../renderer/simulate.ts';
import { sourceNames, sourceOf, type TaskSource } from '../renderer/sources.ts';

export const PREVIEW_PNG = 'preview.png';
export const PREVIEW_GIF = 'preview.gif';

/** Generator version of pixel datasets, recorded in the manifest; bump it when the bytes for a seed change. */
export const PIXEL_GENERATOR_VERSION = 2;

export type PixelTaskRef = string | PixelTask;

/**
 * The task of a reference. A record that is not a built-in task (a user's, e.g. from definePixelTask)
 * is registered, so that its datasets and models, which record the task by name, are read with it.
 */
export function pixelTaskOf(ref: PixelTaskRef): PixelTask {
  if (typeof ref === 'string') return getPixelTask(ref);
  if (!TASKS.includes(ref)) registerTasks([ref]);
  return ref;
}

/** What generatePixelDataset takes: the output folder and seed, and the changes to the task's frame protocol. */
export interface PixelDatasetOptions {
  /** Output folder. */
  out: string;
  trials?: number;
  /** Frames per trial (default: the task's; a trial of F frames gives F - 3 samples). */
  frames?: number;
  /** Frame side N (default: the task's). */
  size?: number;
  /** Simulation source: 'ode' (the exact field, default) or one the task offers (the pendulum's 'matter'). */
  engine?: string;
  seed?: number;
  quiet?: boolean;
  /** Rasteriser subsamples per axis on edge pixels (default: the task's). */
  samples?: number;
  /** Replace an existing dataset in `out` (the old one stays until the new one is complete). */
  force?: boolean;
  /** RGB frames (each shape in its colour) instead of grey ones. */
  colour?: boolean;
  /** Draw the system's physical parameters per trial within the task's ranges (recorded in the labels). */
  randomParams?: boolean;
  /** Friction gamma of the system (dp/dt = -dH/dq - gamma dH/dp; default: the task's). */
  friction?: number;
}

export interface PixelDatasetParams {
  task: string;
  trials: number;
  frames: number;
  size: number;
  engine: string;
  seed: number;
  samples: number;
  frameDt: number;
  substeps: number;
  /** 1: grey frames; 3: RGB (channels last). */
  channels: 1 | 3;
  randomParams: boolean;
  /** Friction gamma of every trial's system. */
  friction: number;
  [k: string]: unknown;
}

/** Merges and checks the options against the task's protocol. */
export function resolvePixelParams(task: PixelTask, opts: Omit<PixelDatasetOptions, 'out'>): PixelDatasetParams {
  const d = task.data;
  const p = {
    task: task.name,
    trials: opts.trials ?? d.trials,
    frames: opts.frames ?? d.frames,
    size: opts.size ?? d.size,
    engine: opts.engine ?? 'ode',
    seed: opts.seed ?? 0,
    samples: opts.samples ?? d.samples,
    frameDt: d.frameDt,
    substeps: d.substeps,
    channels: (opts.colour ? 3 : 1) as 1 | 3,
    randomParams: !!opts.randomParams,
    friction: opts.friction ?? task.system.friction,
    // recorded only past version 1, so the manifests of unchanged scenes keep their bytes
    ...(d.sceneVersion && d.sceneVersion > 1 ? { sceneVersion: d.sceneVersion } : {}),
  };
  if (!(p.friction >= 0 && Number.isFinite(p.friction))) throw new UserError(`friction must be a finite number >= 0, got ${p.friction}`);
  if (p.randomParams && !d.randomParams) throw new UserError(`${task.name} has no random-parameter variant; drop --random-params`);
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int('trials', p.trials, 2);
  int('frames', p.frames, 4);
  int('size', p.size, 4);
  int('seed', p.seed, 0);
  int('samples', p.samples, 1);
  if (p.seed > MAX_SEED) throw new UserError(`seed must be at most ${MAX_SEED} (2^32 - 1), got ${p.seed}`);
  const engines = sourceNames(task);
  if (!engines.includes(p.engine)) throw new UserError(`engine must be one of ${engines.join(', ')} for ${task.name}, got "${p.engine}"`);
  return p;
}

/** Number of test trials: the task's fraction of the first trials (at least one, and one left to train on). */
export function testTrialCount(trials: number, fraction = 0.2): number {
  return Math.min(trials - 1, Math.max(1, Math.round(fraction * trials)));
}

/** Initial state of every trial, from the seed: [trials, dim] row-major. */
export function sampleInitialStates(ref: PixelTaskRef, trials: number, seed: number): Float64Array {
  const task = pixelTaskOf(ref);
  const rng = new Rng(seed).fork(`${task.name}-initial`);
  const dim = task.system.dim;
  const out = new Float64Array(dim * trials);
  for (let t = 0; t < trials; t++) out.set(task.data.sample(rng), t * dim);
  return out;
}

/** The names of the parameters drawn per trial (none without random parameters). */
export function paramNames(task: PixelTask, randomParams: boolean): string[] {
  return randomParams && task.data.randomParams ? Object.keys(task.data.randomParams.ranges) : [];
}

/** The label columns of a pixel dataset: the state, the task's extra labels, then the drawn parameters. */
export function labelNames(task: PixelTask, randomParams = false): string[] {
  return [...task.system.stateLabels, ...(task.data.extraLabels ?? []).map((l) => l.name), ...paramNames(task, randomParams)];
}

/**
 * The system of a trial: the task's own, or (random parameters) the one with the trial's parameter
 * row, with the dataset's friction.
 */
export function trialSystem(
  task: PixelTask,
  p: Pick<PixelDatasetParams, 'randomParams' | 'friction'>,
  row: ArrayLike<number> | undefined,
): System {
  const names = paramNames(task, p.randomParams);
  const base =
    names.length === 0 || !row ? task.system : task.data.randomParams!.system(Object.fromEntries(names.map((n, i) => [n, row[i]])));
  return base.friction === p.friction ? base : base.withFriction(p.friction);
}

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

interface Streams {
  px: ArrayStream;
  next: ArrayStream;
  labels: ArrayStream;
}

/**
 * Builds the dataset into a claimed output, streaming each trial's rows to disk. Returns the
 * manifest's parameters and extra fields, and trial 0's frames for the previews.
 */
function buildInto(task: PixelTask, p: PixelDatasetParams, out: DatasetOutput, quiet: boolean) {
  const { trials, frames, size } = p;
  const system = task.system;
  const dim = system.dim;
  const view = system.view;
  const scene = system.scene;
  if (!view || !scene) throw new UserError(`system ${system.name} has no scene: it cannot be rendered to pixels`);
  // NN: values per frame (N * N grey, or N * N * 3 colour)
  const NN = size * size * p.channels;
  const perTrial = frames - 3;
  const nTest = testTrialCount(trials, task.data.testFraction);
  const nTrain = trials - nTest;
  const extras = task.data.extraLabels ?? [];
  const names = paramNames(task, p.randomParams);
  const labelWidth = dim + extras.length + names.length;
  const S = 2 * NN;
  const open = (split: string, n: number): Streams => ({
    px: out.stream(`${split}Pixels`, 'float32', [n * perTrial, S]),
    next: out.stream(`${split}NextPixels`, 'float32', [n * perTrial, S]),
    labels: out.stream(`${split}Labels`, 'float64', [n * perTrial, labelWidth]),
  });
  const train = open('train', nTrain);
  const test = open('test', nTest);
  const testFrames = out.stream('testFrames', 'float32', [nTest, frames, NN]);
  const trialStates = out.stream('trialStates', 'float64', [trials, frames, dim]);
  const raster = new Rasterizer(size, { samples: p.samples, channels: p.channels });
  const source: TaskSource = sourceOf(task, p.engine, p);
  const initial = sampleInitialStates(task, trials, p.seed);
  const params = drawParams(task, names, trials, p.seed);
  const energyLoss = new Float64Array(trials);
  const frameBuf = new Float32Array(frames * NN);
  const labelBuf = new Float64Array(perTrial * labelWidth);
  let previewFrames = new Float32Array(0);
  let maxDrift = 0;

  const progress = startProgress(trials, `${task.name} dataset (${p.engine})`, quiet);
  for (let t = 0; t < trials; t++) {
    const paramRow = params.subarray(t * names.length, (t + 1) * names.length);
    const trialSys = trialSystem(task, p, paramRow);
    const states = source.simulate(initial.subarray(t * dim, (t + 1) * dim), frames, p, trialSys);
    trialStates.append(states);
    const e0 = trialSys.energy(states.subarray(0, dim));
    const eLast = trialSys.energy(states.subarray((frames - 1) * dim));
    // relative to |E0|: a gravitational system's energy is negative
    const e0Size = Math.abs(e0);
    energyLoss[t] = e0Size > 0 ? (e0 - eLast) / e0Size : 0;
    for (let f = 1; f < frames; f++) {
      maxDrift = Math.max(maxDrift, Math.abs(trialSys.energy(states.subarray(f * dim, (f + 1) * dim)) - e0) / e0Size);
    }
    for (let f = 0; f < frames; f++) raster.render(trialSys.scene!(states.subarray(f * dim, (f + 1) * dim)), view, frameBuf, f * NN);
    if (t === 0) previewFrames = frameBuf.slice();
    const isTest = t < nTest;
    if (isTest) testFrames.append(frameBuf);
    const dst = isTest ? test : train;
    for (let k = 0; k < perTrial; k++) {
      // frames k+1, k+2 (and k+2, k+3) are adjacent in memory
      dst.px.append(frameBuf.subarray((k + 1) * NN, (k + 3) * NN));
      dst.next.append(frameBuf.subarray((k + 2) * NN, (k + 4) * NN));
      const x = states.subarray((k + 2) * dim, (k + 3) * dim);
      labelBuf.set(x, k * labelWidth);
      extras.forEach((l, c) => (labelBuf[k * labelWidth + dim + c] = l.of(x)));
      labelBuf.set(paramRow, k * labelWidth + dim + extras.length);
    }
    dst.labels.append(labelBuf);
    progress.update(t + 1, source.conservative ? undefined : { energyLoss: energyLoss[t] });
  }
  progress.stop();

  const mean = energyLoss.reduce((a, b) => a + b, 0) / trials;
  const duration = (frames - 1) * p.frameDt;
  const extra: Record<string, unknown> = {
    ideal: source.conservative,
    label: source.conservative
      ? `ideal ${task.name} (exact field)`
      : `NON-CONSERVATIVE ${task.name} (${p.engine} loses ${(100 * mean).toFixed(1)}% energy per trial): not an ideal dataset`,
    source: {
      engine: p.engine,
      conservative: source.conservative,
      description: source.description,
      energy: {
        formula: `H of ${system.description}`,
        meanRelativeLossPerTrial: mean,
        maxRelativeLossPerTrial: Math.max(...energyLoss),
        meanRelativeLossPerTimeUnit: mean / duration,
        maxRelativeDriftAlongTrials: maxDrift,
        trialDuration: duration,
      },
    },
    system: { name: system.name, description: system.description, stateLabels: system.stateLabels, friction: system.friction },
    view: { ...view, units: 'world units; a frame shows the view centre at its centre, one world unit spans `scale` frame sides' },
    sampling: { ...task.data.sampling, rngStream: `Rng(seed).fork("${task.name}-initial")` },
    counts: {
      trials,
      frames,
      samplesPerTrial: perTrial,
      trainTrials: nTrain,
      testTrials: nTest,
      trainSamples: nTrain * perTrial,
      testSamples: nTest * perTrial,
      frameSize: size,
      sampleLength: S,
    },
    split: { test: `first ${nTest} trials (${task.data.testFraction * 100}%)`, train: `trials ${nTest}..${trials - 1}` },
    layout: {
      pixels: 'sample k of a trial: [frame k+1 | frame k+2], each frame N*N row-major, float32 in [0, 1], background 0',
      nextPixels: '[frame k+2 | frame k+3]',
      labels: `[${labelNames(task, p.randomParams).join(', ')}] at frame k+2 (the newer frame of the pair)`,
      labelDescriptions: Object.fromEntries(extras.map((l) => [l.name, l.description])),
      trialInitial: '[trial, state] at frame 0 of each trial: the truth of any continuation is re-rendered from it',
      trialStates: '[trial, frame, state]',
      testFrames: `[test trial, frame, N*N${p.channels === 3 ? '*3 (RGB, channels last)' : ''}]`,
      ...(names.length ? { trialParams: `[trial, parameter]: ${names.join(', ')}, each uniform in its range per trial` } : {}),
    },
    ...(names.length ? { randomParams: Object.fromEntries(names.map((n) => [n, task.data.randomParams!.ranges[n]])) } : {}),
    previews: { contactSheet: PREVIEW_PNG, gif: PREVIEW_GIF, trial: 0 },
    generatorVersion: PIXEL_GENERATOR_VERSION,
  };
  const arrays: Record<string, NpyArray> = {
    trialInitial: { data: initial, shape: [trials, dim] },
    trialEnergyLoss: { data: energyLoss, shape: [trials] },
    ...(names.length ? { trialParams: { data: params, shape: [trials, names.length] } } : {}),
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

/** The parameters of every trial, [trials, names.length], from their own stream of the seed. */
function drawParams(task: PixelTask, names: string[], trials: number, seed: number): Float64Array {
  const out = new Float64Array(trials * names.length);
  if (names.length === 0) return out;
  const rng = new Rng(seed).fork(`${task.name}-params`);
  const ranges = task.data.randomParams!.ranges;
  for (let i = 0; i < out.length; i++) {
    const [lo, hi] = ranges[names[i % names.length]];
    out[i] = rng.range(lo, hi);
  }
  return out;
}

/** Why a pixel dataset's frames are not what this version draws (another scene version), or null. */
export function otherScene(manifest: DatasetManifest): string | null {
  const drawn = (manifest.params as { sceneVersion?: number }).sceneVersion ?? 1;
  const current = pixelTaskOf(manifest.kind).data.sceneVersion ?? 1;
  return drawn === current
    ? null
    : `this ${manifest.kind} dataset was drawn by version ${String(drawn)} of its scene, and this version of hnn draws version ${current}`;
}

/**
 * Why a pixel dataset is not the task's protocol in this version (another scene version or frame
 * interval), or null: a reproduction must not reuse it. Such a dataset stays readable when only its
 * frame interval differs (it records its own, and its truth is rendered with it).
 */
export function outdatedDataset(manifest: DatasetManifest): string | null {
  const scene = otherScene(manifest);
  if (scene) return scene;
  const dt = (manifest.params as { frameDt?: number }).frameDt;
  const want = pixelTaskOf(manifest.kind).data.frameDt;
  return dt === undefined || dt === want ? null : `this ${manifest.kind} dataset's frames are ${dt} apart, and this version's are ${want}`;
}

/** The parameters of a pixel dataset's manifest (older manifests called frames "steps"). */
export function pixelParamsOf(manifest: DatasetManifest): PixelDatasetParams {
  const p = manifest.params as Partial<PixelDatasetParams> & { steps?: number };
  const task = pixelTaskOf(manifest.kind);
  const other = otherScene(manifest);
  if (other) throw new UserError(`${other}; generate it again (hnn generate ${task.name} --seed ${manifest.seed} --out NEW_DIR)`);
  return {
    ...p,
    task: manifest.kind,
    trials: p.trials as number,
    frames: (p.frames ?? p.steps) as number,
    size: p.size as number,
    engine: p.engine ?? 'ode',
    seed: manifest.seed,
    samples: (p.samples ?? task.data.samples) as number,
    frameDt: p.frameDt ?? task.data.frameDt,
    substeps: p.substeps ?? task.data.substeps,
    channels: p.channels ?? 1,
    randomParams: p.randomParams ?? false,
    friction: p.friction ?? task.system.friction,
  };
}

/**
 * The true frames of trial `trial` of a dataset, frames startFrame .. startFrame+count-1 (frame 0 =
 * the trial's initial state), re-rendered with the dataset's own source and settings: the truth for
 * rollouts of any length. Returns the frames [count * N*N] float32 and the states [count, dim].
 */
export function renderTruth(
  dataset: string | { manifest: DatasetManifest; arrays: Record<string, NpyArray> },
  trial: number,
  count: number,
  startFrame = 0,
): { frames: Float32Array; states: Float64Array; system: System } {
  const ds = typeof dataset === 'string' ? readDataset(dataset) : dataset;
  const task = pixelTaskOf(ds.manifest.kind);
  const p = pixelParamsOf(ds.manifest);
  const init = ds.arrays.trialInitial;
  if (!init) throw new UserError('dataset has no trialInitial array; regenerate it with `hnn generate`');
  if (!Number.isInteger(trial) || trial < 0 || trial >= init.shape[0])
    throw new UserError(`trial must be in 0..${init.shape[0] - 1}, got ${trial}`);
  const dim = task.system.dim;
  const x0 = (init.data as Float64Array).subarray(trial * dim, (trial + 1) * dim);
  const names = paramNames(task, p.randomParams);
  const system = trialSystem(task, p, ds.arrays.trialParams?.data.subarray(trial * names.length, (trial + 1) * names.length));
  const total = startFrame + count;
  const states = sourceOf(task, p.engine, p).simulate(x0, total, p, system);
  const NN = p.size * p.size * p.channels;
  const raster = new Rasterizer(p.size, { samples: p.samples, channels: p.channels });
  const frames = new Float32Array(count * NN);
  for (let f = 0; f < count; f++) {
    raster.render(system.scene!(states.subarray((startFrame + f) * dim, (startFrame + f + 1) * dim)), task.system.view!, frames, f * NN);
  }
  return { frames, states: states.slice(startFrame * dim), system };
}

export { simulateFrames };
