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

/** The learned latent field in float64 (HNN symplectic gradient, baseline output, or the D-HNN's J grad H + P grad D). */
export function latentField(kind: ModelKind, weights: NamedWeights): Field {
  return fieldFunction(kind, weights);
}

export interface LatentRollout {
  /** [frames, latent], frame i at latent time i * dt */
  z: Float64Array;
  /** Frames actually reached before the integrator gave up (the last state is held after). */
  reached: number;
}

export interface LatentRolloutOptions {
  integrator?: RolloutIntegrator;
  dt?: number;
  rtol?: number;
  atol?: number;
  substeps?: number;
  /** applied to the state after every frame (a projection; src/eval/integrators.ts RolloutProjection) */
  project?: (z: Float64Array) => Float64Array;
}

/**
 * Integrates the latent field from z0 for `frames` frames (z0 is frame 0) at `dt` latent time units
 * per frame: adaptive RK45 by default, or leapfrog with `substeps` steps per frame (10 for
 * `leapfrog`; `leapfrog-frame` is always one). With `project`, each frame starts from the
 * projection of the last (RK45 then restarts at every frame).
 */
export function latentRollout(field: Field, z0: Float64Array, frames: number, opts: LatentRolloutOptions = {}): LatentRollout {
  const d = z0.length;
  const dt = opts.dt ?? 1;
  const z = new Float64Array(frames * d);
  const tol = { rtol: opts.rtol ?? 1e-9, atol: opts.atol ?? 1e-9 };
  const rk45 = (opts.integrator ?? 'rk45') === 'rk45';
  if (rk45 && !opts.project) {
    const tEval = Float64Array.from({ length: frames }, (_, i) => i * dt);
    return { z, reached: integrateHeld(field, z0, tEval, tol, z) };
  }
  const sub = opts.integrator === 'leapfrog-frame' ? 1 : (opts.substeps ?? 10);
  const pair = new Float64Array(2 * d);
  const advance = (x: Float64Array): Float64Array => {
    if (rk45) return integrateHeld(field, x, Float64Array.of(0, dt), tol, pair) === 2 ? pair.slice(d) : Float64Array.of(NaN);
    for (let s = 0; s < sub; s++) x = leapfrog.step(field, 0, x, dt / sub);
    return x;
  };
  let x: Float64Array = Float64Array.from(z0);
  z.set(x, 0);
  let reached = 1;
  for (let f = 1; f < frames; f++) {
    x = advance(x);
    if (opts.project && x.every(Number.isFinite)) x = opts.project(x);
    if (!x.every(Number.isFinite)) break;
    z.set(x, f * d);
    reached = f + 1;
  }
  for (let f = reached; f < frames; f++) z.copyWithin(f * d, (reached - 1) * d, reached * d);
  return { z, reached };
}
