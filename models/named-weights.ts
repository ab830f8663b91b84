// A model's weights by name, as saved and loaded: a leaf module, so that the initialisers and the
// networks that read weights by name share the type without importing each other.

/** Weights by name ("mlp/w0", ...), each with its shape. */
export interface NamedWeights {
  [name: string]: { shape: number[]; values: Float32Array | Float64Array };
}
