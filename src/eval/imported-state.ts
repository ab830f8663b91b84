// Evaluation of a state model trained on imported trajectories (docs/IMPORT.md). From the first
// row of every held-out segment (the test rows of one trial, in time order) the learned field is
// integrated with adaptive RK45 over that segment's time stamps, as the real pendulum's energy
// metric does, and compared with the measured states: state MSE and VPT (the first point whose
// squared error over the segment's mean square state passes VPT_THRESHOLD). An HNN's learned H is
// followed along its own rollouts (drift in units of the spread of H over the test rows); a user's
// energy expression, where given, adds energy MSE against the measured states.
import { integrateHeld } from '../integrate/held.ts';
import type { Field } from '../systems/system.ts';
import { energiesOf, energyDrift, spread } from './imported.ts';
import { validPredictionTime, VPT_THRESHOLD } from './pixel.ts';
import { groupedInterval, mean, type MeanCi } from './stats.ts';

/** scipy's default tolerances, as the real pendulum's rollouts. */
const TOL = { rtol: 1e-3, atol: 1e-6 };

export interface Segment {
  /** index of the trial in the source */
  trial: number;
  /** first test row */
  start: number;
  rows: number;
}

/** Runs of consecutive test rows of one trial (a trial split by time gives one run, a held-out trial one). */
export function testSegments(testTrial: ArrayLike<number>, testT: ArrayLike<number>): Segment[] {
  const out: Segment[] = [];
  for (let r = 0; r < testTrial.length; r++) {
    const last = out[out.length - 1];
    if (last && testTrial[r] === last.trial && testT[r] > testT[r - 1]) last.rows++;
    else out.push({ trial: testTrial[r], start: r, rows: 1 });
  }
  return out;
}

function interval(per: number[]): MeanCi {
  return per.length >= 5 ? groupedInterval(per, 5) : { mean: mean(per), ci: NaN };
}

export interface ImportedStateEvaluation {
  rollouts: {
    segments: number;
    stateMse: MeanCi & { perTrial: number[] };
    vptPerTrial: number[];
    vptMedian: number;
    /** rows of each segment: the most a VPT can be */
    rowsPerTrial: number[];
    failed: number;
    description: string;
  };
  /** HNN / D-HNN only: the learned H's drift along the model's rollouts */
  learnedEnergyDrift: { mean: number; perTrial: number[]; scale: number; description: string } | null;
  /** only with the user's energy expression */
  energyMse: (MeanCi & { perTrajectory: number[]; failed: number; description: string }) | null;
}

export interface ImportedStateInput {
  dim: number;
  testX: Float64Array;
  testT: Float64Array;
  testTrial: Float64Array;
}

/** One held-out segment rolled out from its first row and scored. */
function scoreSegment(
  ds: ImportedStateInput,
  s: Segment,
  field: Field,
  learnedH: ((x: ArrayLike<number>) => number) | null,
  hScale: number,
  energy: ((x: Float64Array) => number) | null,
): { mse: number; vpt: number; drift: number | null; energyMse: number | null; failed: boolean } {
  const d = ds.dim;
  const truth = ds.testX.subarray(s.start * d, (s.start + s.rows) * d);
  const pred = new Float64Array(s.rows * d);
  const failed = integrateHeld(field, truth.slice(0, d), ds.testT.slice(s.start, s.start + s.rows), TOL, pred) < s.rows;
  let norm = 0;
  for (const v of truth) norm += v * v;
  norm /= s.rows;
  const se = Float64Array.from({ length: s.rows }, (_, i) => {
    let e = 0;
    for (let c = 0; c < d; c++) e += (truth[i * d + c] - pred[i * d + c]) ** 2;
    return e;
  });
  let energyMse: number | null = null;
  if (energy) {
    let sum = 0;
    for (let i = 0; i < s.rows; i++) sum += (energy(truth.subarray(i * d, (i + 1) * d)) - energy(pred.subarray(i * d, (i + 1) * d))) ** 2;
    energyMse = sum / s.rows;
  }
  return {
    mse: se.reduce((a, b) => a + b, 0) / (s.rows * d),
    vpt: validPredictionTime(se.map((e) => (norm > 0 ? e / norm : e))),
    drift: learnedH ? energyDrift(energiesOf(learnedH, pred, d), hScale) : null,
    energyMse,
    failed,
  };
}

/** Rolls the learned field out over every held-out segment and scores it (see the file comment). */
export function evaluateImportedState(
  ds: ImportedStateInput,
  field: Field,
  learnedH: ((x: ArrayLike<number>) => number) | null,
  energy: ((x: Float64Array) => number) | null,
): ImportedStateEvaluation {
  const segments = testSegments(ds.testTrial, ds.testT);
  const hScale = learnedH ? spread(energiesOf(learnedH, ds.testX, ds.dim)) || 1 : 1;
  const mse: number[] = [];
  const vpt: number[] = [];
  const drift: number[] = [];
  const emse: number[] = [];
  let failed = 0;
  for (const s of segments) {
    const r = scoreSegment(ds, s, field, learnedH, hScale, energy);
    mse.push(r.mse);
    vpt.push(r.vpt);
    if (r.drift !== null) drift.push(r.drift);
    if (r.energyMse !== null) emse.push(r.energyMse);
    if (r.failed) failed++;
  }
  const sorted = [...vpt].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  const desc = `from the first row of each of the ${segments.length} held-out segments over its time stamps (RK45, rtol ${TOL.rtol}, atol ${TOL.atol})`;
  return {
    rollouts: {
      segments: segments.length,
      stateMse: { ...interval(mse), perTrial: mse },
      vptPerTrial: vpt,
      vptMedian: sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2,
      rowsPerTrial: segments.map((s) => s.rows),
      failed,
      description: `${desc}: state MSE, and VPT = rows until |x - x_pred|^2 / mean |x|^2 over the segment passes ${VPT_THRESHOLD}`,
    },
    learnedEnergyDrift: learnedH
      ? {
          mean: mean(drift),
          perTrial: drift,
          scale: hScale,
          description: `mean over rows of |H(x_t) - H(x_0)| / std(H over the test rows) along the model's rollouts, ${desc}`,
        }
      : null,
    energyMse: energy
      ? {
          ...interval(emse),
          perTrajectory: emse,
          failed,
          description: `(E(measured) - E(rollout))^2 with the dataset's energy expression, ${desc}`,
        }
      : null,
  };
}
