// The pixel metrics' truth and scoring: the energy a task compares and its periodic coordinate, the true
// frames of a test trial, and one model's rollout from a trial's first pair scored against them.
import { renderTruth } from '../../datasets/pixel.ts';
import type { PixelDataset } from '../../datasets/pixel-load.ts';
import type { PixelModel } from '../../models/pixel.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import type { PixelTask } from '../tasks/task.ts';
import type { System } from '../systems/system.ts';
import type { RolloutIntegrator, RolloutProjection } from '../tasks/vocabulary.ts';
import { pixelRollout, type LatentMap, type PixelRollout, type RolloutScoring, type RolloutTruth } from './pixel.ts';

/** Test trials rolled out for energy MSE (5-group interval) and VPT: all of them (40 in the pendulum's protocol). */
export const EVAL_TRIALS = Infinity;

/**
 * How the task scores rollouts: a system's H (the task's, or a trial's own with random parameters)
 * times the task's energy scale, and its periodic coordinate.
 */
export function rolloutScoring(task: PixelTask, system: System = task.system): RolloutScoring {
  const scale = task.evaluation.energyScale;
  return { energy: (x) => system.energy(x) * scale, periodCoordinate: task.evaluation.periodCoordinate };
}

/** The energy the pixel metric compares, for descriptions and plot labels. */
export function energyName(task: PixelTask): string {
  const scale = task.evaluation.energyScale;
  return `${scale === 1 ? '' : `${scale} x `}H of ${task.system.description}`;
}

/**
 * True frames 1..frames of a trial (rollout frame f is the pair [trial frame f+1 | f+2], and shows
 * its first frame), with the true energy and periodic coordinate of the newer frame of each pair,
 * the frame the dataset's labels (and so the latent map) describe.
 */
export function trialTruth(ds: PixelDataset, trial: number, frames: number): RolloutTruth & { system: System } {
  const r = renderTruth({ manifest: ds.manifest, arrays: ds.arrays }, trial, frames + 2);
  const values = ds.params.size * ds.params.size * ds.params.channels;
  const dim = ds.task.system.dim;
  const scoring = rolloutScoring(ds.task, r.system);
  const at = (f: number) => r.states.subarray((f + 2) * dim, (f + 3) * dim);
  const energy = Float64Array.from({ length: frames }, (_, f) => scoring.energy(at(f)));
  const c = scoring.periodCoordinate;
  const periodic = c === null ? new Float64Array(0) : Float64Array.from({ length: frames }, (_, f) => at(f)[c]);
  return { frames: r.frames.slice(values, (frames + 1) * values), energy, periodic, system: r.system };
}

/** Rollout from the first pair of test trial `trial`, scored against its true continuation. */
export function rolloutTrial(
  model: PixelModel,
  weights: NamedWeights,
  ds: PixelDataset,
  map: LatentMap,
  trial: number,
  frames: number,
  integrator: RolloutIntegrator,
  projection: RolloutProjection,
): PixelRollout {
  const w = model.input;
  const row = trial * ds.perTrial;
  const x0 = ds.data.test.x.slice(row * w, (row + 1) * w);
  const truth = trialTruth(ds, trial, frames);
  return pixelRollout(model, weights, x0, truth, map, rolloutScoring(ds.task, truth.system), frames, integrator, projection);
}
