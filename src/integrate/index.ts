// Integrator registry: each fixed-step integrator with its order and whether it is symplectic.
import type { Field } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import * as euler from './euler.ts';
import * as rk4 from './rk4.ts';
import * as leapfrog from './leapfrog.ts';
import * as dopri5 from './dopri5.ts';

export { solveIvp, solveIvpInto, type SolveOptions, type SolveResult } from './rk45.ts';

/** The names of the fixed-step integrators. */
export const FIXED_STEP_NAMES = ['euler', 'rk4', 'leapfrog', 'dopri5'] as const;

/** A fixed-step integrator's name. */
export type FixedStepName = (typeof FIXED_STEP_NAMES)[number];

/** A fixed-step integrator: its name, order, whether it is symplectic, one step and a whole run. */
export interface FixedStepIntegrator {
  /** a FixedStepName for the built-in ones; integrators made elsewhere (tests, users) name themselves */
  readonly name: string;
  readonly order: number;
  readonly symplectic: boolean;
  step(f: Field, t: number, x: Float64Array, h: number): Float64Array;
  integrateFixed(f: Field, x0: Float64Array, t0: number, dt: number, nSteps: number): Float64Array;
}

/** Every fixed-step integrator by name. */
export const FIXED_STEP_INTEGRATORS: Readonly<Record<FixedStepName, FixedStepIntegrator>> = {
  euler,
  rk4,
  leapfrog,
  dopri5,
};

/** The integrator of a name; an unknown name is a UserError listing the valid ones. */
export function getFixedStepIntegrator(name: string): FixedStepIntegrator {
  const it = FIXED_STEP_INTEGRATORS[name as FixedStepName];
  if (!it || !Object.hasOwn(FIXED_STEP_INTEGRATORS, name)) {
    throw new UserError(`unknown integrator "${name}"; valid names: ${Object.keys(FIXED_STEP_INTEGRATORS).join(', ')}`);
  }
  return it;
}
