// Integrators a latent rollout can use: a module without tensors, so the command line can list them cheaply.
export const ROLLOUT_INTEGRATORS = ['rk45', 'leapfrog'] as const;
export type RolloutIntegrator = (typeof ROLLOUT_INTEGRATORS)[number];
