// Training checkpoints: everything a killed job needs to continue exactly where it stopped (model
// variables, Adam moments and step count, the batch Rng state, the next step), in one binary file
// written atomically. Float32 values are stored bit for bit, so a resumed run ends with the same
// weights as an uninterrupted one.
//
// Layout: "HNNCKPT1" | uint32 LE header length | JSON header (utf8) | padding to 4 | float32 data.
import { existsSync, readFileSync } from 'node:fs';
import type { NamedWeights } from '../../models/mlp.ts';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/files.ts';
import type { AdamState } from './adam.ts';
import { z } from 'zod';

const MAGIC = 'HNNCKPT1';

export interface Checkpoint {
  /** The next update to run. */
  step: number;
  weights: NamedWeights;
  adam: AdamState;
  /** Rng.getState() of the batch sampler. */
  rng: number[];
  /** Whatever identifies the run (config), checked on resume. */
  meta: Record<string, unknown>;
  /** Training seconds spent up to this checkpoint, over all sessions. */
  elapsed: number;
}

interface Header {
  step: number;
  rng: Array<number | null>;
  meta: Record<string, unknown>;
  adamT: number;
  elapsed: number;
  tensors: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

const headerSchema = z.object({
  step: z.number().int().nonnegative(),
  rng: z.array(z.number().nullable()),
  meta: z.record(z.string(), z.unknown()),
  adamT: z.number().int().nonnegative(),
  elapsed: z.number().nonnegative(),
  tensors: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      offset: z.number().int().nonnegative(),
      length: z.number().int().nonnegative(),
    }),
  ),
});

export function saveCheckpoint(path: string, c: Checkpoint): void {
  const named: Array<[string, number[], ArrayLike<number>]> = Object.entries(c.weights).map(([k, w]) => [`w:${k}`, w.shape, w.values]);
  c.adam.m.forEach((m, i) => named.push([`adam:m:${i}`, [m.length], m]));
  c.adam.v.forEach((v, i) => named.push([`adam:v:${i}`, [v.length], v]));
  let offset = 0;
  const tensors = named.map(([name, shape, values]) => {
    const t = { name, shape, offset, length: values.length };
    offset += values.length;
    return t;
  });
  // JSON has no NaN: the Rng marks "no spare normal" with NaN
  const header: Header = {
    step: c.step,
    rng: c.rng.map((x) => (Number.isNaN(x) ? null : x)),
    meta: c.meta,
    adamT: c.adam.t,
    elapsed: c.elapsed,
    tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((MAGIC.length + 4 + json.length) / 4) * 4;
  const bytes = new Uint8Array(dataStart + 4 * offset);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, MAGIC.length + 4);
  const data = new Float32Array(bytes.buffer, dataStart, offset);
  named.forEach(([, , values], i) => data.set(values, tensors[i].offset));
  writeFileAtomic(path, bytes);
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new UserError(`no checkpoint at ${path}: nothing to resume; run without --resume to start training`);
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string) => new UserError(`${path} is not a valid checkpoint (${why}); delete it and run without --resume`);
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw bad('wrong magic');
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  let header: Header;
  try {
    const parsed = headerSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len))));
    if (!parsed.success) throw new Error(`${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    header = parsed.data;
  } catch (e) {
    throw bad((e as Error).message);
  }
  const dataStart = Math.ceil((MAGIC.length + 4 + len) / 4) * 4;
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (bytes.length !== dataStart + 4 * total) throw bad(`size ${bytes.length}, expected ${dataStart + 4 * total}`);
  // copy: the file buffer need not be 4-byte aligned
  const data = new Float32Array(bytes.slice(dataStart).buffer);
  const weights: NamedWeights = {};
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const t of header.tensors) {
    const values = data.slice(t.offset, t.offset + t.length);
    const [kind, ...rest] = t.name.split(':');
    if (kind === 'w') weights[rest.join(':')] = { shape: t.shape, values };
    else if (rest[0] === 'm') m[Number(rest[1])] = values;
    else v[Number(rest[1])] = values;
  }
  return {
    step: header.step,
    weights,
    adam: { t: header.adamT, m, v },
    rng: header.rng.map((x) => (x === null ? NaN : x)),
    meta: header.meta,
    elapsed: header.elapsed ?? 0,
  };
}
