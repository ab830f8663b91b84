// Adam as in PyTorch (eps 1e-8 inside the square root's denominator, bias correction) with COUPLED
// L2 weight decay: wd * theta is added to every gradient, biases included (not AdamW).
import * as tf from '@tensorflow/tfjs';
import { variableOf } from '../tf/fixes.ts';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** One coefficient for every variable, or one per variable (in the order of `vars`). */
  weightDecay?: number | readonly number[];
}

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
    this.m = vars.map((x) => variableOf(() => tf.zerosLike(x), false));
    this.v = vars.map((x) => variableOf(() => tf.zerosLike(x), false));
  }

  get steps(): number {
    return this.t;
  }

  /** Applies one update from gradients given in the order of the variables. */
  apply(grads: tf.Tensor[]): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = this.lr / (1 - b1 ** this.t);
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.t);
    tf.tidy(() => {
      this.vars.forEach((theta, i) => {
        const wd = this.weightDecay[i];
        const g = wd > 0 ? tf.add(grads[i], tf.mul(theta, wd)) : grads[i];
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
