// Rollout metrics of a learned state field: integrate the true and the learned field from the same
// initial states with adaptive Dormand-Prince, and compare along both (no time rescaling):
//
//   energy MSE   mean over time and trajectories of (E_true - E_pred)^2 (the paper's metric);
//   state MSE    mean over time, coordinates and trajectories of (x_true - x_pred)^2;
//   VPT          valid prediction time, as the pixel tasks' (src/eval/pixel.ts): the first time at
//                which |x_true - x_pred|^2 / |x_true|^2 exceeds VPT_THRESHOLD (t1 if never).
//
// A true rollout that fails (the integrator gave up: the trajectory blew up or hit a singularity)
// says nothing about the model: it is left out of every mean and reported, with the reasons. When
// more than half fail, the evaluation is refused (UserError naming the cause and the fix).
import { type TaskRef } from '../../datasets/state.ts';
import { energyEvalConfig, type EnergyEvalSettings } from '../../datasets/energy-eval.ts';
import { integrateHeld } from '../integrate/held.ts';
import { IntegrationError } from '../integrate/errors.ts';
import type { Field } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import { groupedInterval, mean, median, type MeanCi } from './stats.ts';
import { VPT_THRESHOLD } from './pixel.ts';

/** One trajectory at the comparison times. */
export interface Rollout {
  t: Float64Array;
  /** states row-major [points, dim] */
  y: Float64Array;
  energy: Float64Array;
  /** true when the integrator gave up before the end (the last state reached is held) */
  failed: boolean;
  /** why it gave up ('non-finite', 'step-too-small', 'step-limit' or the error's message) */
  reason?: string;
}

type Sampling = Pick<EnergyEvalSettings, 'tEval' | 'rtol' | 'atol' | 'energy'>;

/** Integrates `field` from x0 and reports states and energies at the sampling times. */
export function rollout(field: Field, x0: Float64Array, s: Sampling): Rollout {
  const dim = x0.length;
  const points = s.tEval.length;
  const y = new Float64Array(points * dim);
  let reason: string | undefined;
  const reached = integrateHeld(field, x0, s.tEval, s, y, (e) => (reason = e instanceof IntegrationError ? e.reason : e.message));
  const energy = new Float64Array(points);
  for (let i = 0; i < points; i++) energy[i] = s.energy(y.subarray(i * dim, (i + 1) * dim));
  const failed = reached < points;
  return { t: Float64Array.from(s.tEval), y, energy, failed, ...(failed ? { reason: reason ?? 'stopped early' } : {}) };
}

/** The rollout metrics of a learned field over the trajectories whose true rollout succeeded. */
export interface EnergyResult extends MeanCi {
  /** energy MSE per trajectory (NaN where the true rollout failed) */
  perTrajectory: number[];
  /** learned rollouts that stopped early (their held states are compared) */
  failed: number;
  /** true rollouts that failed, left out of every mean */
  truthFailed: number;
  /** why they failed: reason -> count */
  truthFailures: Record<string, number>;
  /** state MSE over the kept trajectories, with the 5-group interval */
  stateMse: MeanCi;
  /** valid prediction time of each kept trajectory, in time units */
  vpt: number[];
  vptMean: number;
  vptMedian: number;
  truth: Rollout[];
  predicted: Rollout[];
  description: string;
}

/** The true trajectories of a task's energy evaluation (simulated, or the measured data). */
export function trueRollouts(settings: EnergyEvalSettings): Rollout[] {
  if (settings.measured) {
    const y = settings.measured;
    const energy = Float64Array.from({ length: settings.tEval.length }, (_, i) => settings.energy(y.subarray(i * 2, i * 2 + 2)));
    return [{ t: Float64Array.from(settings.tEval), y, energy, failed: false }];
  }
  return settings.initialStates.map((x0) => rollout(settings.system.field, x0, settings));
}

/** Reasons -> counts. */
function tally(rollouts: Rollout[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rollouts) if (r.failed) out[r.reason ?? 'stopped early'] = (out[r.reason ?? 'stopped early'] ?? 0) + 1;
  return out;
}

