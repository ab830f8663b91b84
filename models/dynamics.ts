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
import { dissipationForward, fieldPass, fieldParts, type FieldParams } from './field-pass.ts';
import { fieldParamsOf } from './layout.ts';
import { TfjsOps } from '../src/engine/tfjs-ops.ts';

import { dissipationNet, type DissipationForm, type ModelKind } from './kinds.ts';
export { DISSIPATION_NET, MODEL_KINDS, type ModelKind } from './kinds.ts';

export interface DynamicsSpec {
  kind: ModelKind;
  dim: number; // state dimension 2k
  hidden: number[]; // e.g. [200, 200]
  /** The D-HNN's form (models/kinds.ts DISSIPATION_FORMS; default 'momenta'); saved D-HNNs without one are refused. */
  dissipation?: DissipationForm;
}

/** Sets variables from values in the same order, checking every size. */
export function assignVariables(vars: readonly tf.Variable[], values: readonly Float32Array[]): void {
  if (values.length !== vars.length) throw new Error(`${values.length} weight arrays for ${vars.length} variables`);
  tf.tidy(() =>
    vars.forEach((v, i) => {
      if (values[i].length !== v.size) throw new Error(`variable ${i}: ${values[i].length} values for ${v.size}`);
      v.assign(tf.tensor(values[i], v.shape));
    }),
  );
}

export { symplecticRight } from './field-pass.ts';

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

/** D's network: a scalar of the state, or in the 'rayleigh' form g(q), the positions to one value per momentum. */
function dissipationSpec(spec: DynamicsSpec): MlpSpec {
  if (spec.dissipation !== 'rayleigh') return mlpSpec(spec);
  const k = spec.dim / 2;
  return { sizes: [k, ...spec.hidden, k], activation: 'tanh', outputBias: false };
}

export class DynamicsModel {
  /** The HNN's and D-HNN's H, or the baseline's field network. */
  readonly mlp: Mlp;
  /** The D-HNN's dissipation D (null for the other kinds). */
  readonly dissipationMlp: Mlp | null;

  /** A new model with initial weights from `seed` (the `init:<kind>` stream; the D-HNN's D: `init:dhnn-d`, or `init:dhnn-de` in the even form). */
  static init(spec: DynamicsSpec, seed: number): DynamicsModel {
    const h = Mlp.init(mlpSpec(spec), seed, spec.kind);
    return new DynamicsModel(
      spec,
      h,
      spec.kind === 'dhnn' ? Mlp.init(dissipationSpec(spec), seed, dissipationNet(spec.dissipation ?? 'momenta')) : null,
    );
  }

  /** A model with saved weights ("<kind>/w0", ...; the D-HNN's D: "dhnn-d/w0", ..., or "dhnn-de/w0", ... in the even form). */
  static fromWeights(spec: DynamicsSpec, weights: NamedWeights): DynamicsModel {
    const h = Mlp.fromWeights(mlpSpec(spec), weights, spec.kind);
    if (spec.kind !== 'dhnn') return new DynamicsModel(spec, h, null);
    try {
      return new DynamicsModel(spec, h, Mlp.fromWeights(dissipationSpec(spec), weights, dissipationNet(spec.dissipation ?? 'momenta')));
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

  /** Sets every variable from values in variables() order (an engine's weights). */
  assign(values: readonly Float32Array[]): void {
    assignVariables(this.variables(), values);
  }

  /** Learned H(x), [N, 1] (HNN and D-HNN). */
  hamiltonian(x: tf.Tensor2D): tf.Tensor2D {
    if (!hasHamiltonian(this.spec.kind)) throw new Error('the baseline has no Hamiltonian');
    return this.mlp.apply(x) as tf.Tensor2D;
  }

  /** Learned D(x), [N, 1], as the field uses it (models/field-pass.ts dissipationForward; D-HNN only). */
  dissipation(x: tf.Tensor2D): tf.Tensor2D {
    const p = this.params();
    if (!p.dissipation) throw new Error(`the ${this.spec.kind} model has no dissipation function`);
    return dissipationForward(new TfjsOps(), p.dissipation, x, p.form ?? 'momenta') as tf.Tensor2D;
  }

  /** The structured parameters the passes take (models/field-pass.ts). */
  params(): FieldParams<tf.Tensor> {
    return fieldParamsOf(this.spec, this.variables());
  }

  /** The field's two parts, [N, dim] each: J grad H, and P grad D (zeros for the HNN; the baseline has no split). */
  fieldParts(x: tf.Tensor2D): { conservative: tf.Tensor2D; dissipative: tf.Tensor2D } {
    if (!hasHamiltonian(this.spec.kind)) throw new Error('the baseline has no conservative/dissipative split');
    const parts = fieldParts(new TfjsOps(), this.params(), x);
    return { conservative: parts.conservative as tf.Tensor2D, dissipative: parts.dissipative as tf.Tensor2D };
  }

  /**
   * Predicted dx/dt, [N, dim]: the field pass of models/field-pass.ts on tfjs. Its input gradient is
   * written as forward operations, so tfjs's autodiff of it in the weights is first order (correct).
   */
  field(x: tf.Tensor2D): tf.Tensor2D {
    return fieldPass(new TfjsOps(), this.params(), x).field as tf.Tensor2D;
  }

  /** Mean over rows and dimensions of (target - field)^2, the paper's loss. */
  loss(x: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.mean(tf.squaredDifference(this.field(x), target));
  }

  dispose(): void {
    for (const n of this.nets()) n.dispose();
  }
}

export const STATE_MODEL_FORMAT = 'hnn-ts/state-model';
