// Integration of a learned field that may blow up: adaptive RK45 at requested times, keeping the
// states reached and holding the last one to the end. Rollouts of trained models (energy metric,
// latent pixel rollouts) use it; it imports no `node:` module, so the browser page uses it too.
import type { Field } from '../systems/system.ts';
import { solveIvp } from './rk45.ts';

/**
 * Integrates `field` from x0 with adaptive RK45, reporting the states at tEval (tEval[0] = t0) as
 * rows of `out`. A learned field may blow up: then the states reached are kept and the last one is
 * held to the end. Returns how many rows were reached; `onFailure` hears why the integrator stopped.
 */
export function integrateHeld(
  field: Field,
  x0: Float64Array,
  tEval: Float64Array,
  tol: { rtol: number; atol: number },
  out: Float64Array,
  onFailure?: (e: Error) => void,
): number {
  const dim = x0.length;
  const points = tEval.length;
  let reached = 0;
  try {
    const sol = solveIvp(field, [tEval[0], tEval[points - 1]], x0, { tEval, rtol: tol.rtol, atol: tol.atol, maxSteps: 200_000 });
    reached = sol.t.length;
    out.set(sol.y.subarray(0, reached * dim));
  } catch (e) {
    // nothing usable was reached
    onFailure?.(e as Error);
  }
  if (reached === 0) {
    out.set(x0, 0);
    reached = 1;
  }
  for (let i = reached; i < points; i++) out.copyWithin(i * dim, (reached - 1) * dim, reached * dim);
  return reached;
}
