// On-disk dataset format: a folder with manifest.json and one .npy file per array.
// The manifest records what made the data (system, parameters, seed, versions), the shapes and a
// sha256 per array, so a corrupt or mismatched dataset is caught when it is read; every value is
// checked to be finite when it is loaded. Writing never destroys anything unasked: the folder is
// claimed first (src/util/output.ts), the dataset is built beside it and published whole.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../src/util/errors.ts';
import { makeDir, sha256, writeFileAtomic, writeJsonAtomic } from '../src/util/files.ts';
import { decodeNpy, encodeNpy, npyHeader, type NpyArray } from '../src/util/npy.ts';
import { claimOutput, partialPathFor, publishFolder, type Claim } from '../src/util/output.ts';
import { packageVersions } from '../src/util/versions.ts';
import { checkMemory } from '../src/util/memory.ts';

export const FORMAT_VERSION = 1;

const BYTES_PER: Record<string, number> = { Float64Array: 8, Float32Array: 4, Int32Array: 4, Uint8Array: 1 };

export interface ArrayEntry {
  file: string;
  dtype: string;
  shape: number[];
  sha256: string;
}

/** A dataset folder's manifest.json: its kind (task), seed, generation parameters, arrays with their sha256, versions. */
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

const manifestSchema = z.looseObject({
  format: z.literal('hnn-dataset'),
  formatVersion: z.number().int(),
  kind: z.string().min(1),
  seed: z.number().int().nonnegative(),
  createdBy: z.record(z.string(), z.string().nullable()),
  params: z.record(z.string(), z.unknown()),
  arrays: z.record(
    z.string(),
    z.object({
      file: z.string().regex(/^[\w.-]+\.npy$/, 'a plain .npy file name inside the folder'),
      dtype: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

export interface DatasetMeta {
  kind: string;
  seed: number;
  params: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** An array written row by row as it is made (large datasets never sit whole in memory). */
export interface ArrayStream {
  append(values: Float32Array | Float64Array): void;
}

/** A dataset folder claimed for writing: build the data, then `write` publishes it whole. */
export interface DatasetOutput {
  /** The final folder. */
  dir: string;
  /** Where the files go until the dataset is complete. */
  partial: string;
  /** Opens an array of known shape to be appended to; `write` checks it was filled exactly. */
  stream(name: string, dtype: 'float32' | 'float64', shape: number[]): ArrayStream;
  /** Writes arrays, extra files (previews) and, last, the manifest; then publishes the folder. */
  write(meta: DatasetMeta, arrays: Record<string, NpyArray>, files?: Record<string, Uint8Array>): DatasetManifest;
  /** Gives the folder up (always call it: it removes an unpublished build and the lock). */
  release(): void;
}

/**
 * Claims `dir` for a new dataset before any work: refuses user files and other kinds of results
 * always, and an existing dataset unless `force` (then the old one stays until the new one is
 * complete). Holds the folder's lock until release().
 */
export function openDatasetOutput(dir: string, opts: { force?: boolean; command?: string } = {}): DatasetOutput {
  const claim: Claim = claimOutput(dir, 'dataset', opts.command ?? 'hnn generate');
  if (claim.before.state === 'ours' && !opts.force) {
    claim.release();
    throw new UserError(`${claim.dir} already holds a dataset; choose another --out or pass --force to replace it`);
  }
  const partial = partialPathFor(claim.dir);
  makeDir(partial);
  let published = false;
  const streams = new Map<string, OpenStream>();
  return {
    dir: claim.dir,
    partial,
    stream(name, dtype, shape) {
      const s = openStream(join(partial, `${name}.npy`), dtype, shape);
      streams.set(name, s);
      return s;
    },
    write(meta, arrays, files = {}) {
      const entries: Record<string, ArrayEntry> = {};
      for (const [name, s] of streams) entries[name] = { file: `${name}.npy`, ...s.close() };
      for (const [name, arr] of Object.entries(arrays)) {
        const bytes = encodeNpy(arr);
        const file = `${name}.npy`;
        writeFileAtomic(join(partial, file), bytes);
        entries[name] = { file, dtype: arr.data.constructor.name, shape: arr.shape, sha256: sha256(bytes) };
      }
      for (const [name, bytes] of Object.entries(files)) writeFileAtomic(join(partial, name), bytes);
      // The manifest holds no timestamp: the same seed gives the same bytes.
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
      writeJsonAtomic(join(partial, MANIFEST_FILE), manifest);
      publishFolder(partial, claim.dir);
      published = true;
      return manifest;
    },
    release() {
      if (!published && existsSync(partial)) removeQuietly(partial);
      claim.release();
    },
  };
}

interface OpenStream extends ArrayStream {
  /** Checks the array is complete and closes its file. */
  close(): Omit<ArrayEntry, 'file'>;
}

/** A .npy file written as it grows, hashed on the way (same bytes as writing the whole array at once). */
function openStream(path: string, dtype: 'float32' | 'float64', shape: number[]): OpenStream {
  const Type = dtype === 'float32' ? Float32Array : Float64Array;
  const total = shape.reduce((a, b) => a * b, 1);
  const header = npyHeader(dtype === 'float32' ? '<f4' : '<f8', shape);
  const hash = createHash('sha256').update(header);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  let written = 0;
  return {
    append(values) {
      if (!(values instanceof Type)) throw new Error(`${path}: appended ${values.constructor.name}, the array is ${dtype}`);
      if (written + values.length > total) throw new Error(`${path}: more than the ${total} values of shape [${shape}]`);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      writeSync(fd, bytes);
      hash.update(bytes);
      written += values.length;
    },
    close() {
      closeSync(fd);
      if (written !== total) throw new Error(`${path}: ${written} values written, shape [${shape}] holds ${total}`);
      return { dtype: Type.name, shape, sha256: hash.digest('hex') };
    },
  };
}

function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // the next claim of this folder removes it (recoverLeftovers)
  }
}

/** Claims, writes and publishes a dataset whose arrays are already built. */
export function writeDataset(
  dir: string,
  meta: DatasetMeta,
  arrays: Record<string, NpyArray>,
  opts: { force?: boolean; files?: Record<string, Uint8Array> } = {},
): DatasetManifest {
  const out = openDatasetOutput(dir, opts);
  try {
    return out.write(meta, arrays, opts.files);
  } finally {
    out.release();
  }
}

/** The file that makes a folder a dataset: written last, so a folder holding it is complete. */
export const MANIFEST_FILE = 'manifest.json';

/** Whether `dir` holds a dataset (its manifest; readManifest checks it). */
export function hasDataset(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE));
}

/** Reads and checks a dataset folder's manifest.json (UserError naming the file and the fix when it is missing or invalid). */
export function readManifest(dir: string): DatasetManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new UserError(`dataset manifest not found: ${path}; create the dataset with \`hnn generate\``);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message}); regenerate the dataset with \`hnn generate\``);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${path} is not an hnn dataset manifest (${issue.path.join('.') || 'top level'}: ${issue.message}); regenerate it with \`hnn generate\``,
    );
  }
  return parsed.data as DatasetManifest;
}

