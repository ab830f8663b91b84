// The pixel model of the paper's task 5: the residual autoencoder plus a latent dynamics model (HNN
// or baseline) on z = (q, p), trained jointly on three losses (docs/PROTOCOLS.md, task 5):
//   reconstruction  mean over pixels of (x - dec(enc(x)))^2
//   consistency     (z_p - (z_q_next - z_q))^2         (the code's sign)
//   latent HNN      mean over z of (z_next - step(z))^2 (one Euler step of one frame by default)
// total = recon + consistency + 0.1 hnn; no stop-gradients, so the encoder gets gradients through
// dH/dz, i.e. through second derivatives of the HNN's tanh MLP (safeTanh handles that).
import * as tf from '@tensorflow/tfjs';
import { assignVariables, DynamicsModel, type ModelKind } from './dynamics.ts';
import type { NamedWeights } from './mlp.ts';

import type { LatentStep } from './kinds.ts';
import { checkSpec, frameAutoencoder, pixelInputSize, type FrameAutoencoder, type PixelModelSpec } from './pixel-spec.ts';
export { LATENT_STEPS, PIXEL_ENCODERS, type LatentStep, type PixelEncoder } from './kinds.ts';
export { contextOf, convSpecOf, frameAutoencoder, pixelInputSize, type FrameAutoencoder, type PixelModelSpec } from './pixel-spec.ts';

export interface PixelLossConfig {
  recon: number;
  consistency: number;
  hnn: number;
  latentStep: LatentStep;
  /** Time per frame in latent units (the reference: 1). */
  dt: number;
  /**
   * Frames the latent term rolls out (default 1, the paper's one step): with K > 1 training takes
   * windows of K + 1 consecutive pairs and compares the encodings of pairs 1..K with a K-step
   * latent rollout from pair 0 (`windowLoss`).
   */
  rolloutSteps?: number;
}

export const DEFAULT_PIXEL_LOSS: PixelLossConfig = { recon: 1, consistency: 1, hnn: 0.1, latentStep: 'euler', dt: 1 };

export function defaultPixelSpec(kind: ModelKind, frameSize = 28): PixelModelSpec {
  return { kind, frameSize, hidden: 200, latent: 2, dynHidden: [200, 200] };
}

export interface LossTerms<T> {
  total: T;
  recon: T;
  consistency: T;
  hnn: T;
}

export const LOSS_TERMS = ['total', 'recon', 'consistency', 'hnn'] as const;

export class PixelModel {
  readonly ae: FrameAutoencoder;
  readonly dyn: DynamicsModel;
  readonly input: number;

  /** A new model with initial weights from `seed` (autoencoder: the `init:ae` stream; latent model: `init:<kind>`). */
  static init(spec: PixelModelSpec, seed: number): PixelModel {
    const input = checkSpec(spec);
    return new PixelModel(
      spec,
      frameAutoencoder(spec, input, 'init', seed),
      DynamicsModel.init({ kind: spec.kind, dim: spec.latent, hidden: spec.dynHidden }, seed),
    );
  }

  /** A model with saved weights ("ae/w1", ..., "<kind>/w0", ...). */
  static fromWeights(spec: PixelModelSpec, weights: NamedWeights): PixelModel {
    const input = checkSpec(spec);
    const ae = frameAutoencoder(spec, input, weights);
    try {
      return new PixelModel(spec, ae, DynamicsModel.fromWeights({ kind: spec.kind, dim: spec.latent, hidden: spec.dynHidden }, weights));
    } catch (e) {
      ae.dispose(); // the latent model's weights did not fit: free the autoencoder made before
      throw e;
    }
  }

  private constructor(
    readonly spec: PixelModelSpec,
    ae: FrameAutoencoder,
    dyn: DynamicsModel,
  ) {
    this.input = pixelInputSize(spec);
    this.ae = ae;
    this.dyn = dyn;
  }

  /** Autoencoder variables, then the latent model's: a stable order for Adam and checkpoints. */
  variables(): tf.Variable[] {
    return [...this.ae.variables(), ...this.dyn.variables()];
  }

  keys(): string[] {
    return [...this.ae.keys, ...this.dyn.keys()];
  }

  encode(x: tf.Tensor2D): tf.Tensor2D {
    return this.ae.encode(x);
  }

  decode(z: tf.Tensor2D): tf.Tensor2D {
    return this.ae.decode(z);
  }

