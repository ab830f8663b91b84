// A pixel dataset folder as training and evaluation read it: the arrays checked against the manifest,
// the splits of frame pairs, and the same data as stacks of more frames per row. Imported datasets
// (`hnn import video`) have no labels; their truth is the stored test frames.
import { readDataset, type DatasetManifest } from './format.ts';
import {
  manifestPixelTask,
  paramNames,
  pixelParamsOf,
  pixelTaskOf,
  testTrialCount,
  type PixelDatasetParams,
  type PixelTaskRef,
} from './pixel.ts';
import { frameStacks, pickRows, type FrameStacks } from './stacks.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import { UserError } from '../src/util/errors.ts';
import type { NpyArray } from '../src/util/npy.ts';

/** Pixel pairs, row-major [rows, 2 N^2] float32. */
export interface PixelSplit {
  x: Float32Array;
  next: Float32Array;
  rows: number;
}

export interface PixelData {
  frameSize: number;
  /** Values per pixel: 1 grey, 3 RGB. */
  channels?: 1 | 3;
  /** Consecutive rows per trial (a trial's pairs k = 0..perTrial-1): needed by multi-step windows. */
  perTrial?: number;
  train: PixelSplit;
  test: PixelSplit;
}

/** A pixel dataset folder as read and checked: its task, manifest, raw arrays and the train/test view the trainer takes. */
export interface PixelDataset {
  dir: string;
  task: PixelTask;
  manifest: DatasetManifest;
  params: PixelDatasetParams;
  arrays: Record<string, NpyArray>;
  data: PixelData;
  /** Samples per trial (frames - 3): test row t * perTrial is the first pair of test trial t. */
  perTrial: number;
  testTrials: number;
  /** Values per label row: the state, then the task's extra labels. */
  labelWidth: number;
}

/**
 * Reads a pixel dataset folder and checks it against itself: every array present with its dtype and
 * shape, the manifest's parameters (trials, frames, size) consistent with the arrays, at least one
 * train and one test trial. A failure names what disagrees and says to regenerate.
 */
export function loadPixelDataset(dir: string, ref?: PixelTaskRef): PixelDataset {
  const wanted = ref === undefined ? undefined : pixelTaskOf(ref);
  const { manifest, arrays } = readDataset(dir, wanted?.name);
  const task = wanted ?? manifestPixelTask(manifest);
  const params = pixelParamsOf(manifest);
  if (task.imported) return importedPixelDataset(dir, task, manifest, params, arrays);
  const bad = (why: string) =>
    new UserError(`dataset ${dir} is not a valid ${task.name} dataset (${why}); regenerate it with \`hnn generate ${task.name}\``);
  for (const k of ['trials', 'frames', 'size'] as const) {
    if (!Number.isInteger(params[k]) || params[k] < 1)
      throw bad(`manifest.json params.${k} is ${String(params[k])}, not a positive integer`);
  }
  if (params.frames < 4) throw bad(`params.frames is ${params.frames}; a trial needs at least 4 frames`);
  const N = params.size;
  const width = 2 * N * N * params.channels;
  const perTrial = params.frames - 3;
  const testTrials = testTrialCount(params.trials, task.data.testFraction);
  const trainTrials = params.trials - testTrials;
  const dim = task.system.dim;
  const nParams = paramNames(task, params.randomParams).length;
  const labelWidth = dim + (task.data.extraLabels?.length ?? 0) + nParams;
  if (trainTrials < 1 || testTrials < 1)
    throw bad(`${trainTrials} train and ${testTrials} test trials; training and evaluation need at least one of each`);
  const want: Record<string, [typeof Float32Array | typeof Float64Array, number[]]> = {
    trainPixels: [Float32Array, [trainTrials * perTrial, width]],
    trainNextPixels: [Float32Array, [trainTrials * perTrial, width]],
    trainLabels: [Float64Array, [trainTrials * perTrial, labelWidth]],
    testPixels: [Float32Array, [testTrials * perTrial, width]],
    testNextPixels: [Float32Array, [testTrials * perTrial, width]],
    testLabels: [Float64Array, [testTrials * perTrial, labelWidth]],
    trialInitial: [Float64Array, [params.trials, dim]],
    ...(nParams ? { trialParams: [Float64Array, [params.trials, nParams]] as [typeof Float64Array, number[]] } : {}),
  };
  for (const [name, [type, shape]] of Object.entries(want)) {
    const a = arrays[name];
    if (!a) throw bad(`no ${name} array`);
    if (!(a.data instanceof type)) throw bad(`${name} is ${a.data.constructor.name}, expected ${type.name}`);
    if (a.shape.join(',') !== shape.join(','))
      throw bad(`${name} has shape [${a.shape}], but trials ${params.trials}, frames ${params.frames} and size ${N} make it [${shape}]`);
  }
  return withPixelData({ dir, task, manifest, params, arrays, perTrial, testTrials, labelWidth });
}

