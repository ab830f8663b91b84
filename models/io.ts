// Saving and loading models as TensorFlow.js artifacts: model.json (topology + weights manifest)
// and weights.bin (float32 values), the layout tf.io handlers read and write. The format itself is
// parsed in ./artifacts.ts, which the browser page shares; this module adds the file system.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/files.ts';
import { packageVersions } from '../src/util/versions.ts';
import { decodeArtifacts, parseModelJson, weightsPath, type ModelArtifacts } from './artifacts.ts';
export type { ModelArtifacts } from './artifacts.ts';

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

/**
 * The folder holding a model's model.json: `dir` itself, or the model/ folder of the run `dir` (as
 * `hnn train` writes it); null when neither holds one.
 */
export function modelFolder(dir: string): string | null {
  return [dir, join(dir, 'model')].find((d) => existsSync(join(d, 'model.json'))) ?? null;
}

export function loadArtifacts<T>(dir: string, format: string): ModelArtifacts<T> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new UserError(`no model found at ${dir} (model.json missing); train one with \`hnn train\``);
  const json = parseModelJson<T>(readFileSync(jsonPath, 'utf8'), format, jsonPath);
  const bin = join(dir, weightsPath(json));
  if (!existsSync(bin)) throw new UserError(`model weights missing: ${bin}; retrain the model`);
  const buf = readFileSync(bin);
  return decodeArtifacts(json, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), bin);
}