/** Refuses an evaluation most of whose true rollouts failed: its numbers would rest on a few trajectories. */
function checkTruth(truth: Rollout[], settings: EnergyEvalSettings): void {
  const failed = truth.filter((r) => r.failed).length;
  if (failed * 2 <= truth.length) return;
  const reasons = tally(truth);
  const verb = reasons['non-finite'] === failed ? 'diverged' : 'failed';
  const why = Object.entries(reasons)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const fix =
    settings.states === 'box'
      ? "use energy.states: 'sampler' (the system's own initial states)"
      : 'start them where the system stays bounded (narrow the sampler or its energy band) or shorten energy.t1';
  throw new UserError(
    `${failed}/${truth.length} true rollouts ${verb} from the '${settings.states ?? 'given'}' states of ${settings.task} over t in [${settings.t0}, ${settings.t1}] (${why}); ${fix}`,
  );
}

/** Normalised state error per time point, its VPT (time units) and the squared error sum. */
function stateErrors(truth: Rollout, pred: Rollout, dim: number): { vpt: number; se: number } {
  let se = 0;
  let vpt = NaN;
  for (let i = 0; i < truth.t.length; i++) {
    let e = 0;
    let s = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      e += (truth.y[j] - pred.y[j]) ** 2;
      s += truth.y[j] ** 2;
    }
    se += e;
    const normalised = s > 0 ? e / s : e > 0 ? Infinity : 0;
    if (Number.isNaN(vpt) && !(normalised <= VPT_THRESHOLD)) vpt = truth.t[i] - truth.t[0];
  }
  return { vpt: Number.isNaN(vpt) ? truth.t[truth.t.length - 1] - truth.t[0] : vpt, se };
}

function meanCi(values: number[]): MeanCi {
  return values.length >= 5 ? groupedInterval(values, 5) : { mean: mean(values), ci: NaN };
}

/** Energy MSE, state MSE and VPT of `learned` against the true rollouts, over those that succeeded. */
export function energyMseAgainst(truth: Rollout[], learned: Field, settings: EnergyEvalSettings): EnergyResult {
  checkTruth(truth, settings);
  const predicted = settings.initialStates.map((x0) => rollout(learned, x0, settings));
  const dim = settings.initialStates[0].length;
  const kept = truth.map((_, k) => k).filter((k) => !truth[k].failed);
  const perTrajectory = predicted.map((p, k) => {
    if (truth[k].failed) return NaN;
    let s = 0;
    for (let i = 0; i < p.energy.length; i++) s += (truth[k].energy[i] - p.energy[i]) ** 2;
    return s / p.energy.length;
  });
  const errors = kept.map((k) => stateErrors(truth[k], predicted[k], dim));
  const vpt = errors.map((e) => e.vpt);
  const base = settings.measured
    ? `from the first test point over the ${settings.points} measured test time stamps, rtol ${settings.rtol}, atol ${settings.atol}`
    : `${settings.initialStates.length} initial states ('${settings.states ?? 'given'}', seed ${settings.seed}), t in [${settings.t0}, ${settings.t1}], ${settings.points} points, rtol ${settings.rtol}, atol ${settings.atol}`;
  const truthFailed = truth.length - kept.length;
  const description = truthFailed ? `${base}; ${truthFailed} true rollouts failed and are left out` : base;
  return {
    ...meanCi(kept.map((k) => perTrajectory[k])),
    perTrajectory,
    failed: predicted.filter((p) => p.failed).length,
    truthFailed,
    truthFailures: tally(truth),
    stateMse: meanCi(errors.map((e) => e.se / (settings.points * dim))),
    vpt,
    vptMean: vpt.reduce((a, v) => a + v, 0) / vpt.length,
    vptMedian: median(vpt),
    truth,
    predicted,
    description,
  };
}

/** Energy MSE (with state MSE and VPT) of a learned field on a task, with the task's protocol. */
export function energyEvaluation(task: TaskRef, learned: Field, settings: EnergyEvalSettings = energyEvalConfig(task)): EnergyResult {
  return energyMseAgainst(trueRollouts(settings), learned, settings);
}