/** The dataset with the train/test view the trainer takes: the float32 frame pairs of both splits. */
function withPixelData(d: Omit<PixelDataset, 'data'>): PixelDataset {
  const { dir, task, manifest, params, arrays, perTrial, testTrials, labelWidth } = d;
  const split = (x: string, next: string): PixelSplit => ({
    x: arrays[x].data as Float32Array,
    next: arrays[next].data as Float32Array,
    rows: arrays[x].shape[0],
  });
  const data: PixelData = {
    frameSize: params.size,
    channels: params.channels,
    perTrial,
    train: split('trainPixels', 'trainNextPixels'),
    test: split('testPixels', 'testNextPixels'),
  };
  return { dir, task, manifest, params, arrays, data, perTrial, testTrials, labelWidth };
}

/** Checks an imported pixel dataset's arrays against its manifest and returns it as a PixelDataset (label width 0). */
export function importedPixelDataset(
  dir: string,
  task: PixelTask,
  manifest: DatasetManifest,
  params: PixelDatasetParams,
  arrays: Record<string, NpyArray>,
): PixelDataset {
  const bad = (why: string) =>
    new UserError(`dataset ${dir} is not a valid pixel-import dataset (${why}); import it again with \`hnn import video\``);
  const held = manifest.params.testTrials;
  if (!Array.isArray(held) || held.length < 1 || held.length >= params.trials)
    throw bad('params.testTrials is not a list of held-out trials');
  if (!(params.frames >= 4)) throw bad(`params.frames is ${params.frames}; a trial needs at least 4 frames`);
  const values = params.size * params.size * params.channels;
  const perTrial = params.frames - 3;
  const testTrials = held.length;
  const trainRows = (params.trials - testTrials) * perTrial;
  const want: Record<string, number[]> = {
    trainPixels: [trainRows, 2 * values],
    trainNextPixels: [trainRows, 2 * values],
    testPixels: [testTrials * perTrial, 2 * values],
    testNextPixels: [testTrials * perTrial, 2 * values],
    testFrames: [testTrials, params.frames, values],
  };
  for (const [name, shape] of Object.entries(want)) {
    const a = arrays[name];
    if (!a) throw bad(`no ${name} array`);
    if (!(a.data instanceof Float32Array)) throw bad(`${name} is ${a.data.constructor.name}, expected Float32Array`);
    if (a.shape.join(',') !== shape.join(',')) throw bad(`${name} has shape [${a.shape}], expected [${shape}]`);
  }
  const noLabels = (rows: number): NpyArray => ({ data: new Float64Array(0), shape: [rows, 0] });
  return withPixelData({
    dir,
    task,
    manifest,
    params,
    arrays: { ...arrays, trainLabels: noLabels(trainRows), testLabels: noLabels(testTrials * perTrial) },
    perTrial,
    testTrials,
    labelWidth: 0,
  });
}

/**
 * The dataset as stacks of `context` frames per row (models/pixel.ts, PixelModelSpec.context): the
 * splits, rows per trial and labels follow the stacks (datasets/stacks.ts); context 2 is the dataset itself.
 */
export function withContext(ds: PixelDataset, context: number): PixelDataset {
  if (context === 2) return ds;
  const V = ds.params.size * ds.params.size * ds.params.channels;
  const train = frameStacks(ds.data.train, ds.perTrial, context, V);
  const test = frameStacks(ds.data.test, ds.perTrial, context, V);
  const labels = (name: string, s: FrameStacks) => {
    const a = ds.arrays[name];
    return { data: pickRows(a.data as Float64Array, ds.labelWidth, s.sourceRows), shape: [s.split.rows, ds.labelWidth] };
  };
  return {
    ...ds,
    arrays: { ...ds.arrays, trainLabels: labels('trainLabels', train), testLabels: labels('testLabels', test) },
    data: { ...ds.data, perTrial: train.perTrial, train: train.split, test: test.split },
    perTrial: train.perTrial,
  };
}
