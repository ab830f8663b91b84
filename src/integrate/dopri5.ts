// Dormand-Prince 5(4) at a fixed step: the 5th-order solution without error control. Order 5, not
// symplectic; six field evaluations per step, since without error control the FSAL stage is unused.
import type { Field } from './field.ts';
import { iterateSteps } from './fixed.ts';
import { fixedStep } from './runge-kutta.ts';
import { DOPRI5 } from './tableau.ts';

export const name = 'dopri5';
export const order = DOPRI5.order;
export const symplectic = false;

/** One step of size h from (t, x). */
export const step = fixedStep(DOPRI5);

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  return iterateSteps(step, f, x0, t0, dt, nSteps);
}
