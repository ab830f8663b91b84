/**
 * Adaptive Dormand-Prince 5(4) ("RK45", scipy's solve_ivp default), forward or backward in time.
 * The method is data (tableau.ts) taken one embedded step at a time (runge-kutta.ts), with
 * scipy's step-size rules (controller.ts), output at requested times from the continuous extension
 * (dense.ts) and growable output rows (trajectory.ts). This module owns the loop, the reusable work
 * buffers and the typed failures.
 */
import type { Field, FieldInto } from '../systems/system.ts';
import { accepts, errorNorm, initialStepSize, minStepSize, nextStepSize, type Tolerances } from './controller.ts';
import { DenseOutput } from './dense.ts';
import { firstNonFiniteIndex, IntegrationError } from './errors.ts';
import { embeddedStep, stageBuffers, type StageBuffers } from './runge-kutta.ts';
import { DOPRI5 } from './tableau.ts';
import { Trajectory } from './trajectory.ts';

export const name = 'rk45';
export const order = DOPRI5.order;
export const symplectic = false;
/** Solution weights and continuous extension of the method (see tableau.ts). */
export const B = DOPRI5.b;
export const P = DOPRI5.dense;

/** Options of solveIvp: tolerances, output times, step limits. */
export interface SolveOptions {
  /** Times at which to report the state, monotone in the direction of integration, inside tSpan. Default: every step. */
  tEval?: ArrayLike<number>;
  /** Relative tolerance (default 1e-3, as scipy). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6, as scipy). */
  atol?: number;
  /** Give up after this many attempted steps, rejected ones included (default 1e6). */
  maxSteps?: number;
  /** Largest step magnitude (default unbounded). */
  maxStep?: number;
}

/** What solveIvp returns: the states at the output times and the work it took. */
export interface SolveResult {
  /** Output times. */
  t: Float64Array;
  /** States at those times, row-major: rows = times, `dim` columns. */
  y: Float64Array;
  dim: number;
  /** Field evaluations, accepted steps, rejected steps. */
  nfev: number;
  nsteps: number;
  nrejected: number;
}

/** Work buffers for one dimension, reusable across many solves (dataset generation). */
class Work {
  readonly stages: StageBuffers;
  readonly y: Float64Array;
  readonly yNew: Float64Array;
  readonly err: Float64Array;
  readonly scale: Float64Array;
  readonly denseWeights: Float64Array;
  constructor(readonly dim: number) {
    this.stages = stageBuffers(DOPRI5, dim);
    this.y = new Float64Array(dim);
    this.yNew = new Float64Array(dim);
    this.err = new Float64Array(dim);
    this.scale = new Float64Array(dim);
    this.denseWeights = new Float64Array(DOPRI5.b.length);
  }
}
const workCache = new Map<number, Work>();

/** The cached buffers for dim, taken out while in use so that a re-entrant solve (a field that itself integrates) gets its own. */
function borrowWork(dim: number): Work {
  const w = workCache.get(dim) ?? new Work(dim);
  workCache.delete(dim);
  return w;
}

function checkRequest(t0: number, t1: number, rtol: number, atol: number, dir: number, tEval: ArrayLike<number> | undefined): void {
  if (!(rtol > 0) || !(atol >= 0)) throw new RangeError(`rk45: need rtol > 0 and atol >= 0, got rtol=${rtol}, atol=${atol}`);
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new RangeError(`rk45: tSpan must be finite, got [${t0}, ${t1}]`);
  if (!tEval) return;
  for (let i = 0; i < tEval.length; i++) {
    const te = tEval[i];
    if (!(dir * (te - t0) >= 0 && dir * (t1 - te) >= 0))
      throw new RangeError(`rk45: tEval[${i}] = ${te} lies outside tSpan [${t0}, ${t1}]`);
    if (i > 0 && dir * (te - tEval[i - 1]) < 0)
      throw new RangeError(`rk45: tEval must be monotone in the direction of integration (index ${i})`);
  }
}

/** Solves dx/dt = f(t, x) with the allocating field form. */
export function solveIvp(f: Field, tSpan: [number, number], x0: Float64Array, opts: SolveOptions = {}): SolveResult {
  return solveIvpInto((t, x, out) => out.set(f(t, x)), tSpan, x0, opts);
}

