// The D-HNN's learned dissipation against the true friction (models/dynamics.ts: the field is
// J grad H + P grad D, D on the momenta). The D part is judged by what it does to the task's energy E (the energy the
// energy MSE compares), in the units of the friction coefficient: a system with friction gamma has
// dp/dt = -dE/dq - gamma dE/dp, so friction drains energy at the rate gamma |dE/dp|^2, and a learned
// dissipative part v drains it at -grad E . v. Their ratio over many points,
//
//   learned gamma = mean(-grad E . P grad D) / mean(|dE/dp|^2),
//
// is the friction coefficient that would drain the same energy at those points: about gamma on damped
// data, about 0 on conservative data (the model does not invent dissipation). A system that damps its
// positions (System.frictionOn) drains gamma |dE/dq|^2, and |dE/dq|^2 takes the place of |dE/dp|^2. The share of the D part
// in the field, |P grad D| / (|J grad H| + |P grad D|), is compared with the true friction term's share
// |gamma dE/dp| / (|J grad E| + |gamma dE/dp|) at the same points. The share alone is not a measure of
// dissipation: a gradient of a harmonic function (a constant field, say) is also a symplectic gradient,
// so H and D can trade it without changing the field; the learned gamma is not fooled by that where the
// energy's gradient is not constant.
//
// A pixel model's latent z maps to the state by an affine map x = A z + c fitted on the training set
// (src/eval/pixel.ts) and runs at one latent time unit per frame: its latent velocities are state
// velocities A v / frameDt.
import { fieldPartsFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import type { FrictionOn, System } from '../systems/system.ts';
import type { StateTask } from '../tasks/task.ts';
import type { EnergyResult } from './energy.ts';

export interface DissipationAt {
  /** mean over the points of the energy drained per unit time by the learned D part, -grad E . P grad D */
  rate: number;
  /** mean over the same points of the true friction's drain gamma |dE/dp|^2 */
  trueRate: number;
  /** rate / mean |dE/dp|^2: the friction coefficient the learned D part amounts to */
  learnedGamma: number;
  /** mean over the points of |P grad D| / (|J grad H| + |P grad D|) */
  share: number;
  /** mean over the points of |gamma dE/dp| / (|J grad E| + |gamma dE/dp|) */
  trueShare: number;
  points: number;
}

export interface DissipationSummary {
  /** the data's friction coefficient: the system's, or fitted to the measured energy's decay */
  gamma: number;
  /** the coordinates the data's friction damps (absent in runs made before positions could be damped: momenta) */
  frictionOn?: FrictionOn;
  /** set when the data are damped and the learned friction is at the floor (FRICTION_FLOOR): D was removed */
  warning?: string;
  gammaSource: 'system' | 'fitted to the measured energy';
  /** along the model's own rollouts (the energy MSE's, or a pixel model's latent rollouts) */
  rollouts: DissipationAt;
  /** at the test inputs */
  test: DissipationAt;
  description: string;
}

/** A model's field split in two at one point of its own space. */
export type FieldParts = (z: ArrayLike<number>) => { conservative: ArrayLike<number>; dissipative: ArrayLike<number> };

/** From the model's space to the state: x = A z + c, velocities A v / timeScale (identity for state models). */
export interface StateMap {
  /** [dim][d] */
  matrix: number[][];
  offset: number[];
  /** model time units per state time unit (a pixel model: the frame interval) */
  timeScale: number;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** The learned and true dissipation at model-space points. */
export function dissipationAt(
  system: System,
  gamma: number,
  parts: FieldParts,
  points: ArrayLike<number>[],
  map?: StateMap,
): DissipationAt {
  const dim = system.dim;
  const k = system.dof;
  // the damped rows of grad E: the momenta's (k..2k-1), or the positions' (0..k-1)
  const damped = system.frictionOn === 'positions' ? 0 : k;
  const g = new Float64Array(dim);
  const toState = (v: ArrayLike<number>, affine: boolean): Float64Array => {
    if (!map) return Float64Array.from(v);
    return Float64Array.from(map.matrix, (row, i) => {
      let s = affine ? map.offset[i] : 0;
      for (let j = 0; j < row.length; j++) s += row[j] * v[j];
      return affine ? s : s / map.timeScale;
    });
  };
  let [rate, trueRate, power, share, trueShare] = [0, 0, 0, 0, 0];
  for (const z of points) {
    const x = toState(z, true);
    system.gradient(x, g);
    const { conservative, dissipative } = parts(z);
    const c = toState(conservative, false);
    const d = toState(dissipative, false);
    let drain = 0;
    let pp = 0;
    for (let i = 0; i < dim; i++) drain -= g[i] * d[i];
    for (let j = 0; j < k; j++) pp += g[damped + j] * g[damped + j];
    rate += drain;
    trueRate += gamma * pp;
    power += pp;
    const [cn, dn] = [norm(c), norm(d)];
    share += cn + dn > 0 ? dn / (cn + dn) : 0;
    // the true split: J grad E has the norm of grad E; the friction term gamma dE/dx_damped
    const [tc, td] = [norm(g), gamma * Math.sqrt(pp)];
    trueShare += tc + td > 0 ? td / (tc + td) : 0;
  }
  const n = points.length;
  return {
    rate: rate / n,
    trueRate: trueRate / n,
    learnedGamma: power > 0 ? rate / power : NaN,
    share: share / n,
    trueShare: trueShare / n,
    points: n,
  };
}

/**
 * The friction coefficient of a measured trajectory: the least-squares gamma (through the origin) of
 * E(t_i) - E(t_0) = -gamma int_{t_0}^{t_i} |dE/dp|^2 dt, the integral by the trapezoid rule over the
 * samples (states row-major [points, dim] at times t).
 */
export function fittedFriction(system: System, t: ArrayLike<number>, states: Float64Array): number {
  const dim = system.dim;
  const k = system.dof;
  const g = new Float64Array(dim);
  const powerAt = (i: number) => {
    system.gradient(states.subarray(i * dim, (i + 1) * dim), g);
    let pp = 0;
    for (let j = 0; j < k; j++) pp += g[k + j] * g[k + j];
    return pp;
  };
  const e0 = system.energy(states.subarray(0, dim));
  let integral = 0;
  let prev = powerAt(0);
  let [num, den] = [0, 0];
  for (let i = 1; i < t.length; i++) {
    const cur = powerAt(i);
    integral += ((prev + cur) / 2) * (t[i] - t[i - 1]);
    prev = cur;
    const drop = system.energy(states.subarray(i * dim, (i + 1) * dim)) - e0;
    num -= drop * integral;
    den += integral * integral;
  }
  return den > 0 ? num / den : NaN;
}

/** Rows of a row-major [rows, width] array, as views. */
export function rowsOf(values: Float64Array, width: number): Float64Array[] {
  return Array.from({ length: values.length / width }, (_, i) => values.subarray(i * width, (i + 1) * width));
}

/**
 * The learned dissipation of a trained state D-HNN: along its energy-MSE rollouts and at the test
 * inputs, against the task's friction (fitted to the measured energy for measured data).
 */
export function stateDissipation(task: StateTask, weights: NamedWeights, energy: EnergyResult, testX: Float64Array): DissipationSummary {
  const system = task.system;
  const measured = task.data.source === 'measured';
  const gamma = measured ? fittedFriction(system, energy.truth[0].t, energy.truth[0].y) : system.friction;
  const parts = fieldPartsFunction(weights);
  const along = energy.predicted.flatMap((r) => rowsOf(r.y, system.dim));
  const rollouts = dissipationAt(system, gamma, parts, along);
  const test = dissipationAt(system, gamma, parts, rowsOf(testX, system.dim));
  const warning = frictionWarning(gamma, rollouts, test);
  return {
    gamma,
    frictionOn: system.frictionOn,
    gammaSource: measured ? 'fitted to the measured energy' : 'system',
    rollouts,
    test,
    ...(warning ? { warning } : {}),
    description: DESCRIPTION,
  };
}

/**
 * The learned friction counts as removed when it is below this fraction of the data's on both sets
 * of points: a D decayed to its numerical floor (|gamma| about 1e-15) and anything close to it.
 */
export const FRICTION_FLOOR = 0.01;

/**
 * The band of the reproduction's friction count: a seed's learned friction matches damped data's
 * when it is within this fraction of the data's (|learned - gamma| <= FRICTION_BAND * gamma).
 */
export const FRICTION_BAND = 0.2;

/** How many of the learned values lie within FRICTION_BAND of their data's gamma; null when any gamma is not positive. */
export function countWithinBand(pairs: Array<{ learned: number; gamma: number }>): number | null {
  if (pairs.some((p) => !(p.gamma > 0))) return null;
  return pairs.filter((p) => Math.abs(p.learned - p.gamma) <= FRICTION_BAND * p.gamma).length;
}

/** A warning when damped data got a D-HNN without dissipation (undefined otherwise). */
export function frictionWarning(gamma: number, rollouts: DissipationAt, test: DissipationAt): string | undefined {
  if (!(gamma > 0)) return undefined;
  const small = (v: number) => Number.isFinite(v) && Math.abs(v) < FRICTION_FLOOR * gamma;
  if (!small(rollouts.learnedGamma) || !small(test.learnedGamma)) return undefined;
  const e = (v: number) => v.toExponential(1);
  return `the D-HNN's learned friction (${e(rollouts.learnedGamma)} along its rollouts, ${e(test.learnedGamma)} at the test inputs) is under ${100 * FRICTION_FLOOR}% of the data's ${gamma.toPrecision(2)}: D was regularised away and the model is an HNN; lower D's weight decay (--dissipation-weight-decay)`;
}

export const DESCRIPTION =
  "learnedGamma = mean(-grad E . P grad D) / mean(|dE/dp|^2), the friction coefficient that drains the task energy E as the learned D part does (gamma: the data's); share = mean |P grad D| / (|J grad H| + |P grad D|) against the friction term's |gamma dE/dp| / (|J grad E| + |gamma dE/dp|); over the energy-MSE rollouts of the model, and over the test inputs";

/**
 * The learned dissipation of a pixel D-HNN's latent model, in the state's units through the affine
 * latent map (coefficient rows: d weights, then the offset): along its latent rollouts and at the
 * encoded test inputs, against the friction of the data's system. The latent runs at one time unit
 * per frame, frameDt of the state's time.
 */
export function latentDissipation(
  system: System,
  weights: NamedWeights,
  map: { coef: number[][] },
  frameDt: number,
  rollouts: Float64Array[],
  testLatents: Float64Array,
): DissipationSummary {
  const d = map.coef[0].length - 1;
  const toState: StateMap = { matrix: map.coef.map((r) => r.slice(0, d)), offset: map.coef.map((r) => r[d]), timeScale: frameDt };
  const parts = fieldPartsFunction(weights);
  const gamma = system.friction;
  const along = dissipationAt(
    system,
    gamma,
    parts,
    rollouts.flatMap((z) => rowsOf(z, d)),
    toState,
  );
  const test = dissipationAt(system, gamma, parts, rowsOf(testLatents, d), toState);
  const warning = frictionWarning(gamma, along, test);
  return {
    gamma,
    frictionOn: system.frictionOn,
    gammaSource: 'system',
    rollouts: along,
    test,
    ...(warning ? { warning } : {}),
    description: `${DESCRIPTION}; the latent mapped to the state by the affine latent map, at one latent time unit per frame of ${frameDt}`,
  };
}

/**
 * The learned friction along the rollouts and at the test inputs as shares of the data's, to 0.1%
 * ("79.9% / 76.7% of it"; null where the data's is 0): a band around the data's is read from them, not
 * from rounded values (0.03996 against 0.05 is 79.9%, where 2 digits print 0.040).
 */
export function sharesOfData(rollouts: number, test: number, gamma: number): string | null {
  if (gamma === 0) return null;
  const share = (v: number) => `${((100 * v) / gamma).toFixed(1)}%`;
  return `${share(rollouts)} / ${share(test)} of it`;
}

/** The learned dissipation against the data's friction, as lines of a run's summary. */
export function dissipationLines(d: DissipationSummary): string[] {
  const g = (v: number) => v.toFixed(4);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const shares = sharesOfData(d.rollouts.learnedGamma, d.test.learnedGamma, d.gamma);
  return [
    `  learned friction ${g(d.rollouts.learnedGamma)} along the rollouts, ${g(d.test.learnedGamma)} at the test inputs (data: ${g(d.gamma)}${d.gammaSource === 'system' ? '' : `, ${d.gammaSource}`}${shares ? `; ${shares}` : ''})`,
    `  D's share of the field ${pct(d.test.share)} at the test inputs (the friction term's: ${pct(d.test.trueShare)})`,
    ...(d.warning ? [`  warning: ${d.warning}`] : []),
  ];
}
