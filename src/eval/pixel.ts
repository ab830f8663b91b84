// Evaluation of pixel models of any system: latent rollouts decoded to frames, the pixel energy MSE
// (docs/PROTOCOLS.md: an affine map latent -> state fitted on the training set, applied to the
// re-encoded decoded rollout, then the system's own H), the valid prediction time (VPT), and the
// swing or orbit period of the rollout against the truth.
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import type { PixelModel } from '../../models/pixel.ts';
import { contextOf } from '../../models/pixel-spec.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { latentField, latentRollout, type LatentRollout } from './latent-rollout.ts';
import { groupedInterval, median, type MeanCi } from './stats.ts';

/** VPT threshold of the DeepMind suite: mean((truth - pred)^2) / mean(truth^2). */
export const VPT_THRESHOLD = 0.025;

import type { RolloutIntegrator, RolloutProjection } from './integrators.ts';
import type { Field } from '../systems/system.ts';
export { ROLLOUT_INTEGRATORS, type RolloutIntegrator } from './integrators.ts';
export { latentField, latentRollout, type LatentRollout } from './latent-rollout.ts';

/**
 * What encoding, decoding and rollouts use of a pixel model: its sizes and kind, and the two halves
 * of its autoencoder. The browser page passes its own (an Autoencoder built from the saved weights).
 */
export type PixelCodec = Pick<PixelModel, 'input' | 'spec' | 'encode' | 'decode'>;

/** Encodes rows of pixel pairs, [rows, latent] in float64. */
export function encodeRows(model: PixelCodec, pixels: Float32Array, rows: number, chunk = 2000): Float64Array {
  const w = model.input;
  const d = model.spec.latent;
  const out = new Float64Array(rows * d);
  inChunks(rows, chunk, (s, n) => out.set(model.encode(tf.tensor2d(pixels.subarray(s * w, (s + n) * w), [n, w])).dataSync(), s * d));
  return out;
}

/** Decodes latents [n, latent] to pixel pairs [n, input] (raw decoder output, not clamped). */
export function decodeLatents(model: PixelCodec, z: Float64Array, chunk = 2000): Float32Array {
  const d = model.spec.latent;
  const n = z.length / d;
  const out = new Float32Array(n * model.input);
  inChunks(n, chunk, (s, m) =>
    out.set(model.decode(tf.tensor2d(Float32Array.from(z.subarray(s * d, (s + m) * d)), [m, d])).dataSync(), s * model.input),
  );
  return out;
}

/**
 * Map from the latent z (d values) to the system's state x (dim values), linear in the features of
 * z: x = A [z, 1] (affine), or x = A [z, z_i z_j for i <= j, 1] (quadratic: two bodies' positions are
 * not an affine function of an autoencoder's latent; docs/PROTOCOLS.md).
 */
export interface LatentMap {
  /** one row per state coordinate: a coefficient per feature, the offset last */
  coef: number[][];
  /** R^2 of each state coordinate on the fit data. */
  r2: number[];
  /** quadratic features (absent: affine, as every map saved before quadratic ones existed) */
  quadratic?: boolean;
}

import type { LatentMapKind } from '../tasks/vocabulary.ts';
export type { LatentMapKind } from '../tasks/vocabulary.ts';

/** The features of one latent (the offset's 1 not included): z, then z_i z_j (i <= j) when quadratic. */
function latentFeatures(z: ArrayLike<number>, quadratic: boolean): number[] {
  const f = Array.from(z);
  if (quadratic) for (let i = 0; i < z.length; i++) for (let j = i; j < z.length; j++) f.push(z[i] * z[j]);
  return f;
}

/**
 * Least-squares fit of the state (the first `dim` label columns) on (features of z, 1): labels
 * row-major [rows, labelWidth], latents [rows, d]. Solved by the normal equations (one unknown per
 * feature and the offset, per output).
 */
export function fitLatentMap(
  z: Float64Array,
  labels: ArrayLike<number>,
  rows: number,
  labelWidth: number,
  dim: number,
  kind: LatentMapKind = 'affine',
): LatentMap {
  const d = z.length / rows;
  const quadratic = kind === 'quadratic';
  // each row's features with the offset's 1 last
  const rowFeatures = Array.from({ length: rows }, (_, r) => [...latentFeatures(z.subarray(r * d, (r + 1) * d), quadratic), 1]);
  const n = rowFeatures[0].length;
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const f of rowFeatures) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ata[i][j] += f[i] * f[j];
  const coef: number[][] = [];
  const r2: number[] = [];
  for (let c = 0; c < dim; c++) {
    const y = (r: number) => labels[r * labelWidth + c];
    const aty = new Array<number>(n).fill(0);
    for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) aty[i] += rowFeatures[r][i] * y(r);
    const w = solve(ata, aty);
    coef.push(w);
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += y(r);
    mean /= rows;
    let ssRes = 0;
    let ssTot = 0;
    for (let r = 0; r < rows; r++) {
      let pred = 0;
      for (let i = 0; i < n; i++) pred += w[i] * rowFeatures[r][i];
      ssRes += (y(r) - pred) ** 2;
      ssTot += (y(r) - mean) ** 2;
    }
    r2.push(ssTot > 0 ? 1 - ssRes / ssTot : NaN);
  }
  return quadratic ? { coef, r2, quadratic } : { coef, r2 };
}

