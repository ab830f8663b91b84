// Rollouts of a learned latent field in float64: the part of a pixel rollout that needs no
// TensorFlow.js (the autoencoder encodes the first pair and decodes the result). It imports no
// `node:` module and no tfjs, so the browser page and the evaluation's helper thread load it cheaply.
import { fieldFunction } from '../../models/f64.ts';
import type { ModelKind } from '../../models/kinds.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { integrateHeld } from '../integrate/held.ts';
import * as leapfrog from '../integrate/leapfrog.ts';
import type { Field } from '../systems/system.ts';
import type { RolloutIntegrator } from './integrators.ts';

/** The learned latent field in float64 (HNN symplectic gradient, baseline output, or the D-HNN's sum of both gradients). */
export function latentField(kind: ModelKind, weights: NamedWeights): Field {
  return fieldFunction(kind, weights);
}

export interface LatentRollout {
  /** [frames, latent], frame i at latent time i * dt */
  z: Float64Array;
  /** Frames actually reached before the integrator gave up (the last state is held after). */
  reached: number;
}

/**
 * Integrates the latent field from z0 for `frames` frames (z0 is frame 0) at `dt` latent time units
 * per frame: adaptive RK45 by default, or leapfrog with `substeps` steps per frame (10 for
 * `leapfrog`; `leapfrog-frame` is always one).
 */
export function latentRollout(
  field: Field,
  z0: Float64Array,
  frames: number,
  opts: { integrator?: RolloutIntegrator; dt?: number; rtol?: number; atol?: number; substeps?: number } = {},
): LatentRollout {
  const d = z0.length;
  const dt = opts.dt ?? 1;
  const z = new Float64Array(frames * d);
  if ((opts.integrator ?? 'rk45') === 'rk45') {
    const tEval = Float64Array.from({ length: frames }, (_, i) => i * dt);
    return { z, reached: integrateHeld(field, z0, tEval, { rtol: opts.rtol ?? 1e-9, atol: opts.atol ?? 1e-9 }, z) };
  }
  const sub = opts.integrator === 'leapfrog-frame' ? 1 : (opts.substeps ?? 10);
  let x: Float64Array = Float64Array.from(z0);
  z.set(x, 0);
  let reached = 1;
  for (let f = 1; f < frames; f++) {
    for (let s = 0; s < sub; s++) x = leapfrog.step(field, 0, x, dt / sub);
    if (!x.every(Number.isFinite)) break;
    z.set(x, f * d);
    reached = f + 1;
  }
  for (let f = reached; f < frames; f++) z.copyWithin(f * d, (reached - 1) * d, reached * d);
  return { z, reached };
}
