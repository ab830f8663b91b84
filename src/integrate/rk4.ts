// Classical fixed-step Runge-Kutta, order 4, not symplectic (energy drifts slowly over long runs).
import type { Field } from './field.ts';
import { iterateSteps } from './fixed.ts';

export const name = 'rk4';
export const order = 4;
export const symplectic = false;

/** One RK4 step of size h from (t, x). */
export function step(f: Field, t: number, x: Float64Array, h: number): Float64Array {
  const dim = x.length;
  const tmp = new Float64Array(dim);
  const k1 = f(t, x);
  for (let i = 0; i < dim; i++) tmp[i] = x[i] + (h / 2) * k1[i];
  const k2 = f(t + h / 2, tmp);
  for (let i = 0; i < dim; i++) tmp[i] = x[i] + (h / 2) * k2[i];
  const k3 = f(t + h / 2, tmp);
  for (let i = 0; i < dim; i++) tmp[i] = x[i] + h * k3[i];
  const k4 = f(t + h, tmp);
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) out[i] = x[i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return out;
}

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  return iterateSteps(step, f, x0, t0, dt, nSteps);
}
