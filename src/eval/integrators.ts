// Integrators a latent rollout can use: a module without tensors, so the command line can list them cheaply.
//   rk45            adaptive Dormand-Prince on the learned field (the paper's protocol)
//   leapfrog        ten leapfrog steps per frame: the learned field integrated closely, symplectically
//   leapfrog-frame  one leapfrog step per frame: the very map a model trained with the leapfrog latent
//                   step (one step per frame) learned, so the rollout repeats what training fitted
/** The integrators of latent rollouts (see the comment above). */
export const ROLLOUT_INTEGRATORS = ['rk45', 'leapfrog', 'leapfrog-frame'] as const;
/** One of ROLLOUT_INTEGRATORS. */
export type RolloutIntegrator = (typeof ROLLOUT_INTEGRATORS)[number];

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

// What a latent rollout does to its state after every frame:
//   none         nothing: the learned field's own rollout (the paper's protocol)
//   autoencoder  re-encodes the decoded frames, z <- encode(decode(z)): a projection back onto the
//                latents the autoencoder makes of frames (a projection method, as for an integrator
//                on a manifold). It is a task's default where the latent has more values than the
//                frames' phase space, so the field has directions no datum constrains (two-body).
/** What a latent rollout may do to its state after every frame (see the comment above). */
export const ROLLOUT_PROJECTIONS = ['none', 'autoencoder'] as const;
/** One of ROLLOUT_PROJECTIONS. */
export type RolloutProjection = (typeof ROLLOUT_PROJECTIONS)[number];

/** What a pixel task's rollouts do to their latent unless asked otherwise (its evaluation's setting, else none). */
export function taskProjection(task: { evaluation: { projection?: RolloutProjection } }): RolloutProjection {
  return task.evaluation.projection ?? 'none';
}