/** The kind of a map (a map saved without the field is affine). */
export function latentMapKind(map: LatentMap): LatentMapKind {
  return map.quadratic ? 'quadratic' : 'affine';
}

/** Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    if (m[c][c] === 0) throw new Error('latent map: singular system (the encoder collapsed the latent)');
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** The state the map gives for latent z. */
export function applyLatentMap(map: LatentMap, z: ArrayLike<number>): Float64Array {
  const f = map.quadratic ? latentFeatures(z, true) : z;
  const n = map.coef[0].length - 1;
  return Float64Array.from(map.coef, (w) => {
    let v = w[n];
    for (let i = 0; i < n; i++) v += w[i] * f[i];
    return v;
  });
}

/**
 * Per-frame normalised error mean((truth - pred)^2) / mean(scale^2), frames of `size` values; the
 * scale is the truth unless given (a reconstruction compared in units of the true frames).
 */
export function normalisedErrors(truth: Float32Array, pred: Float32Array, size: number, frames: number, scale = truth): Float64Array {
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let se = 0;
    let ss = 0;
    for (let i = f * size; i < (f + 1) * size; i++) {
      se += (truth[i] - pred[i]) ** 2;
      ss += scale[i] ** 2;
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

/** What a rollout is scored against: true frames, and the true energy and periodic coordinate per rollout frame. */
export interface RolloutTruth {
  /** [frames, N^2 * channels] */
  frames: Float32Array;
  energy: ArrayLike<number>;
  /** the coordinate whose oscillation gives the period, at the frame the latent map describes (the pair's newer frame); empty if none */
  periodic: ArrayLike<number>;
}

/** How a task scores rollouts: its energy of a state, and which state coordinate oscillates (null: none). */
export interface RolloutScoring {
  energy(x: Float64Array): number;
  periodCoordinate: number | null;
}

export interface PixelRollout {
  latent: LatentRollout;
  /** Decoded rows (pairs, or stacks of the model's context) [frames, C N^2]. */
  decoded: Float32Array;
  /** First frame of each decoded row [frames, N^2]: what the video shows and VPT compares. */
  frames: Float32Array;
  /** Energy of each re-encoded decoded pair under the latent map. */
  energy: Float64Array;
  /** Latents of the re-encoded decoded pairs. */
  reencoded: Float64Array;
  errors: Float64Array;
  vpt: number;
  /** mean over frames of (E_true - E_pred)^2 */
  energyMse: number;
  /** swing or orbit period of the latent rollout (its periodic coordinate under the latent map) over the true one; NaN if none */
  periodRatio: number;
}

/**
 * Rolls a trained pixel model out from the pair x0 for `frames` frames, decodes, re-encodes and scores
 * against the truth (frame i aligned with decoded pair i's first frame; energy and angle per frame).
 * With the autoencoder projection every frame's latent is encode(decode(z)) before the next step.
 */
export function pixelRollout(
  model: PixelCodec,
  weights: NamedWeights,
  x0: Float32Array,
  truth: RolloutTruth,
  map: LatentMap,
  scoring: RolloutScoring,
  frames: number,
  integrator: RolloutIntegrator = 'rk45',
  projection: RolloutProjection = 'none',
): PixelRollout {
  const field = latentField(model.spec.kind, weights);
  const z0 = encodeRows(model, x0, 1);
  // a projected rollout takes the evaluation's path (projectedRollouts, here with one start)
  const latent =
    projection === 'autoencoder'
      ? projectedRollouts(model, field, [z0], frames, integrator)[0]
      : latentRollout(field, z0, frames, { integrator });
  return scoreLatentRollout(model, latent, truth, map, scoring, frames);
}

/**
 * Projected rollouts of several starts in lockstep: each frame, every start takes its step, and the
 * stepped latents are projected together, z <- encode(decode(z)), in one decode and one encode (one
 * call per trial and frame made a 40-trial evaluation some 16000 small calls). A start whose step or
 * projection is not finite holds its last state, as latentRollout does.
 */
export function projectedRollouts(
  model: PixelCodec,
  field: Field,
  z0s: Float64Array[],
  frames: number,
  integrator: RolloutIntegrator,
): LatentRollout[] {
  const d = model.spec.latent;
  const out = z0s.map((z0) => {
    const z = new Float64Array(frames * d);
    z.set(z0, 0);
    return { z, reached: 1 };
  });
  const xs = z0s.map((z0) => Float64Array.from(z0));
  for (let f = 1; f < frames; f++) {
    const live = out.flatMap((o, i) => (o.reached === f ? [i] : []));
    if (live.length === 0) break;
    const steps = live.map((i) => latentRollout(field, xs[i], 2, { integrator }));
    const batch = new Float64Array(live.length * d);
    steps.forEach((r, k) => batch.set(r.z.subarray(d), k * d));
    const projected = encodeRows(model, decodeLatents(model, batch), live.length);
    live.forEach((i, k) => {
      const x = projected.slice(k * d, (k + 1) * d);
      if (steps[k].reached < 2 || !x.every(Number.isFinite)) return;
      xs[i] = x;
      out[i].z.set(x, f * d);
      out[i].reached = f + 1;
    });
  }
  for (const o of out) for (let f = o.reached; f < frames; f++) o.z.copyWithin(f * d, (o.reached - 1) * d, o.reached * d);
  return out;
}

/** The rest of a pixel rollout once its latents are known: decode, re-encode and score against the truth. */
export function scoreLatentRollout(
  model: PixelCodec,
  latent: LatentRollout,
  truth: RolloutTruth,
  map: LatentMap,
  scoring: RolloutScoring,
  frames: number,
): PixelRollout {
  const C = contextOf(model.spec);
  const NN = model.input / C;
  const d = model.spec.latent;
  const decoded = decodeLatents(model, latent.z);
  const first = new Float32Array(frames * NN);
  for (let f = 0; f < frames; f++) first.set(decoded.subarray(f * C * NN, f * C * NN + NN), f * NN);
  const reencoded = encodeRows(model, decoded, frames);
  const energy = new Float64Array(frames);
  let se = 0;
  for (let f = 0; f < frames; f++) {
    energy[f] = scoring.energy(applyLatentMap(map, reencoded.subarray(f * d, (f + 1) * d)));
    se += (truth.energy[f] - energy[f]) ** 2;
  }
  const errors = normalisedErrors(truth.frames, first, NN, frames);
  const c = scoring.periodCoordinate;
  const periodic =
    c === null ? null : Float64Array.from({ length: frames }, (_, f) => applyLatentMap(map, latent.z.subarray(f * d, (f + 1) * d))[c]);
  const periodRatio = periodic ? meanPeriod(periodic) / meanPeriod(truth.periodic) : NaN;
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
  /** Fraction of the test trials whose VPT passes 50 frames. */
  vptOver50: number;
  vptPerTrial: number[];
  /** Energy MSE of the first test trial alone. */
  energyMseTrial0: number;
  /** Swing period of each latent rollout over the true one (NaN where either swings less than twice). */
  periodRatioPerTrial: number[];
  /** mean over trials of |period ratio - 1| */
  periodErrorMean: number;
}

function meanAbsError(ratios: number[]): number {
  const ok = ratios.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, r) => a + Math.abs(r - 1), 0) / ok.length : NaN;
}

