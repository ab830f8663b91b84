// One start of the Play view and everything shown from it: the true trajectory (simulated with the
// dataset's own source and rendered with the project's rasteriser) and each model's decoded rollout,
// computed by the same function Node's `hnn rollout` uses (src/eval/pixel.ts pixelRollout). No DOM
// here: tests run it in Node too.
import type { NamedWeights } from '../models/mlp.ts';
import { Rasterizer } from '../renderer/rasterize.ts';
import { simulateFrames } from '../renderer/simulate.ts';
import { sourceOf } from '../renderer/sources.ts';
import {
  encodeRows,
  pixelRollout,
  type LatentMap,
  type PixelCodec,
  type PixelRollout,
  type RolloutIntegrator,
  type RolloutScoring,
} from '../src/eval/pixel.ts';
import { taskProjection } from '../src/eval/integrators.ts';
import type { System } from '../src/systems/system.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import type { ModelKind } from '../models/kinds.ts';
import type { SiteFrames } from '../src/web/format.ts';

export interface EpisodeModel {
  kind: ModelKind;
  codec: PixelCodec;
  weights: NamedWeights;
  map: LatentMap;
}

export interface EpisodeSetup {
  task: PixelTask;
  frames: SiteFrames;
  /** Frames of each rollout. */
  rolloutFrames: number;
  models: EpisodeModel[];
  integrator: RolloutIntegrator;
}

export interface Episode {
  system: System;
  /** State at trial frame 0; rollout frame f shows trial frame f + 1. */
  x0: Float64Array;
  /** True states of trial frames 0..rolloutFrames + 1, [frames, dim]. */
  states: Float64Array;
  /** True frames 1..rolloutFrames, [rolloutFrames, N^2 channels]: the truth panel. */
  truthFrames: Float32Array;
  /** True energy (task scale) at the newer frame of each pair, as the metric compares. */
  truthEnergy: Float64Array;
  /** The pair every model encodes: trial frames [1 | 2]. */
  pair: Float32Array;
  rollouts: Partial<Record<ModelKind, PixelRollout>>;
  /** Latents of the true pairs under the HNN's encoder (its phase portrait), if there is an HNN. */
  encodedTruth: Float64Array | null;
  /** Milliseconds the truth and the rollouts took. */
  ms: { truth: number; rollouts: number };
}

/** The system of a trial: the task's, or its family member with the trial's parameters (--random-params). */
export function trialSystem(task: PixelTask, params: Record<string, number> | null): System {
  return params && task.data.randomParams ? task.data.randomParams.system(params) : task.system;
}

/** How the task scores a rollout: the system's H at the task's scale (src/pipeline/pixel.ts rolloutScoring). */
export function scoringOf(task: PixelTask, system: System): RolloutScoring {
  const scale = task.evaluation.energyScale;
  return { energy: (x) => system.energy(x) * scale, periodCoordinate: task.evaluation.periodCoordinate };
}

/**
 * Trial frame 0 for a pose the user set as the first frame shown (trial frame 1): one frame of the
 * exact field backwards, so rollout frame 0 shows the pose itself.
 */
export function frameZeroBefore(system: System, pose: Float64Array, f: SiteFrames): Float64Array {
  return simulateFrames(system, pose, 2, { dt: -f.frameDt, substeps: f.substeps }).slice(system.dim);
}

/**
 * Truth and rollouts from trial frame 0 = x0. `pair` is the first pair when it is known exactly (a
 * dataset trial: the bytes Node's rollout encodes); otherwise it is rendered here.
 */
export function runEpisode(setup: EpisodeSetup, x0: Float64Array, params: Record<string, number> | null, pair?: Float32Array): Episode {
  const { task, frames: f, rolloutFrames: n } = setup;
  const t0 = performance.now();
  const system = trialSystem(task, params);
  const dim = system.dim;
  // trial frames 0..n+1, as renderTruth makes them for `hnn rollout`
  const states = sourceOf(task, f.engine, f).simulate(x0, n + 2, f, system);
  const NN = f.size * f.size * f.channels;
  const raster = new Rasterizer(f.size, { samples: f.samples, channels: f.channels });
  const all = new Float32Array((n + 2) * NN);
  for (let i = 0; i < n + 2; i++) raster.render(system.scene!(states.subarray(i * dim, (i + 1) * dim)), task.system.view!, all, i * NN);
  const scoring = scoringOf(task, system);
  const at = (i: number) => states.subarray((i + 2) * dim, (i + 3) * dim);
  const truthEnergy = Float64Array.from({ length: n }, (_, i) => scoring.energy(at(i)));
  const c = scoring.periodCoordinate;
  const periodic = c === null ? new Float64Array(0) : Float64Array.from({ length: n }, (_, i) => at(i)[c]);
  const truthFrames = all.slice(NN, (n + 1) * NN);
  const first = pair ?? all.slice(NN, 3 * NN);
  const t1 = performance.now();
  const rollouts: Episode['rollouts'] = {};
  let encodedTruth: Float64Array | null = null;
  for (const m of setup.models) {
    rollouts[m.kind] = pixelRollout(
      m.codec,
      m.weights,
      first,
      { frames: truthFrames, energy: truthEnergy, periodic },
      m.map,
      scoring,
      n,
      setup.integrator,
      taskProjection(task),
    );
    // true pair f is [frame f+1 | frame f+2]: consecutive frames in `all`, so the pairs overlap
    if (m.kind === 'hnn') {
      const pairs = new Float32Array(n * 2 * NN);
      for (let i = 0; i < n; i++) pairs.set(all.subarray((i + 1) * NN, (i + 3) * NN), i * 2 * NN);
      encodedTruth = encodeRows(m.codec, pairs, n);
    }
  }
  return {
    system,
    x0,
    states,
    truthFrames,
    truthEnergy,
    pair: first,
    rollouts,
    encodedTruth,
    ms: { truth: t1 - t0, rollouts: performance.now() - t1 },
  };
}
