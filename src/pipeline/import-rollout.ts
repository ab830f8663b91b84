// `hnn rollout` of models trained on an imported pixel dataset: the video (stored truth | baseline |
// HNN) of one held-out trial, and a comparison over every held-out trial. There is no true energy,
// so the models' rollouts are compared under one yardstick, the HNN's learned H: each model's
// decoded frames are encoded by the HNN's encoder and H is followed along them, in units of the
// spread of H over the encoded test samples (src/eval/imported.ts). The truth's own drift under that
// H is given beside them: what the data themselves conserve.
import { hamiltonianFunction } from '../../models/f64.ts';
import type { ModelKind } from '../../models/kinds.ts';
import { contextOf } from '../../models/pixel.ts';
import type { LoadedPixelModel } from '../../models/storage.ts';
import { energiesOf, energyDrift, scoreImportedRollout, spread } from '../eval/imported.ts';
import { mean, median } from '../eval/stats.ts';
import { defaultRolloutIntegrator, type RolloutIntegrator, type RolloutProjection } from '../eval/integrators.ts';
import { decodeLatents, encodeRows } from '../eval/pixel.ts';
import { linePlot } from '../media/plot.ts';
import { composePanels, type ComposedVideo } from '../media/video.ts';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { hasFfmpeg, writeVideo } from '../media/video.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { importedLatents, importedRolloutLimit, importedTruth } from './import-pixel.ts';
import { withContext, type PixelDataset } from '../../datasets/pixel-load.ts';
import type { ImportedComparison, ImportedModelComparison, RolloutOptions, RolloutResult } from './rollout-options.ts';

const LABEL: Record<ModelKind, string> = { baseline: 'baseline', hnn: 'HNN', dhnn: 'D-HNN' };
const COLOR: Record<ModelKind, string> = { baseline: '#ff7f0e', hnn: '#1f77b4', dhnn: '#2ca02c' };

interface Yardstick {
  kind: 'hnn' | 'dhnn';
  /** frames per encoder row of the reference */
  context: number;
  /** H of the reference's encoding of decoded rows [frames, input] */
  along(rows: Float32Array, count: number): Float64Array;
  scale: number;
}

function yardstick(models: Partial<Record<ModelKind, LoadedPixelModel>>, ds: PixelDataset): Yardstick | null {
  const kind = (['hnn', 'dhnn'] as const).find((k) => models[k]);
  if (!kind) return null;
  const m = models[kind]!;
  const own = withContext(ds, contextOf(m.topology));
  const H = hamiltonianFunction(m.weights, kind);
  const d = m.model.spec.latent;
  const scale = spread(energiesOf(H, encodeRows(m.model, own.data.test.x, own.data.test.rows), d)) || 1;
  return { kind, context: contextOf(m.topology), scale, along: (rows, count) => energiesOf(H, encodeRows(m.model, rows, count), d) };
}

export interface ImportedRolloutOutput {
  video: ComposedVideo;
  comparison: ImportedComparison;
  /** the reference H along the shown trial: truth and each model */
  energy: { truth: Float64Array | null; models: Partial<Record<ModelKind, Float64Array>> };
}

/** One model rolled out from every held-out trial: its scores, the shown trial's frames, and the reference H along them. */
function compareModel(
  m: LoadedPixelModel,
  ds: PixelDataset,
  frames: number,
  o: { trial: number; integrator?: RolloutIntegrator; projection: RolloutProjection },
  ref: Yardstick | null,
  notes: string[],
): { comparison: ImportedModelComparison; shown: Float32Array; energy: Float64Array | null } {
  const k = m.topology.kind;
  const integrator = o.integrator ?? defaultRolloutIntegrator(m.topology.loss.latentStep);
  const own = withContext(ds, contextOf(m.topology));
  const latents = importedLatents(m.model, m.weights, own, { frames, integrator, projection: o.projection });
  const scored = latents.map((l, t) => scoreImportedRollout(m.model, l, importedTruth(ds, t, frames), frames));
  const comparable = ref !== null && contextOf(m.topology) === ref.context;
  if (ref && !comparable)
    notes.push(`the ${k} encodes ${contextOf(m.topology)} frames per row and the ${ref.kind} ${ref.context}: no H drift for it`);
  const along = comparable ? latents.map((l) => ref.along(decodeLatents(m.model, l.z), frames)) : null;
  const perTrial = along?.map((h) => energyDrift(h, ref!.scale));
  const vpts = scored.map((s) => s.vpt);
  return {
    comparison: {
      integrator,
      vptPerTrial: vpts,
      vptMedian: median(vpts),
      vptMean: mean(vpts),
      vptReconMedian: median(scored.map((s) => s.vptRecon)),
      vptReconPerTrial: scored.map((s) => s.vptRecon),
      pixelMseMean: mean(scored.map((s) => s.pixelMse)),
      reconMseMean: mean(scored.map((s) => s.reconMse)),
      hDrift: perTrial ? { mean: mean(perTrial), perTrial } : null,
    },
    shown: scored[o.trial].frames,
    energy: along ? along[o.trial] : null,
  };
}

