/**
 * Adaptive Dormand-Prince 5(4) ("RK45", scipy's solve_ivp default), forward or backward in time.
 * The method is data (tableau.ts) taken one embedded step at a time (runge-kutta.ts), with
 * scipy's step-size rules (controller.ts), output at requested times from the continuous extension
 * (dense.ts) and growable output rows (trajectory.ts). This module owns the loop, the reusable work
 * buffers and the typed failures.
 */
import type { Field, FieldInto } from './field.ts';
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

/**
 * The mutable state of one solve: the current point, the proposed step size, the accepted step
 * and the counters. One object per solve, so the step loop allocates nothing.
 */
class Solve {
  t: number;
  /** Step size the controller proposes for the next attempt. */
  h = 0;
  /** The last accepted step: its end time and signed length tNew - t. */
  tNew = 0;
  hs = 0;
  /** The state at t, and the buffer the next step writes; swapped after each accepted step. */
  y: Float64Array;
  yNew: Float64Array;
  nfev = 0;
  nsteps = 0;
  nrejected = 0;
  /** Every attempt, rejected ones included, counts towards maxSteps: no input can loop forever. */
  attempts = 0;
  /** The last attempt's error norm was not finite (the field overflowed or returned NaN). */
  nonFinite = false;
  constructor(
    readonly f: FieldInto,
    readonly w: Work,
    t0: number,
    readonly t1: number,
    readonly dir: 1 | -1,
    readonly tol: Tolerances,
    readonly maxSteps: number,
  ) {
    this.t = t0;
    this.y = w.y;
    this.yNew = w.yNew;
  }
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
  const dim = x0.length;
  const w = borrowWork(dim);
  const out = new Trajectory(dim, tEval ? tEval.length : 64);
  const dense = tEval ? new DenseOutput(DOPRI5, tEval, dir, out, w.denseWeights) : undefined;
  const s = new Solve(f, w, t0, t1, dir, { rtol, atol, maxStep }, maxSteps);
  try {
    start(s, x0, out, dense);
    if (t1 !== t0) {
      s.h = firstStepSize(s);
      while (dir * (t1 - s.t) > 0) {
        attemptStep(s);
        advance(s, out, dense);
      }
    }
    return { ...out.result(), dim, nfev: s.nfev, nsteps: s.nsteps, nrejected: s.nrejected };
  } finally {
    workCache.set(dim, w);
  }
}

/** Checks the initial state, copies it into s.y and records it as the first output. */
function start(s: Solve, x0: ArrayLike<number>, out: Trajectory, dense: DenseOutput | undefined): void {
  const bad0 = firstNonFiniteIndex(x0);
  if (bad0 >= 0) throw new IntegrationError('non-finite', `rk45: the initial state is not finite (component ${bad0} is ${x0[bad0]})`, s.t);
  for (let i = 0; i < x0.length; i++) s.y[i] = x0[i];
  if (dense) dense.start(s.t, s.y);
  else out.push(s.t, s.y);
}

/**
 * Evaluates the field at the initial state into the first stage (the first step reuses it) and
 * returns scipy's initial step size; two field evaluations. Throws where either is not finite.
 */
function firstStepSize(s: Solve): number {
  const { f, t, y, w } = s;
  const K = w.stages.k;
  f(t, y, K[0]);
  s.nfev++;
  if (firstNonFiniteIndex(K[0]) >= 0)
    throw new IntegrationError('non-finite', `rk45: the field is not finite at the initial state (t = ${t})`, t);
  const h = initialStepSize(f, t, y, K[0], s.dir, Math.abs(s.t1 - t), DOPRI5.errorOrder, s.tol, {
    scale: w.scale,
    probe: w.stages.stage,
    fProbe: K[1],
  });
  s.nfev++;
  if (!(h > 0 && Number.isFinite(h)))
    throw new IntegrationError('non-finite', `rk45: the initial step size is ${h} (the field is not finite near the initial state)`, t);
  return h;
}

/**
 * Attempts steps from s.t, shrinking s.h after each rejection, until one is accepted: leaves it in
 * s.tNew, s.hs and s.yNew, and the next proposed size in s.h. Throws past maxSteps attempts, or when
 * the step falls below the smallest representable one at t.
 */
function attemptStep(s: Solve): void {
  const { f, t, t1, dir, tol, w } = s;
  const minStep = minStepSize(t);
  let rejectedHere = false;
  for (;;) {
    if (++s.attempts > s.maxSteps)
      throw new IntegrationError(
        'step-limit',
        `rk45: gave up after ${s.maxSteps} steps at t = ${t} (rtol ${tol.rtol}, atol ${tol.atol}); the problem may be stiff or singular`,
        t,
      );
    if (s.h < minStep) {
      if (s.nonFinite) throw new IntegrationError('non-finite', `rk45: the solution became non-finite at t = ${t} (the field blew up)`, t);
      throw new IntegrationError(
        'step-too-small',
        `rk45: step size fell below ${minStep} at t = ${t}; the solution may be singular (collision?)`,
        t,
      );
    }
    let tNew = t + dir * s.h;
    if (dir * (tNew - t1) > 0) tNew = t1;
    const hs = tNew - t;
    s.nfev += embeddedStep(DOPRI5, f, t, hs, tNew, s.y, w.stages, s.yNew, w.err);
    const errNorm = errorNorm(w.err, s.y, s.yNew, tol, w.scale);
    // A non-finite error rejects the step, which shrinks it.
    s.nonFinite = !Number.isFinite(errNorm);
    s.h = nextStepSize(errNorm, Math.abs(hs), DOPRI5.errorOrder, rejectedHere, tol.maxStep);
    if (accepts(errNorm)) {
      s.tNew = tNew;
      s.hs = hs;
      return;
    }
    rejectedHere = true;
    s.nrejected++;
  }
}

/** Records the accepted step's output and moves to its end point, swapping buffers instead of copying. */
function advance(s: Solve, out: Trajectory, dense: DenseOutput | undefined): void {
  const K = s.w.stages.k;
  const last = K.length - 1;
  s.nsteps++;
  if (dense) dense.afterStep(s.t, s.tNew, s.hs, s.y, s.yNew, K);
  else out.push(s.tNew, s.yNew);
  s.t = s.tNew;
  const swap = s.y;
  s.y = s.yNew;
  s.yNew = swap;
  // First same as last: the new point's derivative is the next step's first stage.
  const k0 = K[0];
  K[0] = K[last];
  K[last] = k0;
}
