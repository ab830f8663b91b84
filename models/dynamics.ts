// State-space dynamics models: the HNN (symplectic gradient of a learned scalar H), the baseline (an
// MLP that predicts dx/dt directly) and the dissipative HNN (Sosanya & Greydanus 2022: the HNN's
// field plus the gradient of a second learned scalar D). State layout x = [q_1..q_k, p_1..p_k].
//
// The D-HNN's field is dx/dt = J grad H + P grad D, where P keeps the momenta's rows: dq/dt = dH/dp
// exactly and D acts on dp/dt only, as friction does (a change from the paper's J grad H + grad D;
// docs/DISSIPATIVE.md). Without P the split is unique only up to harmonic parts, and trained models
// traded them (a constant grad D of (0.06, -0.17) on the damped pendulum where the true one is 0,
// offset by H); P leaves one trade open, a force of q alone carried by D as p G'(q). Sign convention: D is added as it is (as in the authors' code), so a friction that
// drains energy has D decreasing in |p|: for dp/dt = -dH/dq - gamma dH/dp with H = T(p) + V(q), the
// true D is -gamma T(p) (minus the Rayleigh dissipation function), e.g. -gamma p^2 for the paper's
// spring H = q^2 + p^2.
import * as tf from '@tensorflow/tfjs';
import { Mlp, type MlpSpec, type NamedWeights } from './mlp.ts';
import { loadArtifacts, saveArtifacts } from './io.ts';

import { checkDissipationForm, DISSIPATION_FORM, DISSIPATION_NET, type ModelKind } from './kinds.ts';
export { DISSIPATION_NET, MODEL_KINDS, type ModelKind } from './kinds.ts';

export interface DynamicsSpec {
  kind: ModelKind;
  dim: number; // state dimension 2k
  hidden: number[]; // e.g. [200, 200]
  /** Saved D-HNNs: 'momenta' (DISSIPATION_FORM; older ones lack it and are refused). */
  dissipation?: 'momenta';
}

