// Derivative loss of a trained state model on a split: mean squared error and std/sqrt(rows); and the
// same loss against a field that predicts no motion, which says whether the model learned anything.
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import type { DynamicsModel } from '../../models/dynamics.ts';
import type { StateSplit } from '../train/state.ts';
import { squaredErrorStats, type MeanSem } from './stats.ts';

/** The squared errors of a model's dx/dt on a split, row-major [rows, dim]. */
export function derivativeErrors(model: DynamicsModel, split: StateSplit, dim: number, chunk = 5000): Float64Array {
  const squared = new Float64Array(split.rows * dim);
  inChunks(split.rows, chunk, (start, n) => {
    const x = tf.tensor2d(Float32Array.from(split.x.subarray(start * dim, (start + n) * dim)), [n, dim]);
    const dx = tf.tensor2d(Float32Array.from(split.dx.subarray(start * dim, (start + n) * dim)), [n, dim]);
    squared.set(tf.squaredDifference(model.field(x), dx).dataSync(), start * dim);
  });
  return squared;
}

/** The MSE of a model's dx/dt on a split, with its standard error over rows (the paper's train and test loss). */
export function derivativeLoss(model: DynamicsModel, split: StateSplit, dim: number, chunk = 5000): MeanSem {
  return squaredErrorStats(derivativeErrors(model, split, dim, chunk), split.rows);
}

/**
 * The share of the no-motion field's loss a model must remove to count as having learned: its loss
 * at most 0.9 of no motion's. After 400 updates the built-in state tasks' HNNs are at 0.0008 to 0.86
 * (the three-body's the highest; about 0.3 at its protocol's end), while a model that collapsed to a
 * near-constant field (spring, --lr 0.9) sits at 0.995.
 */
export const LEARNED_RATIO = 0.9;

/** Why the rollout metrics of a model that learned nothing mean nothing, for every message that says so. */
export const NO_MOTION_REASON = 'a field that barely moves conserves energy by construction';

/** A model's derivative loss beside that of a field predicting no motion (dx/dt = 0) on the same rows. */
export interface AgainstNoMotion {
  /** the no-motion field's loss: the mean of the squared targets */
  noMotionLoss: number;
  /** the model's loss over the no-motion field's */
  ratio: number;
  /**
   * false when the model is not clearly better than no motion: its ratio is LEARNED_RATIO or more, or
   * the mean over rows of the paired difference of their squared errors, plus twice its
   * std/sqrt(rows), is not below 0. Such a model learned nothing, and its rollout metrics measure
   * nothing it learned: a field that barely moves conserves energy (and a learned H) by construction.
   */
  learned: boolean;
}

/** Compares a model's squared errors on `split` (derivativeErrors) with those of a field predicting no motion. */
export function againstNoMotion(squared: ArrayLike<number>, split: StateSplit, dim: number): AgainstNoMotion {
  const rows = split.rows;
  const model = new Float64Array(rows);
  const none = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      model[r] += squared[j] / dim;
      none[r] += split.dx[j] ** 2 / dim;
    }
  }
  const c = againstReference(model, none);
  return { noMotionLoss: c.referenceLoss, ratio: c.ratio, learned: c.learned };
}

/** A model's per-row losses beside a trivial predictor's on the same rows (see AgainstNoMotion.learned). */
export interface AgainstReference {
  /** the trivial predictor's mean loss */
  referenceLoss: number;
  /** the model's mean loss over the reference's; 1 when the reference's is 0 (no model does better) */
  ratio: number;
  /** the model's loss is under LEARNED_RATIO of the reference's, and the paired difference is significant */
  learned: boolean;
}

/**
 * The paired comparison behind every "learned nothing" check: the model learned when its mean loss
 * is under LEARNED_RATIO of the reference's and the mean over rows of the differences, plus twice
 * their std/sqrt(rows), is below 0. A reference at 0 (a latent that does not move at all) is a
 * ratio of 1: nothing learned.
 */
export function againstReference(model: ArrayLike<number>, reference: ArrayLike<number>): AgainstReference {
  const rows = model.length;
  if (reference.length !== rows) throw new Error(`againstReference: ${rows} model rows against ${reference.length} reference rows`);
  const diff = new Float64Array(rows);
  let m = 0;
  let ref = 0;
  for (let r = 0; r < rows; r++) {
    m += model[r];
    ref += reference[r];
    diff[r] = model[r] - reference[r];
  }
  const paired = squaredErrorStats(diff, rows); // mean and std/sqrt(rows) of the per-row differences
  const ratio = ref > 0 ? m / ref : 1;
  const learned = ratio < LEARNED_RATIO && paired.mean + 2 * paired.sem < 0;
  return { referenceLoss: ref / rows, ratio, learned };
}
