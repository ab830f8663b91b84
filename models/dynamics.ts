// State-space dynamics models of the paper: the HNN (symplectic gradient of a learned scalar H)
// and the baseline (an MLP that predicts dx/dt directly). State layout x = [q_1..q_k, p_1..p_k].
import * as tf from '@tensorflow/tfjs';
import { Mlp, type MlpSpec, type NamedWeights } from './mlp.ts';
import { loadArtifacts, saveArtifacts } from './io.ts';

import type { ModelKind } from './kinds.ts';
export { MODEL_KINDS, type ModelKind } from './kinds.ts';

export interface DynamicsSpec {
  kind: ModelKind;
  dim: number; // state dimension 2k
  hidden: number[]; // e.g. [200, 200]
}

/** The symplectic matrix as a right-multiplier: (dH/dx) . S = [dH/dp, -dH/dq]. */
export function symplecticRight(dim: number): Float32Array {
  const k = dim / 2;
  const s = new Float32Array(dim * dim);
  for (let j = 0; j < k; j++) {
    s[(k + j) * dim + j] = 1; // dq_j/dt = dH/dp_j
    s[j * dim + (k + j)] = -1; // dp_j/dt = -dH/dq_j
  }
  return s;
}

/** The reference's MLP: tanh hidden layers, linear output layer without bias; H is a scalar. */
function mlpSpec(spec: DynamicsSpec): MlpSpec {
  if (spec.dim % 2 !== 0) throw new Error(`state dimension must be even, got ${spec.dim}`);
  const out = spec.kind === 'hnn' ? 1 : spec.dim;
  return { sizes: [spec.dim, ...spec.hidden, out], activation: 'tanh', outputBias: false };
}

export class DynamicsModel {
  readonly mlp: Mlp;
  private readonly s: tf.Tensor2D | null;

  /** A new model with initial weights from `seed` (the `init:<kind>` stream). */
  static init(spec: DynamicsSpec, seed: number): DynamicsModel {
    return new DynamicsModel(spec, Mlp.init(mlpSpec(spec), seed, spec.kind));
  }

  /** A model with saved weights ("<kind>/w0", ...). */
  static fromWeights(spec: DynamicsSpec, weights: NamedWeights): DynamicsModel {
    return new DynamicsModel(spec, Mlp.fromWeights(mlpSpec(spec), weights, spec.kind));
  }

  private constructor(
    readonly spec: DynamicsSpec,
    mlp: Mlp,
  ) {
    this.mlp = mlp;
    this.s = spec.kind === 'hnn' ? tf.keep(tf.tensor2d(symplecticRight(spec.dim), [spec.dim, spec.dim])) : null;
  }

  variables(): tf.Variable[] {
    return this.mlp.variables();
  }

  /** Learned H(x), [N, 1] (HNN only). */
  hamiltonian(x: tf.Tensor2D): tf.Tensor2D {
    if (this.spec.kind !== 'hnn') throw new Error('the baseline has no Hamiltonian');
    return this.mlp.apply(x) as tf.Tensor2D;
  }

  /** Predicted dx/dt, [N, dim]. Differentiable in the weights (second order for the HNN). */
  field(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.s) return this.mlp.apply(x) as tf.Tensor2D;
    const dH = tf.grad((xs: tf.Tensor) => tf.sum(this.mlp.apply(xs)))(x);
    return tf.matMul(dH, this.s);
  }

  /** Mean over rows and dimensions of (target - field)^2, the paper's loss. */
  loss(x: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.mean(tf.squaredDifference(this.field(x), target));
  }

  dispose(): void {
    this.mlp.dispose();
    this.s?.dispose();
  }
}

export const STATE_MODEL_FORMAT = 'hnn-ts/state-model';

export async function saveDynamicsModel(dir: string, model: DynamicsModel, metadata: Record<string, unknown> = {}): Promise<void> {
  await saveArtifacts(dir, STATE_MODEL_FORMAT, { topology: model.spec, weights: model.mlp.read(), metadata });
}

export function loadDynamicsModel(dir: string): { model: DynamicsModel; weights: NamedWeights; metadata: Record<string, unknown> } {
  const art = loadArtifacts<DynamicsSpec>(dir, STATE_MODEL_FORMAT);
  return { model: DynamicsModel.fromWeights(art.topology, art.weights), weights: art.weights, metadata: art.metadata };
}