/** [1, dim]: 0 on the positions, 1 on the momenta (P in J grad H + P grad D). */
function momentumMask(dim: number): tf.Tensor2D {
  return tf.tensor2d(
    Float32Array.from({ length: dim }, (_, i) => (i < dim / 2 ? 0 : 1)),
    [1, dim],
  );
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

/** True for the kinds whose first network is a scalar H (its symplectic gradient is the conservative field). */
export function hasHamiltonian(kind: ModelKind): boolean {
  return kind !== 'baseline';
}

/** The reference's MLP: tanh hidden layers, linear output layer without bias; H (and D) are scalars. */
function mlpSpec(spec: DynamicsSpec): MlpSpec {
  if (spec.dim % 2 !== 0) throw new Error(`state dimension must be even, got ${spec.dim}`);
  const out = hasHamiltonian(spec.kind) ? 1 : spec.dim;
  return { sizes: [spec.dim, ...spec.hidden, out], activation: 'tanh', outputBias: false };
}

export class DynamicsModel {
  /** The HNN's and D-HNN's H, or the baseline's field network. */
  readonly mlp: Mlp;
  /** The D-HNN's dissipation D (null for the other kinds). */
  readonly dissipationMlp: Mlp | null;
  private readonly s: tf.Tensor2D | null;
  /** The D-HNN's P (momentumMask); null for the other kinds. */
  readonly momenta: tf.Tensor2D | null;

  /** A new model with initial weights from `seed` (the `init:<kind>` stream; the D-HNN's D: `init:dhnn-d`). */
  static init(spec: DynamicsSpec, seed: number): DynamicsModel {
    const h = Mlp.init(mlpSpec(spec), seed, spec.kind);
    return new DynamicsModel(spec, h, spec.kind === 'dhnn' ? Mlp.init(mlpSpec(spec), seed, DISSIPATION_NET) : null);
  }

  /** A model with saved weights ("<kind>/w0", ...; the D-HNN's D: "dhnn-d/w0", ...). */
  static fromWeights(spec: DynamicsSpec, weights: NamedWeights): DynamicsModel {
    const h = Mlp.fromWeights(mlpSpec(spec), weights, spec.kind);
    if (spec.kind !== 'dhnn') return new DynamicsModel(spec, h, null);
    try {
      return new DynamicsModel(spec, h, Mlp.fromWeights(mlpSpec(spec), weights, DISSIPATION_NET));
    } catch (e) {
      h.dispose(); // D's weights did not fit: free H made before
      throw e;
    }
  }

  private constructor(
    readonly spec: DynamicsSpec,
    mlp: Mlp,
    dissipation: Mlp | null,
  ) {
    this.mlp = mlp;
    this.dissipationMlp = dissipation;
    this.s = hasHamiltonian(spec.kind) ? tf.keep(tf.tensor2d(symplecticRight(spec.dim), [spec.dim, spec.dim])) : null;
    this.momenta = dissipation ? tf.keep(momentumMask(spec.dim)) : null;
  }

  /** The networks in variables() order: H (or the baseline's), then the D-HNN's D. */
  private nets(): Mlp[] {
    return this.dissipationMlp ? [this.mlp, this.dissipationMlp] : [this.mlp];
  }

  variables(): tf.Variable[] {
    return this.nets().flatMap((n) => n.variables());
  }

  /** Names of variables() in order ("<kind>/w0", ..., then "dhnn-d/w0", ...). */
  keys(): string[] {
    return this.nets().flatMap((n) => n.keys);
  }

  /** Current parameter values by name, for saving and for the float64 evaluator. */
  read(): NamedWeights {
    return Object.assign({}, ...this.nets().map((n) => n.read())) as NamedWeights;
  }

  /** Learned H(x), [N, 1] (HNN and D-HNN). */
  hamiltonian(x: tf.Tensor2D): tf.Tensor2D {
    if (!hasHamiltonian(this.spec.kind)) throw new Error('the baseline has no Hamiltonian');
    return this.mlp.apply(x) as tf.Tensor2D;
  }

  /** Learned D(x), [N, 1] (D-HNN only). */
  dissipation(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.dissipationMlp) throw new Error(`the ${this.spec.kind} model has no dissipation function`);
    return this.dissipationMlp.apply(x) as tf.Tensor2D;
  }

  /** The field's two parts, [N, dim] each: J grad H, and P grad D (zeros for the HNN; the baseline has no split). */
  fieldParts(x: tf.Tensor2D): { conservative: tf.Tensor2D; dissipative: tf.Tensor2D } {
    if (!this.s) throw new Error('the baseline has no conservative/dissipative split');
    const dH = tf.grad((xs: tf.Tensor) => tf.sum(this.mlp.apply(xs)))(x);
    const conservative = tf.matMul(dH, this.s) as tf.Tensor2D;
    const d = this.dissipationMlp;
    const dissipative = (
      d ? tf.mul(tf.grad((xs: tf.Tensor) => tf.sum(d.apply(xs)))(x), this.momenta!) : tf.zerosLike(conservative)
    ) as tf.Tensor2D;
    return { conservative, dissipative };
  }

  /** Predicted dx/dt, [N, dim]. Differentiable in the weights (second order for the HNN and D-HNN). */
  field(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.s) return this.mlp.apply(x) as tf.Tensor2D;
    if (!this.dissipationMlp) {
      const dH = tf.grad((xs: tf.Tensor) => tf.sum(this.mlp.apply(xs)))(x);
      return tf.matMul(dH, this.s);
    }
    const { conservative, dissipative } = this.fieldParts(x);
    return tf.add(conservative, dissipative);
  }

  /** Mean over rows and dimensions of (target - field)^2, the paper's loss. */
  loss(x: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.mean(tf.squaredDifference(this.field(x), target));
  }

  dispose(): void {
    for (const n of this.nets()) n.dispose();
    this.s?.dispose();
    this.momenta?.dispose();
  }
}

export const STATE_MODEL_FORMAT = 'hnn-ts/state-model';

export async function saveDynamicsModel(dir: string, model: DynamicsModel, metadata: Record<string, unknown> = {}): Promise<void> {
  const topology = model.spec.kind === 'dhnn' ? { ...model.spec, ...DISSIPATION_FORM } : model.spec;
  await saveArtifacts(dir, STATE_MODEL_FORMAT, { topology, weights: model.read(), metadata });
}

export function loadDynamicsModel(dir: string): { model: DynamicsModel; weights: NamedWeights; metadata: Record<string, unknown> } {
  const art = loadArtifacts<DynamicsSpec>(dir, STATE_MODEL_FORMAT);
  checkDissipationForm(art.topology, dir);
  return { model: DynamicsModel.fromWeights(art.topology, art.weights), weights: art.weights, metadata: art.metadata };
}
