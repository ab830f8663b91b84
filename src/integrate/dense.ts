// Dense output: states at requested times between step points, from the continuous extension of
// each accepted step. It costs no field evaluations and leaves the step sizes to the controller, so
// asking for output times does not change the steps taken.
import type { EmbeddedTableau } from './tableau.ts';
import type { Trajectory } from './trajectory.ts';

/**
 * The state at t + theta h of the step of size h from y with stages k, into out[offset..].
 * weights (one per stage) is scratch.
 */
export function interpolate(
  tab: EmbeddedTableau,
  k: readonly Float64Array[],
  y: ArrayLike<number>,
  h: number,
  theta: number,
  weights: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  const { dense } = tab;
  for (let j = 0; j < dense.length; j++) {
    const p = dense[j];
    let power = theta;
    let w = p[0] * power;
    for (let m = 1; m < p.length; m++) {
      power *= theta;
      w += p[m] * power;
    }
    weights[j] = w;
  }
  for (let i = 0; i < y.length; i++) {
    let acc = 0;
    for (let j = 0; j < dense.length; j++) acc += k[j][i] * weights[j];
    out[offset + i] = y[i] + h * acc;
  }
}

/** Writes the rows of the requested times (monotone in direction dir) as the steps pass them. */
export class DenseOutput {
  /** Index of the first requested time not yet written. */
  private next = 0;

  constructor(
    private readonly tab: EmbeddedTableau,
    private readonly tEval: ArrayLike<number>,
    private readonly dir: number,
    private readonly out: Trajectory,
    /** Scratch, one entry per stage. */
    private readonly weights: Float64Array,
  ) {}

  /** Rows for the requested times equal to the initial time. */
  start(t0: number, y0: ArrayLike<number>): void {
    while (this.next < this.tEval.length && this.tEval[this.next] === t0) {
      this.out.push(t0, y0);
      this.next++;
    }
  }

  /**
   * Rows for the requested times in (t, tNew] after an accepted step of size h with stages k. A time
   * equal to tNew takes the step's own state, so step points are reported exactly.
   */
  afterStep(t: number, tNew: number, h: number, y: ArrayLike<number>, yNew: Float64Array, k: readonly Float64Array[]): void {
    const { tEval, out } = this;
    while (this.next < tEval.length && this.dir * (tEval[this.next] - tNew) <= 0) {
      const te = tEval[this.next++];
      if (te === tNew) {
        out.push(te, yNew);
      } else {
        const row = out.addRow(te);
        interpolate(this.tab, k, y, h, (te - t) / h, this.weights, out.states, row);
      }
    }
  }
}
