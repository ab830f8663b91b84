// Evaluation of pixel models: latent rollouts decoded to frames, the pixel energy MSE of
// REFERENCE.md (a linear map latent -> (phi, p) fitted on the training set, applied to the
// re-encoded decoded rollout), and the valid prediction time (VPT).
import * as tf from '@tensorflow/tfjs';
import type { PixelModel } from '../../models/pixel.ts';
import { fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { integrateHeld } from './energy.ts';
import * as leapfrog from '../integrate/leapfrog.ts';
import type { Field } from '../physics/system.ts';
import { groupedInterval, type MeanCi } from './stats.ts';

/** Renderer energy E = omega^2/2 + 15 (1 - cos phi), scaled by 1/8, in (phi, p = omega/4): H = 1.875 (1 - cos phi) + p^2. */
export const PIXEL_ENERGY_W = 15 / 8;

export function pixelEnergy(phi: number, p: number): number {
  return PIXEL_ENERGY_W * (1 - Math.cos(phi)) + p * p;
}

/** VPT threshold of the DeepMind suite: mean((truth - pred)^2) / mean(truth^2). */
export const VPT_THRESHOLD = 0.025;

import type { RolloutIntegrator } from './integrators.ts';
export { ROLLOUT_INTEGRATORS, type RolloutIntegrator } from './integrators.ts';

/** Encodes rows of pixel pairs, [rows, latent] in float64. */
export function encodeRows(model: PixelModel, pixels: Float32Array, rows: number, chunk = 2000): Float64Array {
  const w = model.input;
  const d = model.spec.latent;
  const out = new Float64Array(rows * d);
  for (let s = 0; s < rows; s += chunk) {
    const n = Math.min(chunk, rows - s);
    tf.tidy(() => out.set(model.encode(tf.tensor2d(pixels.subarray(s * w, (s + n) * w), [n, w])).dataSync(), s * d));
  }
  return out;
}

/** Decodes latents [n, latent] to pixel pairs [n, input] (raw decoder output, not clamped). */
export function decodeLatents(model: PixelModel, z: Float64Array, chunk = 2000): Float32Array {
  const d = model.spec.latent;
  const n = z.length / d;
  const out = new Float32Array(n * model.input);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    tf.tidy(() =>
      out.set(model.decode(tf.tensor2d(Float32Array.from(z.subarray(s * d, (s + m) * d)), [m, d])).dataSync(), s * model.input),
    );
  }
  return out;
}

/** Affine map from a 2-D latent to (phi, p): [phi, p] = A [z0, z1, 1]. */
export interface LatentMap {
  /** rows: phi, p; columns: z0, z1, 1 */
  coef: [number[], number[]];
  /** R^2 of each output on the fit data. */
  r2: [number, number];
}

/** Least squares fit of (phi, p) on (z0, z1, 1): labels row-major [rows, >= 3] as the dataset's (phi, dphi/dt, p). */
export function fitLatentMap(z: Float64Array, labels: ArrayLike<number>, rows: number, labelWidth = 3): LatentMap {
  const targets = [(r: number) => labels[r * labelWidth], (r: number) => labels[r * labelWidth + 2]];
  const ata = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let r = 0; r < rows; r++) {
    const a = [z[2 * r], z[2 * r + 1], 1];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) ata[i][j] += a[i] * a[j];
  }
  const coef = targets.map((y) => {
    const aty = [0, 0, 0];
    for (let r = 0; r < rows; r++) {
      const v = y(r);
      aty[0] += z[2 * r] * v;
      aty[1] += z[2 * r + 1] * v;
      aty[2] += v;
    }
    return solve3(ata, aty);
  }) as [number[], number[]];
  const r2 = targets.map((y, k) => {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += y(r);
    mean /= rows;
    let ssRes = 0;
    let ssTot = 0;
    for (let r = 0; r < rows; r++) {
      const pred = coef[k][0] * z[2 * r] + coef[k][1] * z[2 * r + 1] + coef[k][2];
      ssRes += (y(r) - pred) ** 2;
      ssTot += (y(r) - mean) ** 2;
    }
    return ssTot > 0 ? 1 - ssRes / ssTot : NaN;
  }) as [number, number];
  return { coef, r2 };
}

