// Repeated fixed steps of any one-step method, shared by the fixed-step integrators. The loop is
// bounded by nSteps and stops with an IntegrationError as soon as the state is not finite.
import type { Field } from './field.ts';
import { firstNonFiniteIndex, IntegrationError } from './errors.ts';

export type StepFn = (f: Field, t: number, x: Float64Array, h: number) => Float64Array;

/** All nSteps + 1 states (row-major, x0 first) of fixed steps dt from t0. */
export function iterateSteps(step: StepFn, f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array {
  if (!Number.isFinite(dt) || !Number.isFinite(t0))
    throw new IntegrationError('non-finite', `fixed step: t0 = ${t0} and dt = ${dt} must be finite`, t0);
  if (!Number.isInteger(nSteps) || nSteps < 0) throw new RangeError(`fixed step: nSteps must be a non-negative integer, got ${nSteps}`);
  if (firstNonFiniteIndex(x0) >= 0) throw new IntegrationError('non-finite', 'fixed step: the initial state is not finite', t0);
  const dim = x0.length;
  const out = new Float64Array((nSteps + 1) * dim);
  out.set(x0);
  let x = x0;
  for (let n = 0; n < nSteps; n++) {
    x = step(f, t0 + n * dt, x, dt);
    if (firstNonFiniteIndex(x) >= 0)
      throw new IntegrationError(
        'non-finite',
        `fixed step: the state became non-finite at step ${n + 1} (t = ${t0 + (n + 1) * dt})`,
        t0 + (n + 1) * dt,
      );
    out.set(x, (n + 1) * dim);
  }
  return out;
}
