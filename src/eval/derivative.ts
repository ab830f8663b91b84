// Derivative loss of a trained state model on a split: mean squared error and std/sqrt(rows).
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import type { DynamicsModel } from '../../models/dynamics.ts';
import type { StateSplit } from '../train/state.ts';
import { squaredErrorStats, type MeanSem } from './stats.ts';

/** The MSE of a model's dx/dt on a split, with its standard error over rows (the paper's train and test loss). */
export function derivativeLoss(model: DynamicsModel, split: StateSplit, dim: number, chunk = 5000): MeanSem {
  const squared = new Float64Array(split.rows * dim);
  inChunks(split.rows, chunk, (start, n) => {
    const x = tf.tensor2d(Float32Array.from(split.x.subarray(start * dim, (start + n) * dim)), [n, dim]);
    const dx = tf.tensor2d(Float32Array.from(split.dx.subarray(start * dim, (start + n) * dim)), [n, dim]);
    squared.set(tf.squaredDifference(model.field(x), dx).dataSync(), start * dim);
  });
  return squaredErrorStats(squared, split.rows);
}
