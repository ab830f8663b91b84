/**
 * Adaptive Dormand-Prince 5(4) ("RK45", as scipy's solve_ivp default) with error control on the
 * 4th-order embedded estimate, local extrapolation (the 5th-order solution is kept), FSAL, and the
 * 4th-order continuous extension for output at requested times. Works forward or backward in time.
 *
 * Step control and the initial step follow Hairer, Norsett & Wanner (Solving ODEs I, II.4) as scipy
 * implements them, so step counts are comparable with the reference's.
 */
import type { Field, FieldInto } from '../physics/system.ts';
import { firstNonFiniteIndex, IntegrationError } from './errors.ts';
import { DOPRI5 } from './tableau.ts';

export const name = 'rk45';
export const order = DOPRI5.order;
export const symplectic = false;

// The loops below index the tableau's stages directly, in the order the dataset bits depend on.
const { c: C, a: A, e: E } = DOPRI5;
/** Solution weights and continuous extension of the method (see tableau.ts). */
export const B = DOPRI5.b;
export const P = DOPRI5.dense;

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
  readonly k: Float64Array[];
  readonly y: Float64Array;
  readonly yNew: Float64Array;
  readonly tmp: Float64Array;
  constructor(readonly dim: number) {
    this.k = Array.from({ length: 7 }, () => new Float64Array(dim));
    this.y = new Float64Array(dim);
    this.yNew = new Float64Array(dim);
    this.tmp = new Float64Array(dim);
  }
}
const workCache = new Map<number, Work>();

