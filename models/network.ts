// What every network of named tensors shares (the MLP, the MLP autoencoder, the convolutional
// autoencoder): its two factories, its weights by key, and its disposal. A network is built from a
// ParameterSource (./init.ts) that it asks for each tensor in variables() order, the order the seeded
// draws depend on, taking every value before it makes any variable: a missing or misshapen saved
// tensor then leaves nothing allocated.
import * as tf from '@tensorflow/tfjs';
import { savedParameters, seededParameters, type ParameterSource } from './init.ts';
import type { NamedWeights } from './named-weights.ts';

/** A network class as the factories call it. */
interface NetworkClass<S, N> {
  new (spec: S, name: string, source: ParameterSource): N;
  /** The network's name when a factory is given none: its keys' prefix and its init stream's. */
  readonly defaultName: string;
}

export abstract class Network<Spec> {
  /** Keys of variables() in order, each "<name>/<tensor>"; tfjs variable names must be globally unique, these need not be. */
  readonly keys: string[] = [];

  protected constructor(
    readonly spec: Spec,
    readonly name: string,
  ) {}

  /** Initial values drawn from the seed's `init:<name>` stream (orthogonal weights, uniform biases). */
  static init<S, N>(this: NetworkClass<S, N>, spec: S, seed: number, name: string = this.defaultName): N {
    return new this(spec, name, seededParameters(seed, name));
  }

  /** Saved values by key ("<name>/<tensor>"), each checked against the shape the spec gives it. */
  static fromWeights<S, N>(this: NetworkClass<S, N>, spec: S, weights: NamedWeights, name: string = this.defaultName): N {
    return new this(spec, name, savedParameters(weights));
  }

  /** All trainable variables, in the order of `keys` (Adam state is keyed by it). */
  abstract variables(): tf.Variable[];

  /** Current parameter values by key, for saving and for the float64 evaluator. */
  read(): NamedWeights {
    const out: NamedWeights = {};
    this.variables().forEach((v, i) => (out[this.keys[i]] = { shape: v.shape, values: v.dataSync() as Float32Array }));
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}