/** The dataset's identity: the sha256 of its manifest (which holds the sha256 of every array). */
export function datasetChecksum(dir: string): string {
  return sha256(readFileSync(join(dir, MANIFEST_FILE)));
}

/** Index of the first value that is not finite, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/**
 * Reads every array of a dataset folder, checking each file's sha256 against the manifest, its
 * shape, and that every value is finite (a NaN or Inf would silently poison training).
 */
export function readDataset(dir: string, expectKind?: string): { manifest: DatasetManifest; arrays: Record<string, NpyArray> } {
  if (!existsSync(dir)) throw new UserError(`dataset folder not found: ${dir}; create it with \`hnn generate\``);
  const manifest = readManifest(dir);
  if (expectKind && manifest.kind !== expectKind) {
    throw new UserError(`dataset ${dir} holds task "${manifest.kind}", not "${expectKind}"; pass a ${expectKind} dataset or regenerate it`);
  }
  const sizes = Object.values(manifest.arrays).map((e) => e.shape.reduce((a, b) => a * b, 1) * (BYTES_PER[e.dtype] ?? 8));
  checkMemory(
    `loading dataset ${dir}`,
    { arrays: sizes.reduce((a, b) => a + b, 0), 'file buffer of the largest array': Math.max(0, ...sizes) },
    'use a smaller dataset',
  );
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
    const bad = firstNonFinite(arr.data);
    if (bad >= 0) {
      throw new UserError(`dataset array ${path} holds a non-finite value (${arr.data[bad]}) at flat index ${bad}; regenerate the dataset`);
    }
    arrays[name] = arr;
  }
  return { manifest, arrays };
}
