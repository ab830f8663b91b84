// `hnn import video`: a user's video (or folder of frames) as a pixel dataset laid out as a
// generated one (datasets/pixel.ts): trials of F frames, samples [frame k+1 | frame k+2] with the
// next pair as target, float32 frames in [0, 1], test trials' frames whole in testFrames. There are
// no states, so no labels and no trialInitial: the truth of a rollout is the stored frames. With
// --background subtract (default) each frame becomes its absolute difference from the per-pixel
// median frame, scaled so the 99.9th percentile is 1: what moves is bright on black, as generated
// frames are. The split holds out a seeded choice of trials.
import { basename, resolve } from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { formatBytes, MAX_ARRAY_BYTES } from '../src/util/memory.ts';
import { MAX_SEED } from '../src/util/rng.ts';
import type { NpyArray } from '../src/util/npy.ts';
import { contactSheet, encodePng, greyToBytes } from '../src/media/png.ts';
import { encodeGif } from '../src/media/gif.ts';
import { PIXEL_IMPORT } from '../src/tasks/imported.ts';
import { openDatasetOutput, type DatasetManifest } from './format.ts';
import { testTrialSet } from './import-states.ts';
import { autoCrop, openFrameSource, parseCrop, type Box, type FrameSource } from './video-frames.ts';

export const VIDEO_IMPORT_VERSION = 1;
const MIN_FRAMES = 4;

/** What `hnn import video` takes besides the source and the output folder (docs/IMPORT.md). */
export interface VideoImportOptions {
  size?: number;
  /** "x,y,w,h" in source pixels, or "auto". */
  crop?: string;
  grey?: boolean;
  /** Videos: resample to this rate; frame folders: their rate (default 30). */
  fps?: number;
  every?: number;
  trialFrames?: number;
  dof?: number;
  background?: 'subtract' | 'keep';
  testFraction?: number;
  seed?: number;
  /** Refuse more than this many GB of decoded frames (default 2). */
  maxGb?: number;
  force?: boolean;
  quiet?: boolean;
  command?: string;
}

/** The dataset an import wrote: its manifest and shape. */
export interface VideoImportResult {
  manifest: DatasetManifest;
  trials: number;
  frames: number;
  size: number;
  channels: 1 | 3;
  frameDt: number;
  testTrials: number;
}

interface Checked {
  size: number;
  channels: 1 | 3;
  every: number;
  dof: number;
  background: 'subtract' | 'keep';
  fraction: number;
  seed: number;
  limit: number;
}