/** Gaussian elimination with partial pivoting on a 3x3 system. */
function solve3(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < 3; c++) {
    let piv = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    if (m[c][c] === 0) throw new Error('latent map: singular system (the encoder collapsed the latent)');
    for (let r = c + 1; r < 3; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k < 4; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = m[r][3];
    for (let k = r + 1; k < 3; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

export function applyLatentMap(map: LatentMap, z0: number, z1: number): [number, number] {
  const [a, b] = map.coef;
  return [a[0] * z0 + a[1] * z1 + a[2], b[0] * z0 + b[1] * z1 + b[2]];
}

/** The learned latent field in float64 (HNN symplectic gradient or baseline output). */
export function latentField(kind: 'hnn' | 'baseline', weights: NamedWeights): Field {
  return fieldFunction(kind, weights);
}

export interface LatentRollout {
  /** [frames, latent], frame i at latent time i * dt */
  z: Float64Array;
  /** Frames actually reached before the integrator gave up (the last state is held after). */
  reached: number;
}

/**
 * Integrates the latent field from z0 for `frames` frames (z0 is frame 0) at `dt` latent time units
 * per frame: adaptive RK45 by default, or leapfrog with `substeps` steps per frame.
 */
export function latentRollout(
  field: Field,
  z0: Float64Array,
  frames: number,
  opts: { integrator?: RolloutIntegrator; dt?: number; rtol?: number; atol?: number; substeps?: number } = {},
): LatentRollout {
  const d = z0.length;
  const dt = opts.dt ?? 1;
  const z = new Float64Array(frames * d);
  if ((opts.integrator ?? 'rk45') === 'rk45') {
    const tEval = Float64Array.from({ length: frames }, (_, i) => i * dt);
    return { z, reached: integrateHeld(field, z0, tEval, { rtol: opts.rtol ?? 1e-9, atol: opts.atol ?? 1e-9 }, z) };
  }
  const sub = opts.substeps ?? 10;
  let x: Float64Array = Float64Array.from(z0);
  z.set(x, 0);
  let reached = 1;
  for (let f = 1; f < frames; f++) {
    for (let s = 0; s < sub; s++) x = leapfrog.step(field, 0, x, dt / sub);
    if (!x.every(Number.isFinite)) break;
    z.set(x, f * d);
    reached = f + 1;
  }
  for (let f = reached; f < frames; f++) z.copyWithin(f * d, (reached - 1) * d, reached * d);
  return { z, reached };
}

/** Per-frame normalised error mean((truth - pred)^2) / mean(truth^2), frames of `size` values. */
export function normalisedErrors(truth: Float32Array, pred: Float32Array, size: number, frames: number): Float64Array {
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let se = 0;
    let ss = 0;
    for (let i = f * size; i < (f + 1) * size; i++) {
      se += (truth[i] - pred[i]) ** 2;
      ss += truth[i] ** 2;
    }
    out[f] = ss > 0 ? se / ss : se > 0 ? Infinity : 0;
  }
  return out;
}

/** Valid prediction time: the first frame whose normalised error exceeds the threshold (frames if none does). */
export function validPredictionTime(errors: ArrayLike<number>, threshold = VPT_THRESHOLD): number {
  for (let f = 0; f < errors.length; f++) if (!(errors[f] <= threshold)) return f;
  return errors.length;
}

/**
 * Mean swing period, in frames: the mean interval between upward crossings of the signal's own
 * mean, located by linear interpolation. NaN with fewer than two crossings.
 */
export function meanPeriod(x: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let first = NaN;
  let last = NaN;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] - mean;
    const b = x[i] - mean;
    if (a < 0 && b >= 0) {
      const at = i - 1 + a / (a - b);
      if (count === 0) first = at;
      last = at;
      count++;
    }
  }
  return count >= 2 ? (last - first) / (count - 1) : NaN;
}

/** What a rollout is scored against: true frames, energy and angle per rollout frame. */
export interface RolloutTruth {
  /** [frames, N^2] */
  frames: Float32Array;
  energy: ArrayLike<number>;
  /** angle of the frame the latent map describes (the pair's newer frame) */
  phi: ArrayLike<number>;
}

