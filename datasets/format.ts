// On-disk dataset format: a folder with manifest.json and one .npy file per array.
// The manifest records what made the data (system, parameters, seed, versions), the shapes and a
// sha256 per array, so a corrupt or mismatched dataset is caught when it is read.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { readJson, sha256, writeFileAtomic, writeJsonAtomic } from '../src/util/files.ts';
import { decodeNpy, encodeNpy, type NpyArray } from '../src/util/npy.ts';
import { packageVersions } from '../src/util/versions.ts';

export const FORMAT_VERSION = 1;

export interface ArrayEntry {
  file: string;
  dtype: string;
  shape: number[];
  sha256: string;
}

export interface DatasetManifest {
  format: 'hnn-dataset';
  formatVersion: number;
  kind: string; // the task, e.g. "spring", "pixel-pendulum"
  seed: number;
  createdBy: Record<string, string | null>;
  params: Record<string, unknown>;
  arrays: Record<string, ArrayEntry>;
  [extra: string]: unknown;
}

/**
 * Writes a dataset folder. Arrays go to a temporary folder that is renamed into place at the end,
 * so a killed writer never leaves a dataset that looks complete. The manifest holds no timestamp:
 * the same seed gives the same bytes.
 */
export function writeDataset(
  dir: string,
  meta: { kind: string; seed: number; params: Record<string, unknown>; extra?: Record<string, unknown> },
  arrays: Record<string, NpyArray>,
): DatasetManifest {
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const entries: Record<string, ArrayEntry> = {};
  for (const [name, arr] of Object.entries(arrays)) {
    const bytes = encodeNpy(arr);
    const file = `${name}.npy`;
    writeFileAtomic(join(tmp, file), bytes);
    entries[name] = { file, dtype: arr.data.constructor.name, shape: arr.shape, sha256: sha256(bytes) };
  }
  const manifest: DatasetManifest = {
    format: 'hnn-dataset',
    formatVersion: FORMAT_VERSION,
    kind: meta.kind,
    seed: meta.seed,
    createdBy: packageVersions(),
    params: meta.params,
    arrays: entries,
    ...(meta.extra ?? {}),
  };
  writeJsonAtomic(join(tmp, 'manifest.json'), manifest);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return manifest;
}

export function readManifest(dir: string): DatasetManifest {
  const manifest = readJson<DatasetManifest>(join(dir, 'manifest.json'), 'dataset manifest');
  if (manifest.format !== 'hnn-dataset' || typeof manifest.arrays !== 'object') {
    throw new UserError(`${dir}/manifest.json is not an hnn dataset manifest; regenerate it with \`hnn generate\``);
  }
  return manifest;
}

/** Reads every array of a dataset folder, checking each file's sha256 against the manifest. */
export function readDataset(dir: string, expectKind?: string): { manifest: DatasetManifest; arrays: Record<string, NpyArray> } {
  if (!existsSync(dir)) throw new UserError(`dataset folder not found: ${dir}; create it with \`hnn generate\``);
  const manifest = readManifest(dir);
  if (expectKind && manifest.kind !== expectKind) {
    throw new UserError(`dataset ${dir} holds task "${manifest.kind}", not "${expectKind}"; pass a ${expectKind} dataset or regenerate it`);
  }
  const arrays: Record<string, NpyArray> = {};
  for (const [name, entry] of Object.entries(manifest.arrays)) {
    const path = join(dir, entry.file);
    if (!existsSync(path)) throw new UserError(`dataset array ${path} is missing; regenerate the dataset with \`hnn generate\``);
    const bytes = readFileSync(path);
    if (sha256(bytes) !== entry.sha256) {
      throw new UserError(`dataset array ${path} does not match its checksum in manifest.json (corrupt or edited); regenerate the dataset`);
    }
    const arr = decodeNpy(bytes, path);
    if (arr.shape.join(',') !== entry.shape.join(',')) {
      throw new UserError(`dataset array ${path} has shape [${arr.shape}] but the manifest says [${entry.shape}]; regenerate the dataset`);
    }
    arrays[name] = arr;
  }
  return { manifest, arrays };
}