function rmsNorm(v: Float64Array, scale: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const r = v[i] / scale[i];
    s += r * r;
  }
  return Math.sqrt(s / v.length);
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
  if (!(rtol > 0) || !(atol >= 0)) throw new RangeError(`rk45: need rtol > 0 and atol >= 0, got rtol=${rtol}, atol=${atol}`);
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new RangeError(`rk45: tSpan must be finite, got [${t0}, ${t1}]`);
  const dim = x0.length;
  const dir = t1 >= t0 ? 1 : -1;

  const tEval = opts.tEval;
  const nEval = tEval ? tEval.length : 0;
  if (tEval) {
    for (let i = 0; i < nEval; i++) {
      const te = tEval[i];
      if (!(dir * (te - t0) >= 0 && dir * (t1 - te) >= 0))
        throw new RangeError(`rk45: tEval[${i}] = ${te} lies outside tSpan [${t0}, ${t1}]`);
      if (i > 0 && dir * (te - tEval[i - 1]) < 0)
        throw new RangeError(`rk45: tEval must be monotone in the direction of integration (index ${i})`);
    }
  }
  // Growable output for the every-step mode; fixed for tEval.
  let outT = new Float64Array(tEval ? nEval : 64);
  let outY = new Float64Array(outT.length * dim);
  let nOut = 0;
  const push = (t: number, y: ArrayLike<number>): void => {
    if (nOut === outT.length) {
      const t2 = new Float64Array(outT.length * 2);
      t2.set(outT);
      const y2 = new Float64Array(outY.length * 2);
      y2.set(outY);
      outT = t2;
      outY = y2;
    }
    outT[nOut] = t;
    for (let i = 0; i < dim; i++) outY[nOut * dim + i] = y[i];
    nOut++;
  };

  let w = workCache.get(dim);
  if (!w) {
    w = new Work(dim);
    workCache.set(dim, w);
  }
  // Take the cached buffers out while in use, so a re-entrant solve (a field that itself integrates) gets its own.
  workCache.delete(dim);
  const { k: K, tmp } = w;
  let y = w.y;
  let yNew = w.yNew;
  const scale = new Float64Array(dim);

  try {
    const bad0 = firstNonFiniteIndex(x0);
    if (bad0 >= 0) throw new IntegrationError('non-finite', `rk45: the initial state is not finite (component ${bad0} is ${x0[bad0]})`, t0);
    for (let i = 0; i < dim; i++) y[i] = x0[i];
    let t = t0;
    if (tEval) while (nOut < nEval && tEval[nOut] === t0) push(t0, y);
    else push(t0, y);
    let nfev = 0;
    let nsteps = 0;
    let nrejected = 0;
    if (t1 === t0) return { t: outT.slice(0, nOut), y: outY.slice(0, nOut * dim), dim, nfev, nsteps, nrejected };

    f(t, y, K[0]);
    nfev++;
    if (firstNonFiniteIndex(K[0]) >= 0)
      throw new IntegrationError('non-finite', `rk45: the field is not finite at the initial state (t = ${t})`, t);

    // Initial step (Hairer's heuristic, as scipy's select_initial_step).
    let h: number;
    {
      for (let i = 0; i < dim; i++) scale[i] = atol + Math.abs(y[i]) * rtol;
      const d0 = rmsNorm(y, scale);
      const d1 = rmsNorm(K[0], scale);
      const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
      for (let i = 0; i < dim; i++) tmp[i] = y[i] + dir * h0 * K[0][i];
      f(t + dir * h0, tmp, K[1]);
      nfev++;
      for (let i = 0; i < dim; i++) K[1][i] -= K[0][i];
      const d2 = rmsNorm(K[1], scale) / h0;
      const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 1 / 5);
      h = Math.min(100 * h0, h1, Math.abs(t1 - t0), maxStep);
      if (!(h > 0 && Number.isFinite(h)))
        throw new IntegrationError('non-finite', `rk45: the initial step size is ${h} (the field is not finite near the initial state)`, t);
    }

    // Every attempt, rejected ones included, counts towards maxSteps: no input can loop forever.
    let attempts = 0;
    let nonFinite = false;
    while (dir * (t1 - t) > 0) {
      const minStep = 10 * Math.abs(nextUp(Math.abs(t)) - Math.abs(t));
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
        // Stages 2..6.
        for (let s = 1; s < 6; s++) {
          const a = A[s];
          for (let i = 0; i < dim; i++) {
            let acc = 0;
            for (let j = 0; j < s; j++) acc += a[j] * K[j][i];
            tmp[i] = y[i] + hs * acc;
          }
          f(t + C[s] * hs, tmp, K[s]);
        }
        for (let i = 0; i < dim; i++) {
          let acc = 0;
          for (let j = 0; j < 6; j++) acc += B[j] * K[j][i];
          yNew[i] = y[i] + hs * acc;
        }
        f(tNew, yNew, K[6]);
        nfev += 6;
        for (let i = 0; i < dim; i++) {
          let acc = 0;
          for (let j = 0; j < 7; j++) acc += E[j] * K[j][i];
          tmp[i] = hs * acc;
          scale[i] = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(yNew[i]));
        }
        const err = rmsNorm(tmp, scale);
        // A non-finite error (the field overflowed or returned NaN) rejects the step and shrinks it.
        nonFinite = !Number.isFinite(err);
        if (nonFinite) {
          h = Math.abs(hs) * 0.2;
          rejectedHere = true;
          nrejected++;
        } else if (err < 1) {
          let factor = err === 0 ? 10 : Math.min(10, 0.9 * Math.pow(err, -0.2));
          if (rejectedHere) factor = Math.min(1, factor);
          h = Math.min(Math.abs(hs) * factor, maxStep);
          accepted = true;
        } else {
          h = Math.abs(hs) * Math.max(0.2, 0.9 * Math.pow(err, -0.2));
          rejectedHere = true;
          nrejected++;
        }
      }
      nsteps++;
      if (tEval) {
        // Dense output for every requested time in (t, tNew].
        while (nOut < nEval && dir * (tEval[nOut] - tNew) <= 0) {
          const te = tEval[nOut];
          if (te === tNew) {
            push(te, yNew);
            continue;
          }
          const s = (te - t) / hs;
          const s2 = s * s;
          const s3 = s2 * s;
          const s4 = s3 * s;
          const row = nOut * dim;
          for (let i = 0; i < dim; i++) {
            let acc = 0;
            for (let j = 0; j < 7; j++) {
              const p = P[j];
              acc += K[j][i] * (p[0] * s + p[1] * s2 + p[2] * s3 + p[3] * s4);
            }
            outY[row + i] = y[i] + hs * acc;
          }
          outT[nOut] = te;
          nOut++;
        }
      } else {
        push(tNew, yNew);
      }
      t = tNew;
      const swap = y;
      y = yNew;
      yNew = swap;
      const k0 = K[0];
      K[0] = K[6];
      K[6] = k0;
    }
    return { t: outT.slice(0, nOut), y: outY.slice(0, nOut * dim), dim, nfev, nsteps, nrejected };
  } finally {
    workCache.set(dim, w);
  }
}

/** The next double above x (x >= 0), for the smallest meaningful step at time x. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buf = new Float64Array([x]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] += 1n;
  return buf[0];
}
