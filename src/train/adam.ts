// Adam as in PyTorch (eps 1e-8 inside the square root's denominator, bias correction) with COUPLED
// L2 weight decay: wd * theta is added to every gradient, biases included (not AdamW).
// On wasm and cpu the whole update is one fused kernel (../tf/kernels.ts) with the same float32
// rounding as the op-by-op update below, which runs on every other backend.
import * as tf from '@tensorflow/tfjs';
import { variableOf } from '../tf/fixes.ts';
import { fusedAdam, hasFusedAdam } from '../tf/kernels.ts';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** One coefficient for every variable, or one per variable (in the order of `vars`). */
  weightDecay?: number | readonly number[];
  /** Use the fused kernel where the backend has it (default true); false forces the op-by-op update. */
  fused?: boolean;
}

/**
 * The gradient of one variable: a tensor of the variable's size (any shape with that many
 * elements), or several whose sum is the gradient (a hand-written backward pass hands over the
 * parts of a weight reached along two paths, and the sum happens inside the update).
 */
export type Gradient = tf.Tensor | tf.Tensor[];

export interface AdamState {
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Weight decay coefficient of each variable. */
  readonly weightDecay: readonly number[];
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly fused: boolean;

  /** One optimiser per model: its state is keyed by the position of each variable in `vars`. */
  constructor(
    private readonly vars: tf.Variable[],
    opts: AdamOptions = {},
  ) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    const wd = opts.weightDecay ?? 0;
    if (typeof wd !== 'number' && wd.length !== vars.length)
      throw new Error(`${wd.length} weight decay coefficients for ${vars.length} variables`);
    this.weightDecay = typeof wd === 'number' ? vars.map(() => wd) : [...wd];
    this.fused = opts.fused ?? true;
    this.m = vars.map((x) => variableOf(() => tf.zerosLike(x), false));
    this.v = vars.map((x) => variableOf(() => tf.zerosLike(x), false));
  }

  get steps(): number {
    return this.t;
  }

  /** The variables this optimiser updates, in the order of its state and of apply()'s gradients. */
  get variables(): readonly tf.Variable[] {
    return this.vars;
  }

  /** True when apply() runs as one fused kernel on the current backend. */
  get isFused(): boolean {
    return this.fused && hasFusedAdam();
  }

  /** Applies one update from gradients given in the order of the variables. */
  apply(grads: Gradient[]): void {
    if (grads.length !== this.vars.length) throw new Error(`${grads.length} gradients for ${this.vars.length} variables`);
    const parts = grads.map((g) => (Array.isArray(g) ? g : [g]));
    parts.forEach((p, i) => {
      const size = this.vars[i].size;
      if (p.length === 0 || p.some((t) => t.size !== size))
        throw new Error(`gradient ${i} does not have the ${size} elements of its variable`);
    });
    this.t += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = this.lr / (1 - b1 ** this.t);
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.t);
    tf.tidy(() => {
      if (this.isFused) {
        const attrs = {
          parts: parts.map((p) => p.length),
          weightDecay: [...this.weightDecay],
          beta1: b1,
          beta2: b2,
          eps,
          stepSize,
          sqrtBc2,
        };
        const out = fusedAdam(this.vars, this.m, this.v, parts, attrs);
        this.vars.forEach((theta, i) => {
          theta.assign(out[3 * i]);
          this.m[i].assign(out[3 * i + 1]);
          this.v[i].assign(out[3 * i + 2]);
        });
        return;
      }
      this.vars.forEach((theta, i) => {
        const wd = this.weightDecay[i];
        const sum = parts[i].length > 1 ? tf.addN(parts[i]) : parts[i][0];
        const grad = sum.shape.join(',') === theta.shape.join(',') ? sum : tf.reshape(sum, theta.shape);
        const g = wd > 0 ? tf.add(grad, tf.mul(theta, wd)) : grad;
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        theta.assign(tf.sub(theta, tf.mul(tf.div(m, denom), stepSize)));
      });
    });
  }

  state(): AdamState {
    return { t: this.t, m: this.m.map((x) => x.dataSync() as Float32Array), v: this.v.map((x) => x.dataSync() as Float32Array) };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.m.length) throw new Error('optimiser state does not match the model');
    this.t = state.t;
    tf.tidy(() => {
      this.m.forEach((x, i) => x.assign(tf.tensor(state.m[i], x.shape)));
      this.v.forEach((x, i) => x.assign(tf.tensor(state.v[i], x.shape)));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
