// A state dataset in memory, as built by the generators (./state.ts, ./grid.ts) and read back: a leaf
// module, so that the builders share the type without importing each other.

/** A state dataset in memory: train and test rows of (x, dx/dt, t), float64 row-major, and what made them. */
export interface StateDataset {
  task: string;
  seed: number;
  dim: number;
  trainRows: number;
  testRows: number;
  /** [trainRows, dim] inputs (noisy where the protocol adds noise) */
  trainX: Float64Array;
  /** [trainRows, dim] targets dx/dt */
  trainDx: Float64Array;
  /** [trainRows] time of each row */
  trainT: Float64Array;
  testX: Float64Array;
  testDx: Float64Array;
  testT: Float64Array;
  /** everything that made the data (recorded in the manifest) */
  params: Record<string, unknown>;
  /** imported datasets: the source trial of each test row (datasets/import-states.ts) */
  testTrial?: Float64Array;
}
