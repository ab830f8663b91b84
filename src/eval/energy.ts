// Energy MSE along rollouts: integrate the true and the learned field from the same initial states
// with adaptive Dormand-Prince, and compare the system's own energy along both (no time rescaling).
import { energyEvalConfig, type EnergyEvalSettings, type TaskRef } from '../../datasets/state.ts';
import { integrateHeld } from '../integrate/held.ts';
import type { Field } from '../systems/system.ts';
import { groupedInterval, type MeanCi } from './stats.ts';

export interface Rollout {
  t: Float64Array;
  /** states row-major [points, dim] */
  y: Float64Array;
  energy: Float64Array;
  /** true when the integrator gave up before the end (the last state reached is held) */
  failed: boolean;
}

type Sampling = Pick<EnergyEvalSettings, 'tEval' | 'rtol' | 'atol' | 'energy'>;

/** Integrates `field` from x0 and reports states and energies at the sampling times. */
export function rollout(field: Field, x0: Float64Array, s: Sampling): Rollout {
  const dim = x0.length;
  const points = s.tEval.length;
  const y = new Float64Array(points * dim);
  const reached = integrateHeld(field, x0, s.tEval, s, y);
  const energy = new Float64Array(points);
  for (let i = 0; i < points; i++) energy[i] = s.energy(y.subarray(i * dim, (i + 1) * dim));
  return { t: Float64Array.from(s.tEval), y, energy, failed: reached < points };
}

export interface EnergyResult extends MeanCi {
  perTrajectory: number[];
  failed: number;
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

/** Mean over time and trajectories of (E_true - E_pred)^2, with the 5-group interval. */
export function energyMseAgainst(truth: Rollout[], learned: Field, settings: EnergyEvalSettings): EnergyResult {
  const predicted = settings.initialStates.map((x0) => rollout(learned, x0, settings));
  const perTrajectory = predicted.map((p, k) => {
    let s = 0;
    for (let i = 0; i < p.energy.length; i++) s += (truth[k].energy[i] - p.energy[i]) ** 2;
    return s / p.energy.length;
  });
  const stats = perTrajectory.length >= 5 ? groupedInterval(perTrajectory, 5) : { mean: perTrajectory[0], ci: NaN };
  const description = settings.measured
    ? `from the first test point over the ${settings.points} measured test time stamps, rtol ${settings.rtol}, atol ${settings.atol}`
    : `${settings.initialStates.length} initial states (seed ${settings.seed}), t in [${settings.t0}, ${settings.t1}], ${settings.points} points, rtol ${settings.rtol}, atol ${settings.atol}`;
  return { ...stats, perTrajectory, failed: predicted.filter((p) => p.failed).length, truth, predicted, description };
}

/** Energy MSE of a learned field on a task, with the task's protocol. */
export function energyEvaluation(task: TaskRef, learned: Field, settings: EnergyEvalSettings = energyEvalConfig(task)): EnergyResult {
  return energyMseAgainst(trueRollouts(settings), learned, settings);
}
