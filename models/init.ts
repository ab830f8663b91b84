// Parameter initialisation matching the reference (PyTorch): orthogonal weights (gain 1) and
// biases uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from a seeded Rng in float64; and the two
// sources of a network's values (seeded or saved) that every network of ./network.ts is built from.
import { Rng } from '../src/util/rng.ts';
import type { NamedWeights } from './named-weights.ts';

/** One parameter tensor of a network, as its initialisation and its saved file see it. */
export interface TensorSpec {
  /** "<network name>/<tensor>", the key of the saved weights. */
  key: string;
  shape: number[];
  /** Fan-in of the tensor's layer (the bias bound 1/sqrt(fan_in)). */
  fanIn: number;
  /** A weight's [rows, cols] matrix that the orthogonal draw fills; absent for a bias (uniform draw). */
  matrix?: [number, number];
}

/** A dense layer's weight: [fanIn, fanOut], used as x . W. */
export function denseWeight(key: string, fanIn: number, fanOut: number): TensorSpec {
  return { key, shape: [fanIn, fanOut], fanIn, matrix: [fanIn, fanOut] };
}

/** A dense layer's bias: [fanOut]. */
export function denseBias(key: string, fanIn: number, fanOut: number): TensorSpec {
  return { key, shape: [fanOut], fanIn };
}

/** The values of each tensor of a network; a network asks in variables() order (the seeded draws depend on it). */
export type ParameterSource = (tensor: TensorSpec) => Float32Array;

/** Initial values from the seed's `init:<name>` stream: orthogonal weights, uniform(+-1/sqrt(fan_in)) biases. */
export function seededParameters(seed: number, name: string): ParameterSource {
  const rng = new Rng(seed).fork(`init:${name}`);
  return (t) => (t.matrix ? orthogonal(t.matrix[0], t.matrix[1], rng) : uniformBias(t.fanIn, t.shape[0], rng));
}

/** Saved values by key, each checked against its tensor's shape. */
export function savedParameters(weights: NamedWeights): ParameterSource {
  return (t) => takeWeights(weights, t.key, t.shape);
}

/**
 * A [fanIn, fanOut] matrix (row-major, used as x . W) whose rows or columns are orthonormal,
 * whichever there are fewer of: the transpose of torch.nn.init.orthogonal_ on a [fanOut, fanIn] weight.
 */
export function orthogonal(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const long = Math.max(fanIn, fanOut);
  const short = Math.min(fanIn, fanOut);
  // `short` Gaussian columns of length `long`, orthonormalised by modified Gram-Schmidt
  // (equivalent to QR with a positive diagonal of R, torch's sign convention).
  const cols: Float64Array[] = [];
  for (let j = 0; j < short; j++) {
    const v = new Float64Array(long);
    for (let i = 0; i < long; i++) v[i] = rng.normal();
    for (const u of cols) {
      let d = 0;
      for (let i = 0; i < long; i++) d += u[i] * v[i];
      for (let i = 0; i < long; i++) v[i] -= d * u[i];
    }
    let n = 0;
    for (let i = 0; i < long; i++) n += v[i] * v[i];
    n = Math.sqrt(n);
    for (let i = 0; i < long; i++) v[i] /= n;
    cols.push(v);
  }
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < fanIn; i++) {
    for (let j = 0; j < fanOut; j++) {
      // fanIn >= fanOut: columns of W are the orthonormal vectors; otherwise its rows are.
      w[i * fanOut + j] = fanIn >= fanOut ? cols[j][i] : cols[i][j];
    }
  }
  return w;
}

export function uniformBias(fanIn: number, size: number, rng: Rng): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const b = new Float32Array(size);
  for (let i = 0; i < size; i++) b[i] = rng.range(-bound, bound);
  return b;
}

/** The saved values of one named tensor, checked against the shape the model expects. */
export function takeWeights(weights: NamedWeights, name: string, shape: number[]): Float32Array {
  const w = weights[name];
  if (!w) throw new Error(`weights file has no tensor "${name}"`);
  if (w.shape.join(',') !== shape.join(',')) throw new Error(`tensor "${name}" has shape [${w.shape}], expected [${shape}]`);
  return Float32Array.from(w.values);
}