export interface PixelRollout {
  latent: LatentRollout;
  /** Decoded pairs [frames, 2 N^2]. */
  decoded: Float32Array;
  /** First frame of each decoded pair [frames, N^2]: what the video shows and VPT compares. */
  frames: Float32Array;
  /** Energy of each re-encoded decoded pair under the latent map. */
  energy: Float64Array;
  /** Latents of the re-encoded decoded pairs. */
  reencoded: Float64Array;
  errors: Float64Array;
  vpt: number;
  /** mean over frames of (E_true - E_pred)^2 */
  energyMse: number;
  /** swing period of the latent rollout (its angle under the latent map) over the true one */
  periodRatio: number;
}

/**
 * Rolls a trained pixel model out from the pair x0 for `frames` frames, decodes, re-encodes and scores
 * against the truth (frame i aligned with decoded pair i's first frame; energy and angle per frame).
 */
export function pixelRollout(
  model: PixelModel,
  weights: NamedWeights,
  x0: Float32Array,
  truth: RolloutTruth,
  map: LatentMap,
  frames: number,
  integrator: RolloutIntegrator = 'rk45',
): PixelRollout {
  const NN = model.input / 2;
  const z0 = encodeRows(model, x0, 1);
  const latent = latentRollout(latentField(model.spec.kind, weights), z0, frames, { integrator });
  const decoded = decodeLatents(model, latent.z);
  const first = new Float32Array(frames * NN);
  for (let f = 0; f < frames; f++) first.set(decoded.subarray(f * 2 * NN, f * 2 * NN + NN), f * NN);
  const reencoded = encodeRows(model, decoded, frames);
  const energy = new Float64Array(frames);
  let se = 0;
  for (let f = 0; f < frames; f++) {
    const [phi, p] = applyLatentMap(map, reencoded[2 * f], reencoded[2 * f + 1]);
    energy[f] = pixelEnergy(phi, p);
    se += (truth.energy[f] - energy[f]) ** 2;
  }
  const errors = normalisedErrors(truth.frames, first, NN, frames);
  const latentPhi = Float64Array.from({ length: frames }, (_, f) => applyLatentMap(map, latent.z[2 * f], latent.z[2 * f + 1])[0]);
  const periodRatio = meanPeriod(latentPhi) / meanPeriod(truth.phi);
  return {
    latent,
    decoded,
    frames: first,
    energy,
    reencoded,
    errors,
    vpt: validPredictionTime(errors),
    energyMse: se / frames,
    periodRatio,
  };
}

export interface PixelEnergySummary {
  energyMse: MeanCi & { perTrial: number[]; trials: number[]; description: string };
  /** VPT of the first test trial (the rollout of the video). */
  vpt: number;
  vptMean: number;
  vptMedian: number;
  vptPerTrial: number[];
  /** Energy MSE of the first test trial alone. */
  energyMseTrial0: number;
  /** Swing period of each latent rollout over the true one (NaN where either swings less than twice). */
  periodRatioPerTrial: number[];
  /** mean over trials of |period ratio - 1| */
  periodErrorMean: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function meanAbsError(ratios: number[]): number {
  const ok = ratios.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, r) => a + Math.abs(r - 1), 0) / ok.length : NaN;
}

/** Combines rollouts of several test trials (trial 0 first): energy MSE with the 5-group interval, VPT mean and median. */
export function summariseRollouts(rollouts: PixelRollout[], trials: number[], frames: number): PixelEnergySummary {
  const per = rollouts.map((r) => r.energyMse);
  const groups = Math.min(5, per.length);
  const ci = groups >= 2 ? groupedInterval(per, groups) : { mean: per.reduce((a, b) => a + b, 0) / per.length, ci: NaN };
  const vpts = rollouts.map((r) => r.vpt);
  return {
    energyMse: {
      ...ci,
      perTrial: per,
      trials,
      description: `mean over ${per.length} test trials of mean over ${frames} frames of (H_true - H_pred)^2, H = 1.875 (1 - cos phi) + p^2, (phi, p) from a linear map of the re-encoded decoded rollout fitted on the training set; +- = std of ${groups} group means / sqrt(${groups})`,
    },
    vpt: vpts[0],
    vptMean: vpts.reduce((a, b) => a + b, 0) / vpts.length,
    vptMedian: median(vpts),
    vptPerTrial: vpts,
    energyMseTrial0: per[0],
    periodRatioPerTrial: rollouts.map((r) => r.periodRatio),
    periodErrorMean: meanAbsError(rollouts.map((r) => r.periodRatio)),
  };
}
