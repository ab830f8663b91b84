// Batches of the pixel loss: windows of K + 1 consecutive pairs of one trial, copied from a split into
// reusable buffers (batching in JS keeps the dataset off the engine's memory). K = 1 is the paper's
// one-step loss: every row is a window of its pair and the next pair.
import { UserError } from '../util/errors.ts';

/** Pixel pairs, row-major [rows, width] float32. */
export interface PairSplit {
  x: Float32Array;
  next: Float32Array;
  rows: number;
}

/** Windows of K + 1 pairs per step: as many as keep the encoder's rows per step the one-step loss's (2 per pair). */
export function windowsPerStep(batchSize: number, K: number): number {
  return Math.max(1, Math.floor((2 * batchSize) / (K + 1)));
}

/** The split's rows at some of their columns: [rows, columns.length] each, made once. */
export function splitColumns(split: PairSplit, width: number, columns: Int32Array): PairSplit {
  const pick = (rows: Float32Array) => {
    const out = new Float32Array(split.rows * columns.length);
    for (let r = 0, o = 0; r < split.rows; r++) for (let j = 0; j < columns.length; j++, o++) out[o] = rows[r * width + columns[j]];
    return out;
  };
  return { x: pick(split.x), next: pick(split.next), rows: split.rows };
}

/**
 * Pair j of window i at rows [j * count + i] of `pairs`: pairs 0..K-1 are the x rows r..r+K-1, pair K
 * the next pair of row r+K-1. `head` holds its first K blocks whole (the decoder's targets). With a
 * `narrow` copy of the split (some of its columns, splitColumns above), `pairs` is drawn
 * from it and `head` from the whole split; without, `head` views `pairs`.
 */
export class WindowBatcher {
  readonly pairs: Float32Array;
  readonly head: Float32Array;
  /** The rows a window may start at: within its trial, K pairs before the trial's last. */
  readonly starts: Int32Array;
  private readonly source: { split: PairSplit; width: number };

  /** `perTrial` rows per trial (null: the split is one sequence of independent pairs, K = 1 only). */
  constructor(
    private readonly split: PairSplit,
    perTrial: number | null,
    readonly K: number,
    readonly count: number,
    private readonly width: number,
    narrow?: { split: PairSplit; width: number },
  ) {
    if (perTrial === null) {
      if (K !== 1) throw new Error('multi-step windows need the rows per trial');
      this.starts = Int32Array.from({ length: split.rows }, (_, i) => i);
    } else {
      if (perTrial - K < 1)
        throw new UserError(
          `the ${K}-step window loss (--rollout-steps ${K}) needs trials of more than ${K + 3} frames, and these have ${perTrial + 3}; pass a smaller --rollout-steps or generate longer trials (--frames)`,
        );
      const perWindow = perTrial - K + 1;
      const trials = split.rows / perTrial;
      this.starts = Int32Array.from({ length: trials * perWindow }, (_, i) => Math.floor(i / perWindow) * perTrial + (i % perWindow));
    }
    this.source = narrow ?? { split, width };
    this.pairs = new Float32Array((K + 1) * count * this.source.width);
    this.head = narrow ? new Float32Array(K * count * width) : this.pairs.subarray(0, K * count * width);
  }

  /** Fills the buffers with the windows starting at the given rows. */
  fill(starts: ArrayLike<number>): void {
    const { split, width: w } = this.source;
    const narrow = split !== this.split;
    for (let i = 0; i < this.count; i++) {
      const r = starts[i];
      for (let j = 0; j < this.K; j++) {
        copyRow(this.pairs, split.x, w, r + j, j * this.count + i);
        if (narrow) copyRow(this.head, this.split.x, this.width, r + j, j * this.count + i);
      }
      copyRow(this.pairs, split.next, w, r + this.K - 1, this.K * this.count + i);
    }
  }
}

/** Row `from` of rows `width` wide into row `to` of `dst`. */
function copyRow(dst: Float32Array, src: Float32Array, width: number, from: number, to: number): void {
  dst.set(src.subarray(from * width, (from + 1) * width), to * width);
}
