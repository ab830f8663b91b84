// Saving and loading models as TensorFlow.js artifacts: model.json (topology + weights manifest)
// and weights.bin (float32 values), the layout tf.io handlers read and write.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/files.ts';
import { packageVersions } from '../src/util/versions.ts';
import type { NamedWeights } from './mlp.ts';

export interface ModelArtifacts<Topology> {
  topology: Topology;
  weights: NamedWeights;
  metadata: Record<string, unknown>;
}

export async function saveArtifacts<T>(dir: string, format: string, art: ModelArtifacts<T>): Promise<void> {
  const tensors: tf.NamedTensorMap = {};
  for (const [name, w] of Object.entries(art.weights)) tensors[name] = tf.tensor(Float32Array.from(w.values), w.shape, 'float32');
  const { data, specs } = await tf.io.encodeWeights(tensors);
  tf.dispose(Object.values(tensors));
  // weights.bin first: model.json appears only once the weights it points to are complete.
  writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data));
  writeJsonAtomic(join(dir, 'model.json'), {
    format,
    generatedBy: `hnn-ts ${packageVersions()['hnn-ts']}`,
    convertedBy: null,
    modelTopology: art.topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    userDefinedMetadata: art.metadata,
  });
}

export function loadArtifacts<T>(dir: string, format: string): ModelArtifacts<T> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new UserError(`no model found at ${dir} (model.json missing); train one with \`hnn train\``);
  let json: {
    format?: string;
    modelTopology: T;
    weightsManifest: tf.io.WeightsManifestConfig;
    userDefinedMetadata?: Record<string, unknown>;
  };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${jsonPath} is not valid JSON (${(e as Error).message}); retrain the model`);
  }
  if (json.format !== format) throw new UserError(`${jsonPath} holds a "${json.format}" model, expected "${format}"`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bin = join(dir, json.weightsManifest[0].paths[0]);
  if (!existsSync(bin)) throw new UserError(`model weights missing: ${bin}; retrain the model`);
  const buf = readFileSync(bin);
  const expected = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (buf.byteLength !== expected)
    throw new UserError(`${bin} holds ${buf.byteLength} bytes, model.json expects ${expected}; retrain the model`);
  const tensors = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs);
  const weights: NamedWeights = {};
  for (const [name, t] of Object.entries(tensors)) weights[name] = { shape: t.shape, values: t.dataSync() as Float32Array };
  tf.dispose(Object.values(tensors));
  return { topology: json.modelTopology, weights, metadata: json.userDefinedMetadata ?? {} };
}
