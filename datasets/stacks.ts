// Stacks of C consecutive frames from a pixel dataset's pairs, for encoders that see more context
// than two frames (`--context C`). A trial's pair rows r = 0..P-1 hold x = [a_r | a_{r+1}] and
// next = [a_{r+1} | a_{r+2}], so the trial's frames are a_0..a_{P+1}; stack s is a_s..a_{s+C-1}
// and its successor a_{s+1}..a_{s+C}, for s = 0..P+1-C. Stack s starts at pair row s: it takes that
// row's label, so a latent map fitted on stacks describes the same frame as one fitted on pairs.
import { UserError } from '../src/util/errors.ts';

/** Rows of frame stacks, row-major [rows, C x frameValues]. */
export interface StackSplit {
  x: Float32Array;
  next: Float32Array;
  rows: number;
}

export interface FrameStacks {
  split: StackSplit;
  /** Stacks per trial: P + 2 - C. */
  perTrial: number;
  /** The pair row each stack starts at (for labels). */
  sourceRows: Int32Array;
}

/** Stacks per trial of C frames from P pairs per trial; refuses a context longer than a trial. */
export function stacksPerTrial(pairsPerTrial: number, context: number): number {
  const n = pairsPerTrial + 2 - context;
  if (n < 2)
    throw new UserError(
      `--context ${context} needs trials of at least ${context + 2} frames (these have ${pairsPerTrial + 3}); use a shorter context or longer trials`,
    );
  return n;
}

/**
 * The C-frame stacks of a split of pairs (`frameValues` values per frame). C = 2 returns the pairs
 * themselves, without a copy.
 */
export function frameStacks(pairs: StackSplit, pairsPerTrial: number, context: number, frameValues: number): FrameStacks {
  const P = pairsPerTrial;
  const trials = pairs.rows / P;
  if (!Number.isInteger(trials)) throw new Error(`${pairs.rows} pair rows are not whole trials of ${P}`);
  if (context === 2) return { split: pairs, perTrial: P, sourceRows: Int32Array.from({ length: pairs.rows }, (_, r) => r) };
  const S = stacksPerTrial(P, context);
  const V = frameValues;
  const rows = trials * S;
  const x = new Float32Array(rows * context * V);
  const next = new Float32Array(rows * context * V);
  const sourceRows = new Int32Array(rows);
  // frame k of trial t: the first frame of pair row k, or for the last two the end of row P - 1
  const frame = (t: number, k: number): Float32Array => {
    const base = t * P;
    if (k < P) return pairs.x.subarray((base + k) * 2 * V, (base + k) * 2 * V + V);
    const last = (base + P - 1) * 2 * V;
    return k === P ? pairs.x.subarray(last + V, last + 2 * V) : pairs.next.subarray(last + V, last + 2 * V);
  };
  for (let t = 0; t < trials; t++) {
    for (let s = 0; s < S; s++) {
      const row = t * S + s;
      sourceRows[row] = t * P + s;
      for (let j = 0; j < context; j++) {
        x.set(frame(t, s + j), (row * context + j) * V);
        next.set(frame(t, s + j + 1), (row * context + j) * V);
      }
    }
  }
  return { split: { x, next, rows }, perTrial: S, sourceRows };
}

/** Rows `sourceRows` of a row-major [?, width] array. */
export function pickRows<T extends Float32Array | Float64Array>(a: T, width: number, sourceRows: Int32Array): T {
  const out = new (a.constructor as new (n: number) => T)(sourceRows.length * width);
  sourceRows.forEach((r, i) => out.set(a.subarray(r * width, (r + 1) * width), i * width));
  return out;
}
