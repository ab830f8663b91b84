// Batches of the state trajectory loss: windows of K + 1 consecutive states of one trajectory, evenly
// spaced in time, stacked step by step ([(K + 1) count, dim]: block j holds state j of every window).
import { UserError } from '../util/errors.ts';

export interface TimedRows {
  x: Float64Array;
  /** time of each row */
  t: Float64Array;
  rows: number;
}

/**
 * The rows a window of K + 1 states can start at, and the common spacing h: row r starts a window
 * when rows r..r+K are one run of increasing times h apart (h the split's most common spacing, to
 * 1e-6 relative); trajectories end where time does not increase by h.
 */
export function windowStarts(split: TimedRows, K: number): { starts: Int32Array; h: number } {
  const { t, rows } = split;
  // the spacings, to 6 significant digits, with how often each occurs and one exact value
  const gaps = new Map<string, { count: number; value: number }>();
  for (let r = 0; r + 1 < rows; r++) {
    const d = t[r + 1] - t[r];
    if (!(d > 0)) continue;
    const g = gaps.get(d.toPrecision(6)) ?? { count: 0, value: d };
    gaps.set(d.toPrecision(6), { count: g.count + 1, value: g.value });
  }
  if (gaps.size === 0)
    throw new UserError('the trajectory loss needs rows whose times increase along each trajectory; this split has none');
  const h = [...gaps.values()].sort((a, b) => b.count - a.count)[0].value;
  const even = (r: number) => Math.abs(t[r + 1] - t[r] - h) <= 1e-6 * h;
  const starts: number[] = [];
  let run = 0; // consecutive evenly spaced steps ending at row r
  for (let r = rows - 2; r >= 0; r--) {
    run = even(r) ? run + 1 : 0;
    if (run >= K) starts.push(r);
  }
  if (starts.length === 0)
    throw new UserError(
      `--rollout-steps ${K} needs trajectories of more than ${K} evenly spaced states; use fewer steps or longer trajectories`,
    );
  return { starts: Int32Array.from(starts.reverse()), h };
}

/** Reusable float32 windows of K + 1 states: fill() copies the windows starting at the given rows. */
export class StateWindows {
  readonly states: Float32Array;
  constructor(
    private readonly x: Float64Array,
    private readonly dim: number,
    readonly K: number,
    readonly count: number,
  ) {
    this.states = new Float32Array((K + 1) * count * dim);
  }

  fill(starts: ArrayLike<number>): void {
    const { dim, count } = this;
    for (let i = 0; i < count; i++)
      for (let j = 0; j <= this.K; j++) {
        const from = (starts[i] + j) * dim;
        const to = (j * count + i) * dim;
        for (let c = 0; c < dim; c++) this.states[to + c] = this.x[from + c];
      }
  }
}