  /** z after one frame under the learned latent field, with the configured integrator. */
  latentStep(z: tf.Tensor2D, method: LatentStep, h: number): tf.Tensor2D {
    const f = (x: tf.Tensor2D) => this.dyn.field(x);
    if (method === 'euler') return tf.add(z, tf.mul(f(z), h));
    if (method === 'rk4') {
      const k1 = f(z);
      const k2 = f(tf.add(z, tf.mul(k1, h / 2)));
      const k3 = f(tf.add(z, tf.mul(k2, h / 2)));
      const k4 = f(tf.add(z, tf.mul(k3, h)));
      return tf.add(z, tf.mul(tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]), h / 6));
    }
    // leapfrog (kick-drift-kick) on z = [q, p]
    const k = this.spec.latent / 2;
    const qOf = (x: tf.Tensor2D) => tf.slice(x, [0, 0], [-1, k]) as tf.Tensor2D;
    const pOf = (x: tf.Tensor2D) => tf.slice(x, [0, k], [-1, k]) as tf.Tensor2D;
    const q = qOf(z);
    const pHalf = tf.add(pOf(z), tf.mul(pOf(f(z)), h / 2)) as tf.Tensor2D;
    const qNew = tf.add(q, tf.mul(qOf(f(tf.concat([q, pHalf], 1))), h)) as tf.Tensor2D;
    const pNew = tf.add(pHalf, tf.mul(pOf(f(tf.concat([qNew, pHalf], 1))), h / 2)) as tf.Tensor2D;
    return tf.concat([qNew, pNew], 1);
  }

  /** Each loss term per sample, [N] each (total = the weighted sum). */
  sampleLosses(x: tf.Tensor2D, xNext: tf.Tensor2D, cfg: PixelLossConfig = DEFAULT_PIXEL_LOSS): LossTerms<tf.Tensor1D> {
    const n = x.shape[0];
    const k = this.spec.latent / 2;
    // one encoder pass over both batches: half the matMul calls of two passes
    const zAll = this.encode(tf.concat([x, xNext], 0));
    const z = tf.slice(zAll, [0, 0], [n, -1]) as tf.Tensor2D;
    const zNext = tf.slice(zAll, [n, 0], [n, -1]) as tf.Tensor2D;
    const recon = tf.mean(tf.squaredDifference(x, this.decode(z)), 1) as tf.Tensor1D;
    const q = tf.slice(z, [0, 0], [-1, k]);
    const p = tf.slice(z, [0, k], [-1, k]);
    const qNext = tf.slice(zNext, [0, 0], [-1, k]);
    const consistency = tf.mean(tf.squaredDifference(p, tf.sub(qNext, q)), 1) as tf.Tensor1D;
    const hnn = tf.mean(tf.squaredDifference(zNext, this.latentStep(z, cfg.latentStep, cfg.dt)), 1) as tf.Tensor1D;
    const total = tf.addN([tf.mul(recon, cfg.recon), tf.mul(consistency, cfg.consistency), tf.mul(hnn, cfg.hnn)]) as tf.Tensor1D;
    return { total, recon, consistency, hnn };
  }

  /**
   * The loss on windows of consecutive pairs: `pairs[j]` holds pair j of every window, [B, input],
   * j = 0..K. Reconstruction and consistency as `loss` on pairs 0..K-1 (each with its successor);
   * the latent term compares pairs 1..K's encodings with a K-step latent rollout from pair 0, so the
   * encoder must put each trial on one orbit of the learned dynamics, not just two frames on a
   * step. With K = 1 this is `loss`'s terms (the paper's one-step loss).
   */
  windowLoss(pairs: tf.Tensor2D[], cfg: PixelLossConfig = DEFAULT_PIXEL_LOSS): LossTerms<tf.Scalar> {
    const K = pairs.length - 1;
    if (K < 1) throw new Error('a window needs at least two pairs');
    const n = pairs[0].shape[0];
    const k = this.spec.latent / 2;
    const zAll = this.encode(tf.concat(pairs, 0));
    const z = Array.from({ length: K + 1 }, (_, j) => tf.slice(zAll, [j * n, 0], [n, -1]) as tf.Tensor2D);
    const x = tf.concat(pairs.slice(0, K), 0);
    const recon = tf.mean(tf.squaredDifference(x, this.decode(tf.concat(z.slice(0, K), 0) as tf.Tensor2D)));
    const q = (j: number) => tf.slice(z[j], [0, 0], [-1, k]);
    const p = (j: number) => tf.slice(z[j], [0, k], [-1, k]);
    const consistency = tf.mean(
      tf.concat(
        Array.from({ length: K }, (_, j) => tf.squaredDifference(p(j), tf.sub(q(j + 1), q(j)))),
        0,
      ),
    );
    let zeta = z[0];
    const errors: tf.Tensor[] = [];
    for (let j = 1; j <= K; j++) {
      zeta = this.latentStep(zeta, cfg.latentStep, cfg.dt);
      errors.push(tf.squaredDifference(z[j], zeta));
    }
    const hnn = tf.mean(tf.concat(errors, 0));
    const total = tf.addN([tf.mul(recon, cfg.recon), tf.mul(consistency, cfg.consistency), tf.mul(hnn, cfg.hnn)]) as tf.Scalar;
    return { total, recon: recon as tf.Scalar, consistency: consistency as tf.Scalar, hnn: hnn as tf.Scalar };
  }

  /** Batch means of the loss terms; `total` is what training minimises. */
  loss(x: tf.Tensor2D, xNext: tf.Tensor2D, cfg: PixelLossConfig = DEFAULT_PIXEL_LOSS): LossTerms<tf.Scalar> {
    const s = this.sampleLosses(x, xNext, cfg);
    return { total: tf.mean(s.total), recon: tf.mean(s.recon), consistency: tf.mean(s.consistency), hnn: tf.mean(s.hnn) };
  }

  read(): NamedWeights {
    return { ...this.ae.read(), ...this.dyn.read() };
  }

  /** Sets every variable from values in variables() order (an engine's weights). */
  assign(values: readonly Float32Array[]): void {
    assignVariables(this.variables(), values);
  }

  dispose(): void {
    this.ae.dispose();
    this.dyn.dispose();
  }
}

export const PIXEL_MODEL_FORMAT = 'hnn-ts/pixel-model';

export interface PixelTopology extends PixelModelSpec {
  loss: PixelLossConfig;
}
