// The names of the model kinds and latent-step integrators: a module without tensors, so the command
// line can list the choices without loading TensorFlow.js.

/**
 * hnn: the symplectic gradient of a learned scalar H; baseline: an MLP that predicts dx/dt directly;
 * dhnn: the dissipative HNN (Sosanya & Greydanus 2022), the symplectic gradient of a learned H plus
 * the plain gradient of a second learned scalar D.
 */
export const MODEL_KINDS = ['hnn', 'baseline', 'dhnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The name of the D-HNN's dissipation network: its weights are saved as "dhnn-d/w0", ... and drawn from `init:dhnn-d`. */
export const DISSIPATION_NET = 'dhnn-d';

/** Integrators for the latent step inside the pixel loss (tensor form, differentiable). */
export const LATENT_STEPS = ['euler', 'rk4', 'leapfrog'] as const;
export type LatentStep = (typeof LATENT_STEPS)[number];
