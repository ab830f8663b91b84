// The parameters of a pixel dataset: the task a reference names, the options merged with and checked
// against the task's frame protocol, and what follows from them for every trial (its split, its
// label columns, its system and its draws from the seed).
import { MAX_SEED, Rng } from '../src/util/rng.ts';
import { UserError } from '../src/util/errors.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import type { System } from '../src/systems/system.ts';
import { getPixelTask, registerTasks, TASKS } from '../src/tasks/registry.ts';
import { sourceNames } from '../renderer/sources.ts';

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

/** The parameters of every trial, [trials, names.length], from their own stream of the seed. */
export function drawParams(task: PixelTask, names: string[], trials: number, seed: number): Float64Array {
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