function checkOptions(o: VideoImportOptions): Checked {
  const size = o.size ?? 28;
  const int = (name: string, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new UserError(`${name} must be an integer ${max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`}, got ${v}`);
  };
  int('--size', size, 4, 512);
  int('--every', o.every ?? 1, 1);
  int('--dof', o.dof ?? 1, 1, 16);
  if (o.trialFrames !== undefined) int('--trial-frames', o.trialFrames, MIN_FRAMES);
  int('--seed', o.seed ?? 0, 0, MAX_SEED);
  const fraction = o.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`--test-fraction must be a number in (0, 1), got ${fraction}`);
  const maxGb = o.maxGb ?? 2;
  if (!(maxGb > 0)) throw new UserError(`--max-gb must be a positive number, got ${maxGb}`);
  if (o.background !== undefined && o.background !== 'subtract' && o.background !== 'keep')
    throw new UserError(`--background must be subtract or keep, got "${String(o.background)}"`);
  return {
    size,
    channels: o.grey ? 1 : 3,
    every: o.every ?? 1,
    dof: o.dof ?? 1,
    background: o.background ?? 'subtract',
    fraction,
    seed: o.seed ?? 0,
    limit: maxGb * 1e9,
  };
}

/** Bytes of the dataset's arrays for `frames` kept frames of `values` floats (pairs and next pairs twice, test frames once). */
function datasetBytes(frames: number, values: number): number {
  return frames * values * 4 * 5;
}

/** Frames as float32 in [0, 1]; with background subtraction |v - median over time|, scaled so the 99.9th percentile is 1. */
function normalise(frames: Uint8Array[], background: 'subtract' | 'keep'): { frames: Float32Array[]; scale: number } {
  if (background === 'keep') return { frames: frames.map((f) => Float32Array.from(f, (v) => v / 255)), scale: 1 };
  const n = frames[0].length;
  const T = frames.length;
  const median = new Float32Array(n);
  const column = new Uint8Array(T);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) column[t] = frames[t][i];
    column.sort();
    median[i] = T % 2 ? column[T >> 1] : (column[T / 2 - 1] + column[T / 2]) / 2;
  }
  const diff = frames.map((f) => Float32Array.from(f, (v, i) => Math.abs(v - median[i]) / 255));
  const sample = new Float32Array(Math.min(200_000, T * n));
  for (let k = 0; k < sample.length; k++) sample[k] = diff[Math.floor((k * T) / sample.length)][(k * 7919) % n];
  sample.sort();
  const scale = sample[Math.floor(0.999 * (sample.length - 1))] || 1;
  for (const f of diff) for (let i = 0; i < n; i++) f[i] = Math.min(1, f[i] / scale);
  return { frames: diff, scale };
}

/** Cuts the frames into trials and checks there are enough; returns the trial length and count. */
function trialsOf(count: number, source: string, trialFrames: number | undefined): { frames: number; trials: number } {
  if (count < 2 * MIN_FRAMES)
    throw new UserError(
      `${source} gives ${count} frame${count === 1 ? '' : 's'}; a pixel dataset needs at least ${2 * MIN_FRAMES} (two trials of ${MIN_FRAMES}): give a longer video, or a smaller --every`,
    );
  if (trialFrames === undefined)
    throw new UserError(
      `${source} is one sequence of ${count} frames, and training needs several trials: cut it with --trial-frames F (e.g. --trial-frames ${Math.max(MIN_FRAMES, Math.floor(count / 10))})`,
    );
  const trials = Math.floor(count / trialFrames);
  if (trials < 2)
    throw new UserError(
      `--trial-frames ${trialFrames} cuts ${count} frames into ${trials} trial(s); choose at most ${Math.floor(count / 2)}`,
    );
  return { frames: trialFrames, trials };
}

/** Decodes, crops, scales and keeps every k-th frame, within the size limit. */
async function decode(src: FrameSource, o: VideoImportOptions, c: Checked): Promise<{ frames: Uint8Array[]; box: Box }> {
  const values = c.size * c.size * c.channels;
  const estimate = datasetBytes(Math.ceil(src.estimatedFrames / c.every), values);
  if (estimate > c.limit)
    throw new UserError(
      `the frames would take about ${formatBytes(estimate)}, over the --max-gb ${c.limit / 1e9} limit; take a shorter clip, a smaller --size, --every K, or raise --max-gb`,
    );
  const box =
    o.crop === undefined
      ? { x: 0, y: 0, w: src.width, h: src.height }
      : o.crop === 'auto'
        ? await autoCrop(src, c.limit)
        : parseCrop(o.crop, src.width, src.height);
  // a decoded frame is one byte per value, its share of the dataset 20 (datasetBytes): the same limit
  const all = await src.read(box, c.size, c.channels, Math.floor(c.limit / 20) * c.every + values);
  const frames = all.filter((_, i) => i % c.every === 0);
  if (datasetBytes(frames.length, values) > c.limit)
    throw new UserError(
      `the frames take ${formatBytes(datasetBytes(frames.length, values))}, over the --max-gb limit; take a shorter clip, a smaller --size, --every K, or raise --max-gb`,
    );
  return { frames, box };
}

/** Pairs [frame k+1 | frame k+2] and next pairs [frame k+2 | frame k+3] of the given trials. */
function pairs(trials: Float32Array[][], values: number): { x: Float32Array; next: Float32Array; rows: number } {
  const per = trials[0].length - 3;
  const rows = trials.length * per;
  const x = new Float32Array(rows * 2 * values);
  const next = new Float32Array(rows * 2 * values);
  trials.forEach((f, t) => {
    for (let k = 0; k < per; k++) {
      const r = (t * per + k) * 2 * values;
      x.set(f[k + 1], r);
      x.set(f[k + 2], r + values);
      next.set(f[k + 2], r);
      next.set(f[k + 3], r + values);
    }
  });
  return { x, next, rows };
}

function previews(frames: Float32Array[], size: number, channels: 1 | 3, frameDt: number): Record<string, Uint8Array> {
  const sheet = contactSheet(frames, size, Math.ceil(Math.sqrt(frames.length)), Math.max(1, Math.round(56 / size)), channels);
  return {
    'preview.png': encodePng(sheet.pixels, sheet.width, sheet.height, channels),
    'preview.gif': encodeGif(
      frames.map((f) => greyToBytes(f).slice()),
      size,
      size,
      { delayMs: frameDt * 1000, channels, scale: Math.max(1, Math.round(112 / size)) },
    ),
  };
}

/** The dataset's arrays: train and test pairs, and the test trials' frames whole. */
function arraysOf(trials: Float32Array[][], held: number[], values: number): Record<string, NpyArray> {
  const test = held.map((t) => trials[t]);
  const train = trials.filter((_, t) => !held.includes(t));
  const F = trials[0].length;
  const a = pairs(train, values);
  const b = pairs(test, values);
  const testFrames = new Float32Array(test.length * F * values);
  test.forEach((f, t) => f.forEach((frame, k) => testFrames.set(frame, (t * F + k) * values)));
  const largest = Math.max(a.x.byteLength, testFrames.byteLength);
  if (largest > MAX_ARRAY_BYTES)
    throw new UserError(
      `the dataset's largest array would be ${formatBytes(largest)}, over the 2.1 GB one array may hold; use a smaller --size or fewer frames`,
    );
  return {
    trainPixels: { data: a.x, shape: [a.rows, 2 * values] },
    trainNextPixels: { data: a.next, shape: [a.rows, 2 * values] },
    testPixels: { data: b.x, shape: [b.rows, 2 * values] },
    testNextPixels: { data: b.next, shape: [b.rows, 2 * values] },
    testFrames: { data: testFrames, shape: [test.length, F, values] },
  };
}

