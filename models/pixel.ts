// The pixel model of the paper's task 5: the residual autoencoder plus a latent dynamics model (HNN
// or baseline) on z = (q, p), trained jointly on three losses (docs/PROTOCOLS.md, task 5):
//   reconstruction  mean over pixels of (x - dec(enc(x)))^2
//   consistency     (z_p - (z_q_next - z_q))^2         (the code's sign)
//   latent HNN      mean over z of (z_next - step(z))^2 (one Euler step of one frame by default)
// total = recon + consistency + 0.1 hnn; no stop-gradients, so the encoder gets gradients through
// dH/dz, i.e. through second derivatives of the HNN's tanh MLP (safeTanh handles that).
import * as tf from '@tensorflow/tfjs';
import { Autoencoder } from './autoencoder.ts';
import { DynamicsModel, MODEL_KINDS, type ModelKind } from './dynamics.ts';
import type { NamedWeights } from './mlp.ts';
import { loadArtifacts, saveArtifacts } from './io.ts';
import { UserError } from '../src/util/errors.ts';

import type { LatentStep } from './kinds.ts';
export { LATENT_STEPS, type LatentStep } from './kinds.ts';

export interface PixelLossConfig {
  recon: number;
  consistency: number;
  hnn: number;
  latentStep: LatentStep;
  /** Time per frame in latent units (the reference: 1). */
  dt: number;
}

export const DEFAULT_PIXEL_LOSS: PixelLossConfig = { recon: 1, consistency: 1, hnn: 0.1, latentStep: 'euler', dt: 1 };

export interface PixelModelSpec {
  kind: ModelKind;
  /** Frame side N: input = 2 N^2. */
  frameSize: number;
  /** Autoencoder width (200). */
  hidden: number;
  /** Latent size 2k (2). */
  latent: number;
  /** Hidden sizes of the latent MLP ([200, 200]). */
  dynHidden: number[];
}

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

/** Input length 2 N^2 of a valid spec. */
function checkSpec(spec: PixelModelSpec): number {
  if (spec.latent % 2 !== 0) throw new Error(`latent size must be even (q, p), got ${spec.latent}`);
  return 2 * spec.frameSize * spec.frameSize;
}

export class PixelModel {
  readonly ae: Autoencoder;
  readonly dyn: DynamicsModel;
  readonly input: number;

  /** A new model with initial weights from `seed` (autoencoder: the `init:ae` stream; latent model: `init:<kind>`). */
  static init(spec: PixelModelSpec, seed: number): PixelModel {
    const input = checkSpec(spec);
    return new PixelModel(
      spec,
      Autoencoder.init({ input, hidden: spec.hidden, latent: spec.latent }, seed, 'ae'),
      DynamicsModel.init({ kind: spec.kind, dim: spec.latent, hidden: spec.dynHidden }, seed),
    );
  }

  /** A model with saved weights ("ae/w1", ..., "<kind>/w0", ...). */
  static fromWeights(spec: PixelModelSpec, weights: NamedWeights): PixelModel {
    const input = checkSpec(spec);
    const ae = Autoencoder.fromWeights({ input, hidden: spec.hidden, latent: spec.latent }, weights, 'ae');
    try {
      return new PixelModel(spec, ae, DynamicsModel.fromWeights({ kind: spec.kind, dim: spec.latent, hidden: spec.dynHidden }, weights));
    } catch (e) {
      ae.dispose(); // the latent model's weights did not fit: free the autoencoder made before
      throw e;
    }
  }

  private constructor(
    readonly spec: PixelModelSpec,
    ae: Autoencoder,
    dyn: DynamicsModel,
  ) {
    this.input = ae.spec.input;
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

  /** Batch means of the loss terms; `total` is what training minimises. */
  loss(x: tf.Tensor2D, xNext: tf.Tensor2D, cfg: PixelLossConfig = DEFAULT_PIXEL_LOSS): LossTerms<tf.Scalar> {
    const s = this.sampleLosses(x, xNext, cfg);
    return { total: tf.mean(s.total), recon: tf.mean(s.recon), consistency: tf.mean(s.consistency), hnn: tf.mean(s.hnn) };
  }

  read(): NamedWeights {
    return { ...this.ae.read(), ...this.dyn.read() };
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

export async function savePixelModel(
  dir: string,
  model: PixelModel,
  loss: PixelLossConfig,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const topology: PixelTopology = { ...model.spec, loss };
  await saveArtifacts(dir, PIXEL_MODEL_FORMAT, { topology, weights: model.read(), metadata });
}

export interface LoadedPixelModel {
  model: PixelModel;
  topology: PixelTopology;
  weights: NamedWeights;
  metadata: Record<string, unknown>;
}

export function loadPixelModel(dir: string): LoadedPixelModel {
  const art = loadArtifacts<PixelTopology>(dir, PIXEL_MODEL_FORMAT);
  const t = art.topology;
  if (!t || !MODEL_KINDS.includes(t.kind) || !Number.isInteger(t.frameSize)) {
    throw new UserError(`${dir}/model.json has no valid pixel-model topology; retrain it with \`hnn train --task pixel-pendulum\``);
  }
  try {
    return { model: PixelModel.fromWeights(t, art.weights), topology: t, weights: art.weights, metadata: art.metadata };
  } catch (e) {
    throw new UserError(`${dir}: weights do not match the topology (${(e as Error).message}); retrain the model`);
  }
}
