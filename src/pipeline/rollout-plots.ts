// The plots of `hnn rollout`: the energy of each rollout over the frames against the truth, and the
// phase portrait of a learned H in the latent plane with the encoded test trajectory.
import { hamiltonianFunction } from '../../models/f64.ts';
import type { ModelKind } from '../../models/kinds.ts';
import { contextOf } from '../../models/pixel.ts';
import type { LoadedPixelModel } from '../../models/storage.ts';
import { encodeRows, type PixelRollout, type RolloutTruth } from '../eval/pixel.ts';
import { energyName } from '../eval/pixel-trials.ts';
import { contourPlot, linePlot } from '../media/plot.ts';
import { withContext, type PixelDataset } from '../../datasets/pixel-load.ts';

/** Video and plot labels and plot colours of the models. */
export const LABEL: Record<ModelKind, string> = { baseline: 'baseline', hnn: 'HNN', dhnn: 'D-HNN' };
const COLOR: Record<ModelKind, string> = { baseline: '#ff7f0e', hnn: '#1f77b4', dhnn: '#2ca02c' };

/** The loaded models of a rollout, by kind. */
export type LoadedModels = Partial<Record<ModelKind, LoadedPixelModel>>;
/** Each model's rollout, by kind. */
export type Rollouts = Partial<Record<ModelKind, PixelRollout>>;

/** The energy of the truth (dashed) and of each model's rollout over the frames; `how` names the integrators and the projection in the title. */
export async function plotRolloutEnergy(
  path: string,
  ds: PixelDataset,
  trial: number,
  frames: number,
  how: string,
  truth: RolloutTruth,
  kinds: ModelKind[],
  rollouts: Rollouts,
): Promise<void> {
  await linePlot(path, {
    title: `${ds.task.name}: energy along the rollout (test trial ${trial}, ${how})`,
    xLabel: 'frame',
    yLabel: energyName(ds.task),
    series: [
      { name: 'truth', x: range(frames), y: truth.energy, dashed: true, color: '#222222' },
      ...kinds.map((k) => ({ name: LABEL[k], x: range(frames), y: rollouts[k]!.energy, color: COLOR[k] })),
    ],
  });
}

/** STEM-phase.png, the phase portrait of the HNN's learned H (else the D-HNN's), for one-degree-of-freedom systems; null when not drawn. */
export async function plotLearnedH(
  stem: string,
  ds: PixelDataset,
  trial: number,
  models: LoadedModels,
  rollouts: Rollouts,
): Promise<string | null> {
  const withH = (['hnn', 'dhnn'] as const).find((k) => models[k]);
  if (!withH || ds.task.system.dof !== 1) return null;
  const path = `${stem}-phase.png`;
  await phasePortrait(path, withH, models[withH]!, withContext(ds, contextOf(models[withH]!.topology)), trial, rollouts[withH]!);
  return path;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Contours of the learned H over the latent plane, the encoded test trajectory and the model's rollout on top. */
async function phasePortrait(
  path: string,
  kind: 'hnn' | 'dhnn',
  m: LoadedPixelModel,
  ds: PixelDataset,
  trial: number,
  rollout: PixelRollout,
): Promise<void> {
  const w = m.model.input;
  const rows = ds.perTrial;
  const start = trial * rows;
  const z = encodeRows(m.model, ds.data.test.x.subarray(start * w, (start + rows) * w), rows);
  const col = (a: Float64Array, c: number) => Array.from({ length: a.length / 2 }, (_, i) => a[2 * i + c]);
  const xs = [...col(z, 0), ...col(rollout.latent.z, 0)].filter(Number.isFinite);
  const ys = [...col(z, 1), ...col(rollout.latent.z, 1)].filter(Number.isFinite);
  const padded = (v: number[]): [number, number] => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = 0.25 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  const H = hamiltonianFunction(m.weights, kind);
  await contourPlot(path, {
    title: `learned H in the latent plane (test trial ${trial})`,
    f: (q, p) => H([q, p]),
    xRange: padded(xs),
    yRange: padded(ys),
    levels: 14,
    overlay: [
      { x: col(z, 0), y: col(z, 1), name: 'encoded test frames' },
      { x: col(rollout.latent.z, 0), y: col(rollout.latent.z, 1), name: `${LABEL[kind]} latent rollout` },
    ],
    xLabel: 'z_q',
    yLabel: 'z_p',
  });
}
