// Derivative loss of a trained state model on a split: mean squared error and std/sqrt(rows).
import * as tf from '@tensorflow/tfjs';
import type { DynamicsModel } from '../../models/dynamics.ts';
import type { StateSplit } from '../train/state.ts';
import { squaredErrorStats, type MeanSem } from './stats.ts';

export function derivativeLoss(model: DynamicsModel, split: StateSplit, dim: number, chunk = 5000): MeanSem {
  const squared = new Float64Array(split.rows * dim);
  for (let start = 0; start < split.rows; start += chunk) {
    const n = Math.min(chunk, split.rows - start);
    const part = tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(split.x.subarray(start * dim, (start + n) * dim)), [n, dim]);
      const dx = tf.tensor2d(Float32Array.from(split.dx.subarray(start * dim, (start + n) * dim)), [n, dim]);
      return tf.squaredDifference(model.field(x), dx).dataSync();
    });
    squared.set(part, start * dim);
  }
  return squaredErrorStats(squared, split.rows);
}
