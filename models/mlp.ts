// Multi-layer perceptron on plain tf.Variables: in -> hidden... -> out, an activation after every
// hidden layer, a linear output layer (optionally without bias, as the reference's dynamics MLP).
import * as tf from '@tensorflow/tfjs';
import { safeTanh, variableOf } from '../src/tf/fixes.ts';
import { denseBias, denseWeight, type ParameterSource } from './init.ts';
import { Network } from './network.ts';
export type { NamedWeights } from './named-weights.ts';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  sizes: number[]; // [in, hidden..., out]
  activation: Activation;
  outputBias: boolean;
}

const activations: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  tanh: safeTanh, // second-order-safe: HNN losses differentiate the activation twice
  relu: (x) => tf.relu(x),
};

export class Mlp extends Network<MlpSpec> {
  static readonly defaultName = 'mlp';
  readonly weights: tf.Variable[] = [];
  readonly biases: (tf.Variable | null)[] = [];

  /** Layer l's weight "<name>/w<l>" and, where it has one, its bias "<name>/b<l>", in that order from `source`. */
  constructor(spec: MlpSpec, name: string, source: ParameterSource) {
    super(spec, name);
    const { sizes } = spec;
    // every value before any variable (./network.ts)
    const layers: Array<{ w: Float32Array; b: Float32Array | null; fanIn: number; fanOut: number }> = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      const hasBias = l + 2 < sizes.length || spec.outputBias;
      const w = source(denseWeight(`${name}/w${l}`, fanIn, fanOut));
      layers.push({ w, b: hasBias ? source(denseBias(`${name}/b${l}`, fanIn, fanOut)) : null, fanIn, fanOut });
    }
    layers.forEach(({ w, b, fanIn, fanOut }, l) => {
      this.weights.push(variableOf(() => tf.tensor2d(w, [fanIn, fanOut])));
      this.keys.push(`${name}/w${l}`);
      this.biases.push(b ? variableOf(() => tf.tensor1d(b)) : null);
      if (b) this.keys.push(`${name}/b${l}`);
    });
  }

  override variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    this.weights.forEach((w, l) => {
      out.push(w);
      const b = this.biases[l];
      if (b) out.push(b);
    });
    return out;
  }

  /** The output layer's weight and, where it has one, its bias. */
  outputLayer(): tf.Variable[] {
    const last = this.weights.length - 1;
    const b = this.biases[last];
    return b ? [this.weights[last], b] : [this.weights[last]];
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
}
