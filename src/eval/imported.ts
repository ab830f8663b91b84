// What can be measured on imported data, which has no true energy (docs/IMPORT.md):
// - along rollouts from held-out trials: pixel MSE and VPT against the stored frames (pixels), or
//   state MSE and VPT against the measured states (states);
// - for pixels, also the VPT of the dynamics alone: against the model's own reconstructions of the
//   stored frames (an autoencoder whose reconstruction misses the frames by more than VPT's
//   threshold gives a VPT of 0 against them whatever its dynamics do);
// - the drift of the learned H along the model's own rollouts, in units of the spread of H over the
//   held-out data: mean over frames of |H(z_t) - H(z_0)| / std(H over the encoded test samples);
// - with a user's energy expression (states): energy MSE along the rollouts, as the real pendulum's.
import { decodeLatents, encodeRows, normalisedErrors, validPredictionTime, type PixelCodec } from './pixel.ts';
import type { LatentRollout } from './latent-rollout.ts';
import { contextOf } from '../../models/pixel-spec.ts';
import { groupedInterval, mean, median, type MeanCi } from './stats.ts';

/** Mean over frames of |H_t - H_0| / scale. */
export function energyDrift(h: ArrayLike<number>, scale: number): number {
  let s = 0;
  for (let i = 0; i < h.length; i++) s += Math.abs(h[i] - h[0]);
  return s / h.length / scale;
}

/** Population standard deviation (the unit of the drift). */
export function spread(values: ArrayLike<number>): number {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - m) ** 2;
  return Math.sqrt(v / n);
}

/** H of every row of z [rows, d]. */
export function energiesOf(H: (z: ArrayLike<number>) => number, z: Float64Array, d: number): Float64Array {
  return Float64Array.from({ length: z.length / d }, (_, r) => H(z.subarray(r * d, (r + 1) * d)));
}

export interface ImportedPixelRollout {
  /** First frame of each decoded row [frames, N^2 C]. */
  frames: Float32Array;
  errors: Float64Array;
  vpt: number;
  /** VPT against the model's reconstructions of the true frames (the errors still in units of the true frames' mean square) */
  vptRecon: number;
  /** mean over frames and pixels of (true frame - its reconstruction)^2: the floor under pixelMse */
  reconMse: number;
  /** mean over frames and pixels of (truth - prediction)^2 */
  pixelMse: number;
  /** Latents of the re-encoded decoded rows. */
  reencoded: Float64Array;
}

/** Decodes a latent rollout and scores it against the stored true frames (rollout frame f = trial frame f + 1). */
export function scoreImportedRollout(model: PixelCodec, latent: LatentRollout, truth: Float32Array, frames: number): ImportedPixelRollout {
  const C = contextOf(model.spec);
  const NN = model.input / C;
  const decoded = decodeLatents(model, latent.z);
  const first = new Float32Array(frames * NN);
  for (let f = 0; f < frames; f++) first.set(decoded.subarray(f * C * NN, f * C * NN + NN), f * NN);
  const errors = normalisedErrors(truth, first, NN, frames);
  const recon = reconstructFrames(model, truth, frames);
  return {
    frames: first,
    errors,
    vpt: validPredictionTime(errors),
    vptRecon: validPredictionTime(normalisedErrors(recon, first, NN, frames, truth)),
    reconMse: meanSquaredError(truth, recon, first.length),
    pixelMse: meanSquaredError(truth, first, first.length),
    reencoded: encodeRows(model, decoded, frames),
  };
}

/** mean over the first n values of (a - b)^2 */
function meanSquaredError(a: Float32Array, b: Float32Array, n: number): number {
  let se = 0;
  for (let i = 0; i < n; i++) se += (a[i] - b[i]) ** 2;
  return se / n;
}

/**
 * The autoencoder's reconstruction of each of `frames` consecutive frames [frames, N^2 C]: frame f is
 * decoded from the encoder row of C frames that starts at f (at frames - C for the last C - 1 frames).
 */
