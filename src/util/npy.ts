// NumPy .npy format (version 1.0), little-endian, C order: what numpy.load reads as is.
import { readFileSync } from 'node:fs';
import { UserError } from './errors.ts';
import { writeFileAtomic } from './files.ts';

export type NpyData = Float64Array | Float32Array | Int32Array | Uint8Array;
export interface NpyArray<T extends NpyData = NpyData> {
  data: T;
  shape: number[];
}

const DESCR: Array<[string, new (n: number) => NpyData, number]> = [
  ['<f8', Float64Array, 8],
  ['<f4', Float32Array, 4],
  ['<i4', Int32Array, 4],
  ['|u1', Uint8Array, 1],
];

/** The .npy header (magic, version, length, dict padded to 64 bytes) for an array of `descr` and `shape`. */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + len(2) + header + '\n' must be a multiple of 64.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

export function descrOf(data: NpyData): string {
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  return '|u1';
}

export function encodeNpy(arr: NpyArray): Uint8Array {
  const size = arr.shape.reduce((a, b) => a * b, 1);
  if (size !== arr.data.length) throw new Error(`npy: shape [${arr.shape}] holds ${size} values, data has ${arr.data.length}`);
  const header = npyHeader(descrOf(arr.data), arr.shape);
  const out = new Uint8Array(header.length + arr.data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), header.length);
  return out;
}

export function decodeNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  const bad = (why: string) => new UserError(`${name} is not a valid .npy file (${why}); regenerate the dataset`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw bad('bad magic');
  const major = bytes[6];
  const headerLen = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw bad('unreadable header');
  if (/'fortran_order':\s*True/.test(header)) throw bad('Fortran order is not supported');
  const kind = DESCR.find(([d]) => d === descr);
  if (!kind) throw bad(`unsupported dtype ${descr}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset !== size * kind[2]) throw bad(`expected ${size * kind[2]} data bytes, found ${bytes.length - offset}`);
  const Ctor = kind[1] as unknown as { new (b: ArrayBufferLike, offset?: number, length?: number): NpyData };
  // A view when the bytes own their buffer and the data is aligned (readFileSync of a large file):
  // copying a 100 MB array costs about a second here, mostly in page faults. Otherwise (a pooled
  // small Buffer, an odd header) an aligned copy of the data alone.
  const at = bytes.byteOffset + offset;
  if (bytes.byteLength === bytes.buffer.byteLength && at % kind[2] === 0) return { data: new Ctor(bytes.buffer, at, size), shape };
  return { data: new Ctor(new Uint8Array(bytes.subarray(offset)).buffer), shape };
}

export function writeNpy(path: string, arr: NpyArray): Uint8Array {
  const bytes = encodeNpy(arr);
  writeFileAtomic(path, bytes);
  return bytes;
}

export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`missing array file ${path}; regenerate the dataset with \`hnn generate\``);
  }
  return decodeNpy(bytes, path);
}
