// Explicit (forward) Euler, order 1, not symplectic: the baseline whose energy visibly drifts.
import type { Field } from './field.ts';
import { iterateSteps } from './fixed.ts';

export const name = 'euler';
export const order = 1;
export const symplectic = false;

export function step(f: Field, t: number, x: Float64Array, h: number): Float64Array {
  const d = f(t, x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + h * d[i];
  return out;
}

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  return iterateSteps(step, f, x0, t0, dt, nSteps);
}