/** Combines rollouts of several test trials (trial 0 first): energy MSE with the 5-group interval, VPT mean and median. */
export function summariseRollouts(rollouts: PixelRollout[], trials: number[], frames: number, energyName: string): PixelEnergySummary {
  const per = rollouts.map((r) => r.energyMse);
  const groups = Math.min(5, per.length);
  const ci = groups >= 2 ? groupedInterval(per, groups) : { mean: per.reduce((a, b) => a + b, 0) / per.length, ci: NaN };
  const vpts = rollouts.map((r) => r.vpt);
  return {
    energyMse: {
      ...ci,
      perTrial: per,
      trials,
      description: `mean over ${per.length} test trials of mean over ${frames} frames of (H_true - H_pred)^2, H = ${energyName}, the state from an affine map of the re-encoded decoded rollout fitted on the training set; +- = std of ${groups} group means / sqrt(${groups})`,
    },
    vpt: vpts[0],
    vptMean: vpts.reduce((a, b) => a + b, 0) / vpts.length,
    vptMedian: median(vpts),
    vptOver50: vpts.filter((v) => v > 50).length / vpts.length,
    vptPerTrial: vpts,
    energyMseTrial0: per[0],
    periodRatioPerTrial: rollouts.map((r) => r.periodRatio),
    periodErrorMean: meanAbsError(rollouts.map((r) => r.periodRatio)),
  };
}
