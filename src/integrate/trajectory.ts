// The solver's output rows (a time and a state each). Sized once when the times are requested,
// grown by doubling when every step is reported, so appending stays amortised O(dim).

export class Trajectory {
  private times: Float64Array;
  /** Row-major states; replaced when it grows, so read it after `addRow`. */
  states: Float64Array;
  length = 0;

  constructor(
    readonly dim: number,
    capacity: number,
  ) {
    this.times = new Float64Array(capacity);
    this.states = new Float64Array(capacity * dim);
  }

  /** Appends a row at time t and returns the offset of its state in `states`, for the caller to fill. */
  addRow(t: number): number {
    if (this.length === this.times.length) {
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      const states = new Float64Array(this.states.length * 2);
      states.set(this.states);
      this.times = times;
      this.states = states;
    }
    this.times[this.length] = t;
    return this.length++ * this.dim;
  }

  push(t: number, y: ArrayLike<number>): void {
    const row = this.addRow(t);
    for (let i = 0; i < this.dim; i++) this.states[row + i] = y[i];
  }

  /** Copies of the rows written so far. */
  result(): { t: Float64Array; y: Float64Array } {
    return { t: this.times.slice(0, this.length), y: this.states.slice(0, this.length * this.dim) };
  }
}
