// Step-size control for embedded Runge-Kutta pairs, with the rules and constants of Hairer, Norsett
// & Wanner (Solving ODEs I, II.4) as scipy's solve_ivp applies them, so that step counts can be
// compared with scipy's. The solver's loop owns the attempts; these functions decide.
import type { FieldInto } from './field.ts';

/** Fraction of the predicted optimal step actually taken, so that most steps pass. */
const SAFETY = 0.9;
/** Bounds on the step-size change per attempt: neither collapse nor leap from one noisy estimate. */
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;

export interface Tolerances {
  readonly rtol: number;
  readonly atol: number;
  /** Largest step magnitude. */
  readonly maxStep: number;
}

/** Root mean square of v / scale, so that the tolerance does not depend on the dimension. */
export function rmsNorm(v: ArrayLike<number>, scale: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const r = v[i] / scale[i];
    s += r * r;
  }
  return Math.sqrt(s / v.length);
}

/** The error norm of a step from y to yNew (below 1 means accepted); scale is scratch. */
export function errorNorm(err: Float64Array, y: ArrayLike<number>, yNew: Float64Array, tol: Tolerances, scale: Float64Array): number {
  for (let i = 0; i < err.length; i++) scale[i] = tol.atol + tol.rtol * Math.max(Math.abs(y[i]), Math.abs(yNew[i]));
  return rmsNorm(err, scale);
}

/** A step is kept when its error norm is below 1; a NaN norm never is. */
export function accepts(errNorm: number): boolean {
  return errNorm < 1;
}

/**
 * Magnitude of the next attempt after one of magnitude hAbs with error norm err (for an error
 * estimate of order errorOrder). After a rejection within the same step the step may not grow
 * again, which avoids oscillating between rejected and accepted sizes. A non-finite error (the
 * field overflowed or returned NaN) shrinks the step as far as one attempt may.
 */
export function nextStepSize(err: number, hAbs: number, errorOrder: number, rejectedThisStep: boolean, maxStep: number): number {
  if (!Number.isFinite(err)) return hAbs * MIN_FACTOR;
  const exponent = -1 / (errorOrder + 1);
  if (err < 1) {
    let factor = err === 0 ? MAX_FACTOR : Math.min(MAX_FACTOR, SAFETY * Math.pow(err, exponent));
    if (rejectedThisStep) factor = Math.min(1, factor);
    return Math.min(hAbs * factor, maxStep);
  }
  return hAbs * Math.max(MIN_FACTOR, SAFETY * Math.pow(err, exponent));
}

/**
 * First step magnitude (Hairer's heuristic, scipy's select_initial_step): the step whose local
 * error would match the tolerance, judged from the sizes of y0, f0 = f(t0, y0) and f's change
 * along an explicit Euler probe. Costs one field evaluation; scale, probe and fProbe are scratch.
 */
export function initialStepSize(
  f: FieldInto,
  t0: number,
  y0: ArrayLike<number>,
  f0: Float64Array,
  dir: number,
  span: number,
  errorOrder: number,
  tol: Tolerances,
  scratch: { scale: Float64Array; probe: Float64Array; fProbe: Float64Array },
): number {
  const { scale, probe, fProbe } = scratch;
  const dim = f0.length;
  for (let i = 0; i < dim; i++) scale[i] = tol.atol + Math.abs(y0[i]) * tol.rtol;
  const d0 = rmsNorm(y0, scale);
  const d1 = rmsNorm(f0, scale);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  for (let i = 0; i < dim; i++) probe[i] = y0[i] + dir * h0 * f0[i];
  f(t0 + dir * h0, probe, fProbe);
  for (let i = 0; i < dim; i++) fProbe[i] -= f0[i];
  const d2 = rmsNorm(fProbe, scale) / h0;
  const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 1 / (errorOrder + 1));
  return Math.min(100 * h0, h1, span, tol.maxStep);
}

// Shared scratch for nextUp: it runs once per step, so it must not allocate.
const upBuf = new Float64Array(1);
const upBits = new BigInt64Array(upBuf.buffer);

/** Smallest meaningful step at time t: ten units in the last place of t. */
export function minStepSize(t: number): number {
  const at = Math.abs(t);
  let up = Number.MIN_VALUE;
  if (at !== 0) {
    upBuf[0] = at;
    upBits[0] += 1n;
    up = upBuf[0];
  }
  return 10 * Math.abs(up - at);
}
