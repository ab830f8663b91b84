// The residual MLP autoencoder of the pixel experiment (the reference's MLPAutoencoder, ReLU):
//   encoder: h = relu(W1 x); h += relu(W2 h); h += relu(W3 h); z = W4 h
//   decoder: h = relu(W5 z); h += relu(W6 h); h += relu(W7 h); x^ = W8 h   (linear output)
// Every layer has a bias; weights orthogonal, biases uniform(+-1/sqrt(fan_in)), as the rest of the project.
import * as tf from '@tensorflow/tfjs';
import { variableOf } from '../src/tf/fixes.ts';
import { denseBias, denseWeight, type ParameterSource } from './init.ts';
import { Network } from './network.ts';

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

export class Autoencoder extends Network<AutoencoderSpec> {
  static readonly defaultName = 'ae';
  /** Layers 1..8 at indices 0..7 (read by the hand-written backward pass in backprop.ts). */
  readonly layers: Dense[] = [];

  /** Layer l's weight "<name>/w<l>" then its bias "<name>/b<l>", l = 1..8, from `source`. */
  constructor(spec: AutoencoderSpec, name: string, source: ParameterSource) {
    super(spec, name);
    // every value before any variable (./network.ts)
    const values = layerSizes(spec).map(([fanIn, fanOut], l) => {
      const w = source(denseWeight(`${name}/w${l + 1}`, fanIn, fanOut));
      return { w, b: source(denseBias(`${name}/b${l + 1}`, fanIn, fanOut)), fanIn, fanOut };
    });
    values.forEach(({ w, b, fanIn, fanOut }, l) => {
      this.layers.push({ w: variableOf(() => tf.tensor2d(w, [fanIn, fanOut])), b: variableOf(() => tf.tensor1d(b)) });
      this.keys.push(`${name}/w${l + 1}`, `${name}/b${l + 1}`);
    });
  }

  override variables(): tf.Variable[] {
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
}
