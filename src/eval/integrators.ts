// The rollout integrators' and projections' defaults (their names are in src/tasks/vocabulary.ts).
import type { RolloutIntegrator, RolloutProjection } from '../tasks/vocabulary.ts';
export { ROLLOUT_INTEGRATORS, ROLLOUT_PROJECTIONS, type RolloutIntegrator, type RolloutProjection } from '../tasks/vocabulary.ts';

/**
 * How a pixel model is rolled out unless asked otherwise: with its own latent step when that is
 * leapfrog (one step per frame, the map it was trained to be; the field it learned is that map's,
 * not the flow's, so integrating it exactly drifts in phase), else with RK45. An Euler-trained
 * model is not rolled out with Euler: an Euler step of a rotation grows its radius every frame,
 * and the paper integrates its field with an ODE solver.
 */
export function defaultRolloutIntegrator(latentStep: string): RolloutIntegrator {
  return latentStep === 'leapfrog' ? 'leapfrog-frame' : 'rk45';
}

/** What a pixel task's rollouts do to their latent unless asked otherwise (its evaluation's setting, else none). */
export function taskProjection(task: { evaluation: { projection?: RolloutProjection } }): RolloutProjection {
  return task.evaluation.projection ?? 'none';
}
