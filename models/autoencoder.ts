// The residual MLP autoencoder of the pixel experiment (the reference's MLPAutoencoder, ReLU):
//   encoder: h = relu(W1 x); h += relu(W2 h); h += relu(W3 h); z = W4 h
//   decoder: h = relu(W5 z); h += relu(W6 h); h += relu(W7 h); x^ = W8 h   (linear output)
// Every layer has a bias; weights orthogonal, biases uniform(+-1/sqrt(fan_in)), as the rest of the project.
import * as tf from '@tensorflow/tfjs';
import { variableOf } from '../src/tf/fixes.ts';
import { savedParameters, seededParameters, type NamedWeights, type ParameterSource } from './mlp.ts';

export interface AutoencoderSpec {
  /** Input length (2 frames of N x N: 2 N^2). */
  input: number;
  hidden: number;
  latent: number;
}

export interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

/** Layer sizes [fanIn, fanOut] of layers 1..8. */
function layerSizes(s: AutoencoderSpec): Array<[number, number]> {
  const { input: n, hidden: h, latent: d } = s;
  return [
    [n, h],
    [h, h],
    [h, h],
    [h, d],
    [d, h],
    [h, h],
    [h, h],
    [h, n],
  ];
}

export class Autoencoder {
  /** Layers 1..8 at indices 0..7 (read by the hand-written backward pass in backprop.ts). */
  readonly layers: Dense[] = [];
  /** Names of variables() in order ("<name>/w1", "<name>/b1", ...). */
  readonly keys: string[] = [];

  /** Initial weights drawn from the seed's `init:<name>` stream. */
  static init(spec: AutoencoderSpec, seed: number, name = 'ae'): Autoencoder {
    return new Autoencoder(spec, name, seededParameters(seed, name));
  }

  /** Saved weights by key ("<name>/w1", ...), checked against the spec's shapes. */
  static fromWeights(spec: AutoencoderSpec, weights: NamedWeights, name = 'ae'): Autoencoder {
    return new Autoencoder(spec, name, savedParameters(weights));
  }

  /** `source` gives each tensor's values, called in variables() order (the seeded draws depend on it). */
  private constructor(
    readonly spec: AutoencoderSpec,
    readonly name: string,
    source: ParameterSource,
  ) {
    // every value first, then the variables: a missing or misshapen saved tensor leaves nothing allocated
    const values = layerSizes(spec).map(([fanIn, fanOut], l) => {
      const w = source(`${name}/w${l + 1}`, fanIn, fanOut, 'w');
      return { w, b: source(`${name}/b${l + 1}`, fanIn, fanOut, 'b'), fanIn, fanOut };
    });
    values.forEach(({ w, b, fanIn, fanOut }, l) => {
      this.layers.push({ w: variableOf(() => tf.tensor2d(w, [fanIn, fanOut])), b: variableOf(() => tf.tensor1d(b)) });
      this.keys.push(`${name}/w${l + 1}`, `${name}/b${l + 1}`);
    });
  }

  /** All trainable variables in a stable order (Adam state is keyed by it). */
  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  private dense(l: number, x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.layers[l].w), this.layers[l].b);
  }

  /** Three dense layers with ReLU, the last two residual, starting at layer `first`. */
  private trunk(first: number, x: tf.Tensor): tf.Tensor {
    let h = tf.relu(this.dense(first, x));
    h = tf.add(h, tf.relu(this.dense(first + 1, h)));
    return tf.add(h, tf.relu(this.dense(first + 2, h)));
  }

  /** [N, input] -> [N, latent] */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    return this.dense(3, this.trunk(0, x)) as tf.Tensor2D;
  }

  /** [N, latent] -> [N, input] */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    return this.dense(7, this.trunk(4, z)) as tf.Tensor2D;
  }

  read(): NamedWeights {
    const out: NamedWeights = {};
    this.variables().forEach((v, i) => (out[this.keys[i]] = { shape: v.shape, values: v.dataSync() as Float32Array }));
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}
