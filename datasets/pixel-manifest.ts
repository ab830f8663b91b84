// What a pixel dataset's manifest says: its task, its parameters (older manifests' names read too),
// and whether this version of hnn still draws its frames the same way.
import type { DatasetManifest } from './format.ts';
import { importedTaskOf } from './import-task.ts';
import { pixelTaskOf, type PixelDatasetParams } from './pixel-params.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import { UserError } from '../src/util/errors.ts';

/** Why a pixel dataset's frames are not what this version draws (another scene version), or null. */
export function otherScene(manifest: DatasetManifest): string | null {
  const drawn = (manifest.params as { sceneVersion?: number }).sceneVersion ?? 1;
  const current = manifestPixelTask(manifest).data.sceneVersion ?? 1;
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

/** The pixel task of a dataset's manifest: an imported dataset's own, else the registry's. */
export function manifestPixelTask(manifest: DatasetManifest): PixelTask {
  return (importedTaskOf(manifest) as PixelTask | null) ?? pixelTaskOf(manifest.kind);
}

/** The parameters of a pixel dataset's manifest (older manifests called frames "steps"). */
export function pixelParamsOf(manifest: DatasetManifest): PixelDatasetParams {
  const p = manifest.params as Partial<PixelDatasetParams> & { steps?: number };
  const task = manifestPixelTask(manifest);
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
