// Repeated fixed steps of any one-step method, shared by the fixed-step integrators.
import type { Field } from '../physics/system.ts';

export type StepFn = (f: Field, t: number, x: Float64Array, h: number) => Float64Array;

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function iterateSteps(step: StepFn, f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  const dim = x0.length;
  const out = new Float64Array((nSteps + 1) * dim);
  out.set(x0);
  let x = x0;
  for (let n = 0; n < nSteps; n++) {
    x = step(f, t0 + n * dt, x, dt);
    out.set(x, (n + 1) * dim);
  }
  return out;
}
