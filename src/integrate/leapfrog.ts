/**
 * Leapfrog (kick-drift-kick) on a generic field over the layout x = [q, p]:
 *   p_half = p + h/2 * dp/dt(q, p)
 *   q_new  = q + h   * dq/dt(q, p_half)
 *   p_new  = p_half + h/2 * dp/dt(q_new, p_half)
 * For a separable H = T(p) + V(q) (dp/dt depends on q only, dq/dt on p only) this is exactly
 * Stormer-Verlet: order 2, symplectic and time-reversible, so energy errors stay bounded instead of
 * drifting. For a non-separable learned field it is still order 2 but not symplectic.
 * Costs 3 field evaluations per step (the third cannot be reused: it is taken at p_half).
 */
import type { Field } from './field.ts';
import { iterateSteps } from './fixed.ts';

export const name = 'leapfrog';
export const order = 2;
export const symplectic = true;

export function step(f: Field, t: number, x: Float64Array, h: number): Float64Array {
  const dim = x.length;
  const k = dim / 2;
  const cur = Float64Array.from(x);
  const d0 = f(t, cur);
  for (let i = k; i < dim; i++) cur[i] += (h / 2) * d0[i];
  const d1 = f(t + h / 2, cur);
  for (let i = 0; i < k; i++) cur[i] += h * d1[i];
  const d2 = f(t + h, cur);
  for (let i = k; i < dim; i++) cur[i] += (h / 2) * d2[i];
  return cur;
}

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  if (x0.length % 2 !== 0) throw new RangeError(`leapfrog needs an even state dimension [q, p], got ${x0.length}`);
  return iterateSteps(step, f, x0, t0, dt, nSteps);
}
