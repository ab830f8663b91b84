// A convolutional autoencoder over a stack of frames (`--encoder conv`), as Hamiltonian Generative
// Networks encode several frames at once: the frames of a row are the channels of one image.
//   encoder: h = relu(conv3x3/2(x)); h = relu(conv3x3/2(h)); h = relu(W1 flat(h)); z = W2 h
//   decoder: h = relu(W3 z); h = relu(W4 h); h = relu(convT3x3/2(h)); x^ = convT3x3/2(h)  (linear output)
// Every layer has a bias. The frame side must be a multiple of 4 (two stride-2 halvings).
// Weights orthogonal on the filter's [kh kw in, out] matrix, biases uniform(+-1/sqrt(fan_in)), as
// the rest of the project. On wasm the convolution gradients come from src/tf/conv-kernels.ts.
import * as tf from '@tensorflow/tfjs';
import { variableOf } from '../src/tf/fixes.ts';
import { denseBias, denseWeight, type ParameterSource, type TensorSpec } from './init.ts';
import { Network } from './network.ts';

export interface ConvAutoencoderSpec {
  /** Frame side N (a multiple of 4). */
  frameSize: number;
  /** Frames per row (the context). */
  frames: number;
  /** Values per pixel: 1 grey, 3 RGB. */
  channels: number;
  /** Width of the dense layers between the feature maps and the latent. */
  hidden: number;
  latent: number;
  /** Feature maps of the two convolutions (default [16, 32]). */
  filters?: [number, number];
}

const KERNEL = 3;

/** The parameters in variables() order. */
function parameters(s: ConvAutoencoderSpec, name: string): TensorSpec[] {
  const [f1, f2] = s.filters ?? [16, 32];
  const c = s.frames * s.channels;
  const m = (s.frameSize / 4) ** 2 * f2;
  const k2 = KERNEL * KERNEL;
  const conv = (l: string, cin: number, cout: number): TensorSpec[] => [
    { key: `${name}/${l}`, shape: [KERNEL, KERNEL, cin, cout], fanIn: k2 * cin, matrix: [k2 * cin, cout] },
    denseBias(`${name}/${l}b`, k2 * cin, cout),
  ];
  // a transposed convolution's filter is [kh, kw, out, in]
  const convT = (l: string, cin: number, cout: number): TensorSpec[] => [
    { key: `${name}/${l}`, shape: [KERNEL, KERNEL, cout, cin], fanIn: k2 * cin, matrix: [k2 * cout, cin] },
    denseBias(`${name}/${l}b`, k2 * cin, cout),
  ];
  const dense = (l: string, a: number, b: number): TensorSpec[] => [denseWeight(`${name}/${l}`, a, b), denseBias(`${name}/${l}b`, a, b)];
  return [
    ...conv('c1', c, f1),
    ...conv('c2', f1, f2),
    ...dense('e1', m, s.hidden),
    ...dense('e2', s.hidden, s.latent),
    ...dense('d1', s.latent, s.hidden),
    ...dense('d2', s.hidden, m),
    ...convT('t1', f2, f1),
    ...convT('t2', f1, c),
  ];
}

export class ConvAutoencoder extends Network<ConvAutoencoderSpec> {
  static readonly defaultName = 'ae';
  private readonly vars: tf.Variable[];
  private readonly p: Record<string, tf.Variable> = {};

  constructor(spec: ConvAutoencoderSpec, name: string, source: ParameterSource) {
    super(spec, name);
    if (!Number.isInteger(spec.frameSize / 4) || spec.frameSize < 4)
      throw new Error(`the convolutional encoder needs a frame size that is a multiple of 4, got ${spec.frameSize}`);
    const params = parameters(spec, name);
    // every value before any variable (./network.ts)
    const values = params.map((p) => source(p));
    this.vars = params.map((p, i) => variableOf(() => tf.tensor(values[i], p.shape)));
    this.keys.push(...params.map((p) => p.key));
    params.forEach((p, i) => (this.p[p.key.slice(name.length + 1)] = this.vars[i]));
  }

  /** Input values per row: frames x N^2 x channels. */
  get input(): number {
    return this.spec.frames * this.spec.frameSize ** 2 * this.spec.channels;
  }

  override variables(): tf.Variable[] {
    return this.vars;
  }

  /** Rows [B, frames N^2 ch] (frame after frame) -> images [B, N, N, frames ch] (frames as channels). */
  private toImages(x: tf.Tensor2D): tf.Tensor4D {
    const { frameSize: N, frames: F, channels: ch } = this.spec;
    const B = x.shape[0];
    return tf.reshape(tf.transpose(tf.reshape(x, [B, F, N * N, ch]), [0, 2, 1, 3]), [B, N, N, F * ch]);
  }

  private toRows(x: tf.Tensor4D): tf.Tensor2D {
    const { frameSize: N, frames: F, channels: ch } = this.spec;
    const B = x.shape[0];
    return tf.reshape(tf.transpose(tf.reshape(x, [B, N * N, F, ch]), [0, 2, 1, 3]), [B, F * N * N * ch]);
  }

  private dense(l: string, x: tf.Tensor): tf.Tensor2D {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.p[l] as tf.Tensor2D), this.p[`${l}b`]);
  }

  /** [B, input] -> [B, latent] */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor4D = this.toImages(x);
    h = tf.relu(tf.add(tf.conv2d(h, this.p.c1 as tf.Tensor4D, 2, 'same'), this.p.c1b)) as tf.Tensor4D;
    h = tf.relu(tf.add(tf.conv2d(h, this.p.c2 as tf.Tensor4D, 2, 'same'), this.p.c2b)) as tf.Tensor4D;
    const flat = tf.reshape(h, [h.shape[0], -1]);
    return this.dense('e2', tf.relu(this.dense('e1', flat)));
  }

  /** [B, latent] -> [B, input] */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    const { frameSize: N, frames: F, channels: ch } = this.spec;
    const [f1, f2] = this.spec.filters ?? [16, 32];
    const B = z.shape[0];
    const h = tf.relu(this.dense('d2', tf.relu(this.dense('d1', z))));
    let m: tf.Tensor4D = tf.reshape(h, [B, N / 4, N / 4, f2]);
    m = tf.relu(tf.add(tf.conv2dTranspose(m, this.p.t1 as tf.Tensor4D, [B, N / 2, N / 2, f1], 2, 'same'), this.p.t1b)) as tf.Tensor4D;
    m = tf.add(tf.conv2dTranspose(m, this.p.t2 as tf.Tensor4D, [B, N, N, F * ch], 2, 'same'), this.p.t2b) as tf.Tensor4D;
    return this.toRows(m);
  }
}