interface Built {
  source: string;
  src: FrameSource;
  o: VideoImportOptions;
  c: Checked;
  box: Box;
  scale: number;
  framesRead: number;
  F: number;
  T: number;
  held: number[];
}

/** The manifest's params: what made the data, every option, the command line. */
function paramsOf(b: Built): Record<string, unknown> {
  const { c, o, src, F, T } = b;
  return {
    task: PIXEL_IMPORT,
    trials: T,
    frames: F,
    size: c.size,
    engine: 'imported',
    seed: c.seed,
    samples: 1,
    frameDt: c.every / src.fps,
    substeps: 0,
    channels: c.channels,
    randomParams: false,
    friction: 0,
    dof: c.dof,
    source: { path: resolve(b.source), file: basename(b.source), kind: src.kind, sha256: src.sha256, ...src.description },
    options: {
      crop: o.crop ?? null,
      cropBox: b.box,
      grey: !!o.grey,
      fps: o.fps ?? null,
      every: c.every,
      trialFrames: F,
      background: c.background,
      testFraction: c.fraction,
      maxGb: c.limit / 1e9,
    },
    backgroundScale: b.scale,
    framesRead: b.framesRead,
    framesDropped: b.framesRead - F * T,
    testTrials: b.held,
    command: o.command ?? null,
    importerVersion: VIDEO_IMPORT_VERSION,
  };
}

/** The manifest's descriptive fields, as a generated pixel dataset has them. */
function extraOf(b: Built): Record<string, unknown> {
  const { c, F, T, held } = b;
  const per = F - 3;
  return {
    ideal: false,
    label: `imported frames of ${basename(b.source)}`,
    counts: {
      trials: T,
      frames: F,
      samplesPerTrial: per,
      trainTrials: T - held.length,
      testTrials: held.length,
      trainSamples: (T - held.length) * per,
      testSamples: held.length * per,
      frameSize: c.size,
      sampleLength: 2 * c.size * c.size * c.channels,
    },
    split: { test: `trials ${held.join(', ')} (Rng(seed).fork("import-split"))`, train: 'the others, in order' },
    layout: {
      pixels: 'sample k of a trial: [frame k+1 | frame k+2], each frame N*N (x3 RGB, channels last) row-major, float32 in [0, 1]',
      nextPixels: '[frame k+2 | frame k+3]',
      testFrames: '[test trial, frame, N*N*channels]: the truth of every rollout',
      normalisation: c.background === 'subtract' ? `|byte - per-pixel median byte| / 255 / ${b.scale}, clamped to [0, 1]` : 'byte / 255',
    },
    previews: { contactSheet: 'preview.png', gif: 'preview.gif', trial: held[0] },
  };
}

/**
 * `hnn import video SOURCE --out DIR`: every check (source readable, crop, frame counts, size
 * limit) runs before the folder is claimed; the folder appears only when complete.
 */
export async function importVideo(source: string, out: string, o: VideoImportOptions = {}): Promise<VideoImportResult> {
  const c = checkOptions(o);
  const src = await openFrameSource(source, o.fps, o.quiet);
  const { frames: raw, box } = await decode(src, o, c);
  const { frames: F, trials: T } = trialsOf(raw.length, source, o.trialFrames);
  const { frames, scale } = normalise(raw.slice(0, F * T), c.background);
  const trials = Array.from({ length: T }, (_, t) => frames.slice(t * F, (t + 1) * F));
  const held = [...testTrialSet(T, c.fraction, c.seed)].sort((a, b) => a - b);
  const arrays = arraysOf(trials, held, c.size * c.size * c.channels);
  const built: Built = { source, src, o, c, box, scale, framesRead: raw.length, F, T, held };
  const frameDt = c.every / src.fps;
  const output = openDatasetOutput(out, { force: o.force, command: 'hnn import video' });
  try {
    const meta = { kind: PIXEL_IMPORT, seed: c.seed, params: paramsOf(built), extra: extraOf(built) };
    const manifest = output.write(meta, arrays, previews(trials[held[0]], c.size, c.channels, frameDt));
    return { manifest, trials: T, frames: F, size: c.size, channels: c.channels, frameDt, testTrials: held.length };
  } finally {
    output.release();
  }
}
