// The names of the model kinds and latent-step integrators: a module without tensors, so the command
// line can list the choices without loading TensorFlow.js.

/** hnn: the symplectic gradient of a learned scalar H; baseline: an MLP that predicts dx/dt directly. */
export const MODEL_KINDS = ['hnn', 'baseline'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Integrators for the latent step inside the pixel loss (tensor form, differentiable). */
export const LATENT_STEPS = ['euler', 'rk4', 'leapfrog'] as const;
export type LatentStep = (typeof LATENT_STEPS)[number];

/** Autoencoders of the pixel model: the paper's residual MLP, or convolutions over the frame stack. */
export const PIXEL_ENCODERS = ['mlp', 'conv'] as const;
export type PixelEncoder = (typeof PIXEL_ENCODERS)[number];
