// Multi-layer perceptron on plain tf.Variables: in -> hidden... -> out, an activation after every
// hidden layer, a linear output layer (optionally without bias, as the reference's dynamics MLP).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/rng.ts';
import { safeTanh, variableOf } from '../src/tf/fixes.ts';
import { orthogonal, takeWeights, uniformBias } from './init.ts';
import type { NamedWeights } from './named-weights.ts';
export type { NamedWeights } from './named-weights.ts';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  sizes: number[]; // [in, hidden..., out]
  activation: Activation;
  outputBias: boolean;
}

/** Values of one parameter tensor of a layer with the given fan-in and fan-out ('w': [fanIn, fanOut], 'b': [fanOut]). */
export type ParameterSource = (key: string, fanIn: number, fanOut: number, kind: 'w' | 'b') => Float32Array;

/** Initial values from the seed's `init:<name>` stream: orthogonal weights, uniform(+-1/sqrt(fan_in)) biases. */
export function seededParameters(seed: number, name: string): ParameterSource {
  const rng = new Rng(seed).fork(`init:${name}`);
  return (_key, fanIn, fanOut, kind) => (kind === 'w' ? orthogonal(fanIn, fanOut, rng) : uniformBias(fanIn, fanOut, rng));
}

/** Saved values by key, each checked against its layer's shape. */
export function savedParameters(weights: NamedWeights): ParameterSource {
  return (key, fanIn, fanOut, kind) => takeWeights(weights, key, kind === 'w' ? [fanIn, fanOut] : [fanOut]);
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

  /** Initial weights drawn from the seed's `init:<name>` stream (orthogonal weights, uniform biases). */
  static init(spec: MlpSpec, seed: number, name = 'mlp'): Mlp {
    return new Mlp(spec, name, seededParameters(seed, name));
  }

  /** Saved weights by key ("<name>/w0", ...), checked against the spec's shapes. */
  static fromWeights(spec: MlpSpec, weights: NamedWeights, name = 'mlp'): Mlp {
    return new Mlp(spec, name, savedParameters(weights));
  }

  /** `source` gives each tensor's values, called in variables() order (the seeded draws depend on it). */
  private constructor(
    readonly spec: MlpSpec,
    readonly name: string,
    source: ParameterSource,
  ) {
    const { sizes } = spec;
    // every value first, then the variables: a missing or misshapen saved tensor leaves nothing allocated
    const layers: Array<{ w: Float32Array; b: Float32Array | null; fanIn: number; fanOut: number }> = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      const hasBias = l + 2 < sizes.length || spec.outputBias;
      const w = source(`${name}/w${l}`, fanIn, fanOut, 'w');
      layers.push({ w, b: hasBias ? source(`${name}/b${l}`, fanIn, fanOut, 'b') : null, fanIn, fanOut });
    }
    layers.forEach(({ w, b, fanIn, fanOut }, l) => {
      this.weights.push(variableOf(() => tf.tensor2d(w, [fanIn, fanOut])));
      this.keys.push(`${name}/w${l}`);
      this.biases.push(b ? variableOf(() => tf.tensor1d(b)) : null);
      if (b) this.keys.push(`${name}/b${l}`);
    });
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
