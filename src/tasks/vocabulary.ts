// The names every layer shares: model kinds, the integrators of the multi-step losses and of latent
// rollouts, projections, autoencoders, latent maps. A leaf module (no imports), at the bottom of the
// layers that use it, so that tasks can name them without importing the models or the evaluation.

/**
 * hnn: the symplectic gradient of a learned scalar H; baseline: an MLP that predicts dx/dt directly;
 * dhnn: the dissipative HNN (Sosanya & Greydanus 2022), the symplectic gradient of a learned H plus
 * the gradient of a second learned scalar D on the momenta (models/dynamics.ts).
 */
export const MODEL_KINDS = ['hnn', 'baseline', 'dhnn'] as const;
/** One of MODEL_KINDS. */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Integrators of the multi-step losses (the pixel latent term, the state trajectory loss). */
export const LATENT_STEPS = ['euler', 'rk4', 'leapfrog'] as const;
/** One of LATENT_STEPS. */
export type LatentStep = (typeof LATENT_STEPS)[number];

/** Autoencoders of the pixel model: the paper's residual MLP, or convolutions over the frame stack. */
export const PIXEL_ENCODERS = ['mlp', 'conv'] as const;
/** One of PIXEL_ENCODERS. */
export type PixelEncoder = (typeof PIXEL_ENCODERS)[number];

// Integrators a latent rollout can use:
//   rk45            adaptive Dormand-Prince on the learned field (the paper's protocol)
//   leapfrog        ten leapfrog steps per frame: the learned field integrated closely, symplectically
//   leapfrog-frame  one leapfrog step per frame: the very map a model trained with the leapfrog latent
//                   step (one step per frame) learned, so the rollout repeats what training fitted
/** The integrators of latent rollouts (see the comment above). */
export const ROLLOUT_INTEGRATORS = ['rk45', 'leapfrog', 'leapfrog-frame'] as const;
/** One of ROLLOUT_INTEGRATORS. */
export type RolloutIntegrator = (typeof ROLLOUT_INTEGRATORS)[number];

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

/** How the latent (q, p) maps to the physical state in the pixel metrics: affine, or quadratic. */
export type LatentMapKind = 'affine' | 'quadratic';
