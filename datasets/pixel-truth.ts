// The truth of a pixel dataset's trial for rollouts of any length: its frames re-rendered from the
// trial's initial state with the dataset's own source and settings.
import { readDataset, type DatasetManifest } from './format.ts';
import { pixelParamsOf } from './pixel-manifest.ts';
import { paramNames, pixelTaskOf, trialSystem } from './pixel-params.ts';
import { Rasterizer } from '../renderer/rasterize.ts';
import { sourceOf } from '../renderer/sources.ts';
import type { System } from '../src/systems/system.ts';
import { UserError } from '../src/util/errors.ts';
import type { NpyArray } from '../src/util/npy.ts';

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
