// Editing a dataset the way a careless tool would: rewrite one array and update its checksum, so
// that only the loader's own checks (finite values, shapes, parameters) can catch the damage.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../src/util/npy.ts';
import { sha256 } from '../../src/util/files.ts';

type Values = Float64Array | Float32Array;

export function editArray(dir: string, name: string, edit: (data: Values, shape: number[]) => { data: Values; shape: number[] }): void {
  const path = join(dir, `${name}.npy`);
  const arr = decodeNpy(readFileSync(path));
  const next = edit(arr.data as Values, arr.shape);
  const bytes = encodeNpy(next);
  writeFileSync(path, bytes);
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.arrays[name].sha256 = sha256(bytes);
  manifest.arrays[name].shape = next.shape;
  writeFileSync(manifestPath, JSON.stringify(manifest));
}
