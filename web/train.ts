// Training a state task in the page: the project's training step (src/train/state.ts: full batch,
// tfjs's gradient of the paper's loss, the project's Adam with coupled weight decay) on the
// project's dataset (made by `hnn web`), with a model initialised exactly as DynamicsModel
// initialises it (same MLP, same seed stream), so the page's losses are Node's (test/browser.test.ts).
//
// The model's loss is written here on models/mlp.ts because models/dynamics.ts, which defines it
// for Node, imports the Node file-system side of the artifacts (models/io.ts) and so cannot be
// bundled for the browser; once it no longer does, DynamicsModel replaces LiveStateModel here.
//
// Adam's epsilon is always given (1e-8): tf.train.adam's default comes from the backend, and webgl
// reports 16-bit precision even with float32 textures, which makes it 1e-4 (docs/TFJS.md).
import * as tf from '@tensorflow/tfjs';
import { fieldFunction } from '../models/f64.ts';
import type { ModelKind } from '../models/kinds.ts';
import { Mlp, type NamedWeights } from '../models/mlp.ts';
import { Adam } from '../src/train/adam.ts';
import type { Field } from '../src/systems/system.ts';
import type { SiteStateData } from '../src/web/format.ts';

/** Adam's epsilon on every backend (PyTorch's default, the project's Adam's default). */
export const ADAM_EPS = 1e-8;

export interface LiveTrainConfig {
  kind: ModelKind;
  hidden: number[];
  lr: number;
  weightDecay: number;
  seed: number;
}

/** symplecticRight of models/dynamics.ts: (dH/dx) . S = [dH/dp, -dH/dq]. */
function symplecticRight(dim: number): Float32Array {
  const k = dim / 2;
  const s = new Float32Array(dim * dim);
  for (let j = 0; j < k; j++) {
    s[(k + j) * dim + j] = 1;
    s[j * dim + (k + j)] = -1;
  }
  return s;
}

/** DynamicsModel's network and loss (models/dynamics.ts): tanh MLP without output bias, named by its kind. */
export class LiveStateModel {
  readonly mlp: Mlp;
  private readonly s: tf.Tensor2D | null;

  constructor(
    readonly kind: ModelKind,
    readonly dim: number,
    hidden: number[],
    seed: number,
  ) {
    this.mlp = Mlp.init({ sizes: [dim, ...hidden, kind === 'hnn' ? 1 : dim], activation: 'tanh', outputBias: false }, seed, kind);
    this.s = kind === 'hnn' ? tf.keep(tf.tensor2d(symplecticRight(dim), [dim, dim])) : null;
  }

  variables(): tf.Variable[] {
    return this.mlp.variables();
  }

  field(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.s) return this.mlp.apply(x) as tf.Tensor2D;
    const dH = tf.grad((xs: tf.Tensor) => tf.sum(this.mlp.apply(xs)))(x);
    return tf.matMul(dH, this.s);
  }

  loss(x: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.mean(tf.squaredDifference(this.field(x), target));
  }

  weights(): NamedWeights {
    return this.mlp.read();
  }

  dispose(): void {
    this.mlp.dispose();
    this.s?.dispose();
  }
}

export interface GradientCheck {
  /** max over the checked weights of |analytic - fd| / max(|fd|, 1e-3 max|fd|) */
  maxRelativeError: number;
  checked: number;
}

/** The paper's loss in float64 (models/f64.ts) for given weights, as test/gradients.test.ts computes it. */
export function loss64(kind: ModelKind, w: NamedWeights, x: ArrayLike<number>, y: ArrayLike<number>, rows: number, dim: number): number {
  const f = fieldFunction(kind, w);
  let s = 0;
  const xi = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) xi[j] = x[r * dim + j];
    const out = f(0, xi);
    for (let j = 0; j < dim; j++) s += (out[j] - y[r * dim + j]) ** 2;
  }
  return s / (rows * dim);
}

