// Inference over many rows in chunks: each chunk's tensors live inside one tf.tidy, so memory stays
// bounded by the chunk, not by the split (evaluation passes over 16000 pixel pairs, say).
import * as tf from '@tensorflow/tfjs';

/** Calls fn(start, n) for consecutive chunks of at most `chunk` rows, each inside tf.tidy. */
export function inChunks(rows: number, chunk: number, fn: (start: number, n: number) => void): void {
  if (!(Number.isInteger(chunk) && chunk >= 1)) throw new RangeError(`chunk must be a positive integer, got ${chunk}`);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    tf.tidy(() => fn(start, n));
  }
}