/** Solves dx/dt = f(t, x) with an in-place field (no allocation per evaluation). */
export function solveIvpInto(f: FieldInto, tSpan: [number, number], x0: ArrayLike<number>, opts: SolveOptions = {}): SolveResult {
  const [t0, t1] = tSpan;
  const rtol = opts.rtol ?? 1e-3;
  const atol = opts.atol ?? 1e-6;
  const maxSteps = opts.maxSteps ?? 1_000_000;
  const maxStep = opts.maxStep ?? Infinity;
  const dir = t1 >= t0 ? 1 : -1;
  const tEval = opts.tEval;
  checkRequest(t0, t1, rtol, atol, dir, tEval);
  const tol: Tolerances = { rtol, atol, maxStep };
  const dim = x0.length;

  const w = borrowWork(dim);
  const { stages, err, scale } = w;
  const K = stages.k;
  const last = K.length - 1;
  let y = w.y;
  let yNew = w.yNew;
  const out = new Trajectory(dim, tEval ? tEval.length : 64);
  const dense = tEval ? new DenseOutput(DOPRI5, tEval, dir, out, w.denseWeights) : undefined;

  try {
    const bad0 = firstNonFiniteIndex(x0);
    if (bad0 >= 0) throw new IntegrationError('non-finite', `rk45: the initial state is not finite (component ${bad0} is ${x0[bad0]})`, t0);
    for (let i = 0; i < dim; i++) y[i] = x0[i];
    let t = t0;
    if (dense) dense.start(t0, y);
    else out.push(t0, y);
    let nfev = 0;
    let nsteps = 0;
    let nrejected = 0;
    const result = (): SolveResult => ({ ...out.result(), dim, nfev, nsteps, nrejected });
    if (t1 === t0) return result();

    f(t, y, K[0]);
    nfev++;
    if (firstNonFiniteIndex(K[0]) >= 0)
      throw new IntegrationError('non-finite', `rk45: the field is not finite at the initial state (t = ${t})`, t);
    let h = initialStepSize(f, t, y, K[0], dir, Math.abs(t1 - t0), DOPRI5.errorOrder, tol, {
      scale,
      probe: stages.stage,
      fProbe: K[1],
    });
    nfev++;
    if (!(h > 0 && Number.isFinite(h)))
      throw new IntegrationError('non-finite', `rk45: the initial step size is ${h} (the field is not finite near the initial state)`, t);

    // Every attempt, rejected ones included, counts towards maxSteps: no input can loop forever.
    let attempts = 0;
    let nonFinite = false;
    while (dir * (t1 - t) > 0) {
      const minStep = minStepSize(t);
      let rejectedHere = false;
      let accepted = false;
      let tNew = t;
      let hs = 0;
      while (!accepted) {
        if (++attempts > maxSteps)
          throw new IntegrationError(
            'step-limit',
            `rk45: gave up after ${maxSteps} steps at t = ${t} (rtol ${rtol}, atol ${atol}); the problem may be stiff or singular`,
            t,
          );
        if (h < minStep) {
          if (nonFinite)
            throw new IntegrationError('non-finite', `rk45: the solution became non-finite at t = ${t} (the field blew up)`, t);
          throw new IntegrationError(
            'step-too-small',
            `rk45: step size fell below ${minStep} at t = ${t}; the solution may be singular (collision?)`,
            t,
          );
        }
        tNew = t + dir * h;
        if (dir * (tNew - t1) > 0) tNew = t1;
        hs = tNew - t;
        nfev += embeddedStep(DOPRI5, f, t, hs, tNew, y, stages, yNew, err);
        const errNorm = errorNorm(err, y, yNew, tol, scale);
        // A non-finite error (the field overflowed or returned NaN) rejects the step, which shrinks it.
        nonFinite = !Number.isFinite(errNorm);
        h = nextStepSize(errNorm, Math.abs(hs), DOPRI5.errorOrder, rejectedHere, maxStep);
        accepted = accepts(errNorm);
        if (!accepted) {
          rejectedHere = true;
          nrejected++;
        }
      }
      nsteps++;
      if (dense) dense.afterStep(t, tNew, hs, y, yNew, K);
      else out.push(tNew, yNew);
      t = tNew;
      const swap = y;
      y = yNew;
      yNew = swap;
      // First same as last: the new point's derivative is the next step's first stage.
      const k0 = K[0];
      K[0] = K[last];
      K[last] = k0;
    }
    return result();
  } finally {
    workCache.set(dim, w);
  }
}