export function reconstructFrames(model: PixelCodec, truth: Float32Array, frames: number): Float32Array {
  const C = contextOf(model.spec);
  const NN = model.input / C;
  if (frames < C) throw new Error(`a reconstruction needs ${C} frames per encoder row, got ${frames}`);
  const rows = frames - C + 1;
  const x = new Float32Array(rows * C * NN);
  for (let k = 0; k < rows; k++) x.set(truth.subarray(k * NN, (k + C) * NN), k * C * NN);
  const decoded = decodeLatents(model, encodeRows(model, x, rows));
  const out = new Float32Array(frames * NN);
  for (let f = 0; f < frames; f++) {
    const k = Math.min(f, rows - 1);
    const at = (k * C + (f - k)) * NN;
    out.set(decoded.subarray(at, at + NN), f * NN);
  }
  return out;
}

/** The learned H's drift along rollouts: the latent path itself and its re-encoded decoded frames. */
export interface LearnedEnergyDrift {
  latent: { mean: number; perTrial: number[] };
  reencoded: { mean: number; perTrial: number[] };
  /** std of H over the encoded test samples: the unit of the drift */
  scale: number;
  description: string;
}

/** Drift of H along each trial's latent rollout and along its re-encoded frames, per trial and on average. */
export function learnedEnergyDrift(
  H: (z: ArrayLike<number>) => number,
  latents: Float64Array[],
  reencoded: Float64Array[],
  testLatents: Float64Array,
  d: number,
): LearnedEnergyDrift {
  const scale = spread(energiesOf(H, testLatents, d)) || 1;
  const latent = latents.map((z) => energyDrift(energiesOf(H, z, d), scale));
  const re = reencoded.map((z) => energyDrift(energiesOf(H, z, d), scale));
  return {
    latent: { mean: mean(latent), perTrial: latent },
    reencoded: { mean: mean(re), perTrial: re },
    scale,
    description:
      'mean over frames of |H(z_t) - H(z_0)| / std(H over the encoded test samples), along the latent rollout (latent) and along the encodings of its decoded frames (reencoded); mean over the test trials',
  };
}

export interface ImportedPixelSummary {
  vpt: number;
  vptMean: number;
  vptMedian: number;
  vptOver50: number;
  vptPerTrial: number[];
  /** VPT against the model's own reconstructions of the frames: the dynamics alone */
  vptRecon: { median: number; mean: number; perTrial: number[]; description: string };
  /** mean over the test trials of the reconstruction's pixel MSE */
  reconMse: number;
  pixelMse: MeanCi & { perTrial: number[]; description: string };
}

function reconVpt(rollouts: ImportedPixelRollout[]): ImportedPixelSummary['vptRecon'] {
  const v = rollouts.map((r) => r.vptRecon);
  return {
    median: median(v),
    mean: mean(v),
    perTrial: v,
    description:
      "frames until mean((reconstruction - decoded rollout)^2) / mean(true frame^2) exceeds VPT's threshold, the reconstruction being the model's own autoencoder on the true frames: the latent dynamics alone, read beside reconMse",
  };
}

/** VPT and pixel MSE over the test trials (trial 0 first). */
export function summariseImported(rollouts: ImportedPixelRollout[], frames: number): ImportedPixelSummary {
  const vpts = rollouts.map((r) => r.vpt);
  const per = rollouts.map((r) => r.pixelMse);
  const groups = Math.min(5, per.length);
  const ci = groups >= 2 ? groupedInterval(per, groups) : { mean: per[0], ci: NaN };
  return {
    vpt: vpts[0],
    vptMean: mean(vpts),
    vptMedian: median(vpts),
    vptOver50: vpts.filter((v) => v > 50).length / vpts.length,
    vptPerTrial: vpts,
    vptRecon: reconVpt(rollouts),
    reconMse: mean(rollouts.map((r) => r.reconMse)),
    pixelMse: {
      ...ci,
      perTrial: per,
      description: `mean over ${per.length} test trials of the mean over ${frames} frames and all pixels of (true frame - decoded rollout frame)^2; +- = std of ${groups} group means / sqrt(${groups})`,
    },
  };
}
