// Multi-layer perceptron on plain tf.Variables: in -> hidden... -> out, an activation after every
// hidden layer, a linear output layer (optionally without bias, as the reference's dynamics MLP).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/rng.ts';
import { safeTanh, variableOf } from '../src/tf/fixes.ts';
import { orthogonal, takeWeights, uniformBias } from './init.ts';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  sizes: number[]; // [in, hidden..., out]
  activation: Activation;
  outputBias: boolean;
}

export interface NamedWeights {
  [name: string]: { shape: number[]; values: Float32Array | Float64Array };
}

const activations: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  tanh: safeTanh, // second-order-safe: HNN losses differentiate the activation twice
  relu: (x) => tf.relu(x),
};

export class Mlp {
  readonly weights: tf.Variable[] = [];
  readonly biases: (tf.Variable | null)[] = [];
  /** Names of variables() in order ("<name>/w0", "<name>/b0", ...); tfjs variable names must be globally unique, these need not be. */
  readonly keys: string[] = [];

  constructor(
    readonly spec: MlpSpec,
    seedOrWeights: number | NamedWeights,
    readonly name = 'mlp',
  ) {
    const { sizes } = spec;
    const rng = typeof seedOrWeights === 'number' ? new Rng(seedOrWeights).fork(`init:${name}`) : null;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      const hasBias = l + 2 < sizes.length || spec.outputBias;
      const w = rng ? orthogonal(fanIn, fanOut, rng) : takeWeights(seedOrWeights as NamedWeights, `${name}/w${l}`, [fanIn, fanOut]);
      this.weights.push(variableOf(() => tf.tensor2d(w, [fanIn, fanOut])));
      this.keys.push(`${name}/w${l}`);
      if (hasBias) {
        const b = rng ? uniformBias(fanIn, fanOut, rng) : takeWeights(seedOrWeights as NamedWeights, `${name}/b${l}`, [fanOut]);
        this.biases.push(variableOf(() => tf.tensor1d(b)));
        this.keys.push(`${name}/b${l}`);
      } else {
        this.biases.push(null);
      }
    }
  }

  /** All trainable variables in a stable order (Adam state is keyed by this order). */
  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    this.weights.forEach((w, l) => {
      out.push(w);
      const b = this.biases[l];
      if (b) out.push(b);
    });
    return out;
  }

  apply(x: tf.Tensor): tf.Tensor {
    const act = activations[this.spec.activation];
    let h = x;
    for (let l = 0; l < this.weights.length; l++) {
      const b = this.biases[l];
      const z = b ? tf.add(tf.matMul(h, this.weights[l]), b) : tf.matMul(h, this.weights[l]);
      h = l + 1 < this.weights.length ? act(z) : z;
    }
    return h;
  }

  /** Current parameter values by name, for saving and for the float64 evaluator. */
  read(): NamedWeights {
    const out: NamedWeights = {};
    this.variables().forEach((v, i) => (out[this.keys[i]] = { shape: v.shape, values: v.dataSync() as Float32Array }));
    return out;
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
