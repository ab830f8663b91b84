// The tfjs engine: a training step (./step-definition.ts) run eagerly on the current TensorFlow.js
// backend through the tfjs lowering, then the project's Adam on the model's own variables.
import * as tf from '@tensorflow/tfjs';
import { TfjsOps } from '../engine/tfjs-ops.ts';
import type { Adam, AdamState } from './adam.ts';
import type { StepEngine } from './step-engine.ts';
import type { StepDefinition } from './step-definition.ts';

export class TfjsStepEngine implements StepEngine {
  readonly nodes = null;
  readonly threads = null;
  readonly ownsModelVariables = true;
  readonly description: string;

  /** Runs on the model's own variables (in variables() order); `ownsOptimiser`: dispose() disposes it. */
  constructor(
    private readonly def: StepDefinition,
    private readonly vars: tf.Variable[],
    private readonly adam: Adam,
    private readonly ownsOptimiser = false,
  ) {
    const own = adam.variables;
    if (own.length !== vars.length || own.some((v, i) => v !== vars[i]))
      throw new Error("the optimiser must be built over the model's variables(), in that order");
    this.description = `tfjs ${tf.getBackend()}${adam.isFused ? ', fused Adam' : ''}`;
  }

  async step(data: readonly Float32Array[]): Promise<Float32Array> {
    return this.stepSync(data);
  }

  /** step() without the promise (the browser page's loop and tests). */
  stepSync(data: readonly Float32Array[]): Float32Array {
    const terms = tf.tidy(() => {
      const inputs = this.def.data.map((d, j) => tf.tensor(data[j], d.shape));
      const out = this.def.build(new TfjsOps(), this.vars, inputs);
      this.adam.apply(out.grads);
      return out.terms;
    });
    const values = Float32Array.from(terms.dataSync());
    terms.dispose();
    return values;
  }

  weights(): Float32Array[] {
    return this.vars.map((v) => Float32Array.from(v.dataSync()));
  }

  adamState(): AdamState {
    return this.adam.state();
  }

  load(weights: readonly Float32Array[], adam: AdamState): void {
    tf.tidy(() => this.vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
    this.adam.load(adam);
  }

  dispose(): void {
    // the variables belong to the model
    if (this.ownsOptimiser) this.adam.dispose();
  }
}
