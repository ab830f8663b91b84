// Training a state task in the page: the project's own training step (src/train/step-definition.ts's
// state loss, hand-derived gradient, and the project's Adam with coupled weight decay, run by the tfjs
// engine) on the project's dataset (made by `hnn web`), with the model initialised as in Node
// (DynamicsModel, same seed stream), so the page's losses are Node's (test/browser.test.ts).
//
// Adam's epsilon is always given (1e-8): tf.train.adam's default comes from the backend, and webgl
// reports 16-bit precision even with float32 textures, which makes it 1e-4 (docs/ENGINE.md).
import * as tf from '@tensorflow/tfjs';
import { fieldFunction } from '../models/f64.ts';
import { DynamicsModel } from '../models/dynamics.ts';
import type { ModelKind } from '../models/kinds.ts';
import { fieldParamsOf } from '../models/layout.ts';
import { stateLoss } from '../models/losses.ts';
import type { NamedWeights } from '../models/mlp.ts';
import { F64Ops, type F64 } from '../src/engine/f64-ops.ts';
import { TfjsOps } from '../src/engine/tfjs-ops.ts';
import { Adam } from '../src/train/adam.ts';
import { TfjsStepEngine } from '../src/train/engine-tfjs.ts';
import { stateStepDefinition, type StepDefinition } from '../src/train/step-definition.ts';
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

export interface GradientCheck {
  /** max over the checked weights of |analytic - fd| / max(|fd|, 1e-3 max|fd|) */
  maxRelativeError: number;
  checked: number;
}

export class LiveTrainer {
  readonly model: DynamicsModel;
  readonly adam: Adam;
  /** Loss before each update, in order. */
  readonly losses: number[] = [];
  private readonly engine: TfjsStepEngine;
  private readonly def: StepDefinition;
  private readonly x: Float32Array;
  private readonly dx: Float32Array;

  constructor(
    readonly data: SiteStateData,
    readonly cfg: LiveTrainConfig,
  ) {
    const { dim } = data;
    this.model = DynamicsModel.init({ kind: cfg.kind, dim, hidden: cfg.hidden }, cfg.seed);
    const vars = this.model.variables();
    const keys = this.model.keys();
    const variables = vars.map((v, i) => ({ key: keys[i], shape: v.shape, weightDecay: cfg.weightDecay }));
    this.def = stateStepDefinition(this.model.spec, variables, data.train.rows, dim);
    this.adam = new Adam(vars, { lr: cfg.lr, weightDecay: cfg.weightDecay, eps: ADAM_EPS });
    this.engine = new TfjsStepEngine(this.def, vars, this.adam, true);
    // float64 rows to float32, as src/train/state.ts
    this.x = Float32Array.from(data.train.x);
    this.dx = Float32Array.from(data.train.dx);
  }

  get steps(): number {
    return this.losses.length;
  }

  /** One full-batch update; returns the loss before it. */
  step(): number {
    const loss = this.engine.stepSync([this.x, this.dx])[0];
    this.losses.push(loss);
    return loss;
  }

  testLoss(): number {
    const { dim, test } = this.data;
    return tf
      .tidy(() => {
        const [x, y] = [
          tf.tensor2d(Float32Array.from(test.x), [test.rows, dim]),
          tf.tensor2d(Float32Array.from(test.dx), [test.rows, dim]),
        ];
        return stateLoss(new TfjsOps(), fieldParamsOf(this.model.spec, this.model.variables()), x, y);
      })
      .dataSync()[0];
  }

  weights(): NamedWeights {
    return this.model.read();
  }

  /** The learned field in float64 at the current weights (rollouts and arrows). */
  field64(): Field {
    return fieldFunction(this.cfg.kind, this.model.read());
  }

  /**
   * The training step's gradient (the tfjs lowering) on the first `rows` training rows against central
   * differences of the same loss in float64, for `perVariable` weights of every variable (h = 1e-6).
   */
  gradientCheck(rows = 16, perVariable = 4): GradientCheck {
    const { dim } = this.data;
    const n = Math.min(rows, this.data.train.rows);
    const [x, y] = [Float32Array.from(this.data.train.x.slice(0, n * dim)), Float32Array.from(this.data.train.dx.slice(0, n * dim))];
    const def = stateStepDefinition(this.model.spec, this.def.variables, n, dim);
    const weights = this.model.variables().map((v) => Float64Array.from(v.dataSync()));
    const analytic = tf
      .tidy(() => {
        const out = def.build(new TfjsOps(), this.model.variables(), [tf.tensor2d(x, [n, dim]), tf.tensor2d(y, [n, dim])]);
        return out.grads.map((parts) => tf.addN(parts.map((p) => tf.reshape(p, [-1]))));
      })
      .map((g) => g.dataSync());
    const o = new F64Ops();
    const loss64 = (w: Float64Array[]) => {
      const vars: F64[] = w.map((data, i) => ({ shape: def.variables[i].shape, data }));
      const f = (a: Float32Array): F64 => ({ shape: [n, dim], data: Float64Array.from(a) });
      return stateLoss(o, fieldParamsOf(this.model.spec, vars), f(x), f(y)).data[0];
    };
    const pairs: Array<[number, number]> = [];
    weights.forEach((base, t) => {
      const count = Math.min(perVariable, base.length);
      for (let c = 0; c < count; c++) {
        const i = Math.floor(((c + 0.5) * base.length) / count);
        const at = (delta: number) =>
          loss64(weights.map((w, u) => (u === t ? Float64Array.from(w, (v, j) => (j === i ? v + delta : v)) : w)));
        pairs.push([analytic[t][i], (at(1e-6) - at(-1e-6)) / 2e-6]);
      }
    });
    const scale = Math.max(...pairs.map(([, fd]) => Math.abs(fd)));
    let worst = 0;
    for (const [a, fd] of pairs) worst = Math.max(worst, Math.abs(a - fd) / Math.max(Math.abs(fd), 1e-3 * scale));
    return { maxRelativeError: worst, checked: pairs.length };
  }

  dispose(): void {
    this.engine.dispose();
    this.model.dispose();
  }
}
