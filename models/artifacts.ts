// The model artifact format without the file system: model.json (format, topology, weights manifest,
// metadata) and the weights' bytes in, topology + named float32 weights out, through tf.io's own
// decoder. Node reads the two files from a folder (./io.ts), the browser page fetches them over
// HTTP; both parse here, so a model means the same thing in both, and this module imports no `node:`
// module (it bundles for the browser as it is).
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../src/util/errors.ts';
import type { NamedWeights } from './mlp.ts';

export interface ModelArtifacts<Topology> {
  topology: Topology;
  weights: NamedWeights;
  metadata: Record<string, unknown>;
}

/** model.json as written by saveArtifacts (./io.ts). */
export interface ModelJson<Topology> {
  format?: string;
  generatedBy?: string;
  modelTopology: Topology;
  weightsManifest: tf.io.WeightsManifestConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * Parses model.json text and checks its format tag and weights manifest. `where` names the file in
 * messages (a path, or a URL in the browser).
 */
export function parseModelJson<T>(text: string, format: string, where: string): ModelJson<T> {
  let json: ModelJson<T>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where} is not valid JSON (${(e as Error).message}); retrain the model`);
  }
  if (json === null || typeof json !== 'object') throw new UserError(`${where} is not a model description; retrain the model`);
  if (json.format !== format) throw new UserError(`${where} holds a "${json.format}" model, expected "${format}"`);
  const groups = json.weightsManifest;
  if (!Array.isArray(groups) || groups.length === 0 || !Array.isArray(groups[0].paths) || typeof groups[0].paths[0] !== 'string')
    throw new UserError(`${where} has no weights manifest; retrain the model`);
  return json;
}

/** The weights file named by the manifest, relative to model.json (saveArtifacts writes one: weights.bin). */
export function weightsPath(json: ModelJson<unknown>): string {
  return json.weightsManifest[0].paths[0];
}

/** Bytes the manifest's float32 tensors take. */
export function expectedWeightBytes(json: ModelJson<unknown>): number {
  return json.weightsManifest.flatMap((g) => g.weights).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Decodes the weights' bytes with the manifest (tf.io.decodeWeights) into named float32 arrays.
 * `where` names the weights file in messages.
 */
export function decodeArtifacts<T>(json: ModelJson<T>, weights: ArrayBuffer, where: string): ModelArtifacts<T> {
  const expected = expectedWeightBytes(json);
  if (weights.byteLength !== expected)
    throw new UserError(`${where} holds ${weights.byteLength} bytes, model.json expects ${expected}; retrain the model`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const tensors = tf.io.decodeWeights(weights, specs);
  const out: NamedWeights = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = { shape: t.shape, values: t.dataSync() as Float32Array };
  tf.dispose(Object.values(tensors));
  return { topology: json.modelTopology, weights: out, metadata: json.userDefinedMetadata ?? {} };
}