/** Rolls every model out from every held-out trial, scores them, and composes the video of `trial`. */
export function importedRollout(
  models: Partial<Record<ModelKind, LoadedPixelModel>>,
  kinds: ModelKind[],
  ds: PixelDataset,
  o: { frames: number; trial: number; integrator?: RolloutIntegrator; projection: RolloutProjection },
): ImportedRolloutOutput {
  const notes: string[] = [];
  const frames = Math.min(o.frames, importedRolloutLimit(ds));
  if (frames < o.frames) notes.push(`the trials hold ${ds.params.frames} frames: rolled out ${frames} frames, not ${o.frames}`);
  const ref = yardstick(models, ds);
  const trials = Array.from({ length: ds.testTrials }, (_, t) => t);
  const result: ImportedComparison['models'] = {};
  const shown: Partial<Record<ModelKind, Float32Array>> = {};
  const energy: ImportedRolloutOutput['energy'] = { truth: null, models: {} };
  for (const k of kinds) {
    const c = compareModel(models[k]!, ds, frames, o, ref, notes);
    result[k] = c.comparison;
    shown[k] = c.shown;
    if (c.energy) energy.models[k] = c.energy;
  }
  let truthHDrift: ImportedComparison['truthHDrift'] = null;
  if (ref) {
    // the true pair of rollout frame f is test sample f of the trial (frames f+1, f+2), while the trial has samples
    const own = withContext(ds, contextOf(models[ref.kind]!.topology));
    const n = Math.min(frames, own.perTrial);
    const w = own.data.test.x.length / own.data.test.rows;
    const along = trials.map((t) => ref.along(own.data.test.x.subarray(t * own.perTrial * w, (t * own.perTrial + n) * w), n));
    const per = along.map((h) => energyDrift(h, ref.scale));
    truthHDrift = { mean: mean(per), perTrial: per };
    energy.truth = along[o.trial];
  }
  const NN = ds.params.size * ds.params.size * ds.params.channels;
  const split = (a: Float32Array) => Array.from({ length: frames }, (_, f) => a.subarray(f * NN, (f + 1) * NN));
  const video = composePanels(
    [
      { label: 'truth', frames: split(importedTruth(ds, o.trial, frames)) },
      ...kinds.map((k) => ({ label: LABEL[k], frames: split(shown[k]!) })),
    ],
    ds.params.size,
    { scale: Math.max(1, Math.round(168 / ds.params.size)), counter: true, channels: ds.params.channels },
  );
  const comparison: ImportedComparison = {
    frames,
    trials: trials.length,
    reference: ref?.kind ?? null,
    truthHDrift,
    models: result,
    description: `over all ${trials.length} held-out trials: VPT (frames until the normalised pixel error passes 0.025), pixel MSE, and the drift of the ${ref ? LABEL[ref.kind] : 'HNN'}'s learned H along each model's decoded frames (encoded by the ${ref ? LABEL[ref.kind] : 'HNN'}'s encoder): mean over frames of |H_t - H_0| / std(H over the encoded test samples)`,
    notes,
  };
  return { video, comparison, energy };
}

/** The reference H along the shown trial's rollouts and its truth. */
export async function importedEnergyPlot(path: string, out: ImportedRolloutOutput, trial: number): Promise<void> {
  const ref = out.comparison.reference;
  const x = (n: number) => Array.from({ length: n }, (_, i) => i);
  const models = Object.entries(out.energy.models) as Array<[ModelKind, Float64Array]>;
  await linePlot(path, {
    title: `imported data: the ${ref ? LABEL[ref] : 'HNN'}'s learned H along each rollout (held-out trial ${trial})`,
    xLabel: 'frame',
    yLabel: 'learned H',
    series: [
      ...(out.energy.truth
        ? [{ name: 'truth', x: x(out.energy.truth.length), y: Array.from(out.energy.truth), dashed: true, color: '#222222' }]
        : []),
      ...models.map(([k, h]) => ({ name: LABEL[k], x: x(h.length), y: Array.from(h), color: COLOR[k] })),
    ],
  });
}

/** Writes the video (GIF, and MP4 with ffmpeg), the energy plot and FILE.json of an imported dataset's rollout. */
export async function writeImportedRollout(
  models: Partial<Record<ModelKind, LoadedPixelModel>>,
  kinds: ModelKind[],
  ds: PixelDataset,
  o: RolloutOptions & { dataDir: string },
): Promise<RolloutResult> {
  const trial = o.trial ?? 0;
  const projection = o.projection ?? 'none';
  const r = importedRollout(models, kinds, ds, { frames: o.frames ?? 200, trial, integrator: o.integrator, projection });
  const out = resolve(o.out);
  const ext = extname(out).toLowerCase();
  const gif = ext === '.gif' ? out : out.slice(0, -ext.length) + '.gif';
  const fps = 1 / ds.params.frameDt;
  const videos = [gif];
  const notes = [...r.comparison.notes];
  await writeVideo(gif, r.video, { fps });
  if (ext === '.mp4' && hasFfmpeg()) {
    await writeVideo(out, r.video, { fps });
    videos.push(out);
  } else if (ext === '.mp4') notes.push(`MP4 skipped: ffmpeg is not on the PATH; wrote ${gif} instead`);
  const stem = join(o.plotsDir ? resolve(o.plotsDir) : dirname(out), basename(out, extname(out)));
  const energyPlot = `${stem}-energy.png`;
  await importedEnergyPlot(energyPlot, r, trial);
  writeJsonAtomic(`${out.slice(0, -ext.length)}.json`, {
    models: o.modelDirs,
    dataset: o.dataDir,
    trial,
    frames: r.comparison.frames,
    projection,
    fps,
    videos,
    plots: { energy: energyPlot, phase: null },
    comparison: r.comparison,
    versions: packageVersions(),
  });
  return { videos, phasePlot: null, energyPlot, scores: {}, notes, imported: r.comparison };
}