export class LiveTrainer {
  readonly model: LiveStateModel;
  readonly adam: Adam;
  /** Loss before each update, in order. */
  readonly losses: number[] = [];
  private readonly x: tf.Tensor2D;
  private readonly dx: tf.Tensor2D;
  private readonly testX: tf.Tensor2D;
  private readonly testDx: tf.Tensor2D;

  constructor(
    readonly data: SiteStateData,
    readonly cfg: LiveTrainConfig,
  ) {
    const { dim } = data;
    this.model = new LiveStateModel(cfg.kind, dim, cfg.hidden, cfg.seed);
    this.adam = new Adam(this.model.variables(), { lr: cfg.lr, weightDecay: cfg.weightDecay, eps: ADAM_EPS });
    // float64 rows to float32 tensors, as src/train/state.ts toTensor
    const t = (v: number[], rows: number) => tf.tensor2d(Float32Array.from(v), [rows, dim]);
    this.x = t(data.train.x, data.train.rows);
    this.dx = t(data.train.dx, data.train.rows);
    this.testX = t(data.test.x, data.test.rows);
    this.testDx = t(data.test.dx, data.test.rows);
  }

  get steps(): number {
    return this.losses.length;
  }

  /** One full-batch update (src/train/state.ts's step); returns the loss before it. */
  step(): number {
    const vars = this.model.variables();
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.model.loss(this.x, this.dx), vars);
      this.adam.apply(vars.map((v) => grads[v.name]));
      return value.dataSync()[0];
    });
    this.losses.push(loss);
    return loss;
  }

  testLoss(): number {
    return tf.tidy(() => this.model.loss(this.testX, this.testDx).dataSync()[0]);
  }

  /** The learned field in float64 at the current weights (rollouts and arrows). */
  field64(): Field {
    return fieldFunction(this.cfg.kind, this.model.weights());
  }

  /**
   * tfjs's gradient of the loss on the first `rows` training rows against central differences of the
   * float64 loss, for `perVariable` weights of every variable spread over it (test/gradients.test.ts's
   * measure; h = 1e-6).
   */
  gradientCheck(rows = 16, perVariable = 4): GradientCheck {
    const { dim } = this.data;
    const n = Math.min(rows, this.data.train.rows);
    const x = this.data.train.x.slice(0, n * dim);
    const y = this.data.train.dx.slice(0, n * dim);
    const vars = this.model.variables();
    const keys = this.model.mlp.keys;
    const analytic = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => this.model.loss(tf.tensor2d(Float32Array.from(x), [n, dim]), tf.tensor2d(Float32Array.from(y), [n, dim])),
        vars,
      );
      return vars.map((v) => grads[v.name].dataSync() as Float32Array);
    });
    const weights = this.model.weights();
    const h = 1e-6;
    const pairs: Array<[number, number]> = [];
    keys.forEach((key, t) => {
      const base = weights[key].values;
      const count = Math.min(perVariable, base.length);
      for (let c = 0; c < count; c++) {
        const i = Math.floor(((c + 0.5) * base.length) / count);
        const at = (delta: number) => {
          const v = Float64Array.from(base);
          v[i] += delta;
          return loss64(this.cfg.kind, { ...weights, [key]: { shape: weights[key].shape, values: v } }, x, y, n, dim);
        };
        pairs.push([analytic[t][i], (at(h) - at(-h)) / (2 * h)]);
      }
    });
    const scale = Math.max(...pairs.map(([, fd]) => Math.abs(fd)));
    let worst = 0;
    for (const [a, fd] of pairs) worst = Math.max(worst, Math.abs(a - fd) / Math.max(Math.abs(fd), 1e-3 * scale));
    return { maxRelativeError: worst, checked: pairs.length };
  }

  dispose(): void {
    this.adam.dispose();
    this.model.dispose();
    tf.dispose([this.x, this.dx, this.testX, this.testDx]);
  }
}
