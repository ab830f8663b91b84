// Integrator registry: each fixed-step integrator with its order and whether it is symplectic.
import type { Field } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import * as euler from './euler.ts';
import * as rk4 from './rk4.ts';
import * as leapfrog from './leapfrog.ts';
import * as dopri5 from './dopri5.ts';

export { solveIvp, solveIvpInto, type SolveOptions, type SolveResult } from './rk45.ts';

export interface FixedStepIntegrator {
  readonly name: string;
  readonly order: number;
  readonly symplectic: boolean;
  step(f: Field, t: number, x: Float64Array, h: number): Float64Array;
  integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array;
}

export const FIXED_STEP_INTEGRATORS: Record<string, FixedStepIntegrator> = {
  euler,
  rk4,
  leapfrog,
  dopri5,
};

export function getFixedStepIntegrator(name: string): FixedStepIntegrator {
  const it = FIXED_STEP_INTEGRATORS[name];
  if (!it || !Object.hasOwn(FIXED_STEP_INTEGRATORS, name)) {
    throw new UserError(`unknown integrator "${name}"; valid names: ${Object.keys(FIXED_STEP_INTEGRATORS).join(', ')}`);
  }
  return it;
}
