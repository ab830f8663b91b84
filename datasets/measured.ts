// Measured trajectories shipped with the package as text: a header line starting with '%', then
// rows "trial t q p" (the real pendulum's file, docs/PROTOCOLS.md). The shipped file must match its
// recorded sha256 and row count; a user's file is only parsed (its checksum is reported).
import { readFileSync } from 'node:fs';
import { UserError } from '../src/util/errors.ts';
import { sha256 } from '../src/util/files.ts';
import { packageFile } from '../src/util/package-root.ts';
import type { MeasuredData } from '../src/tasks/task.ts';

export interface MeasuredRows {
  rows: number;
  trial: Float64Array;
  t: Float64Array;
  q: Float64Array;
  p: Float64Array;
  sha256: string;
}

/** Parses the file's text; time stamps must increase. */
export function parseMeasured(text: string, source = 'measured data'): Omit<MeasuredRows, 'sha256'> {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('%'));
  const n = lines.length;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  lines.forEach((line, i) => {
    const parts = line.split(/\s+/).map(Number);
    if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) {
      throw new UserError(`${source}: line ${i + 2} is not 4 numbers (trial t q p): "${line.slice(0, 60)}"`);
    }
    for (let c = 0; c < 4; c++) cols[c][i] = parts[c];
  });
  for (let i = 1; i < n; i++) {
    if (!(cols[1][i] > cols[1][i - 1])) throw new UserError(`${source}: time stamps do not increase at data row ${i + 1}`);
  }
  return { rows: n, trial: cols[0], t: cols[1], q: cols[2], p: cols[3] };
}

/** Loads the measurements of `data` (or a user's file at `path`) and checks the shipped file's identity. */
export function loadMeasured(data: MeasuredData, path?: string): MeasuredRows {
  const shipped = path === undefined;
  const file = shipped ? packageFile(data.file) : path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new UserError(`measured data not found at ${file}; it ships as ${data.file} (see data/README.md)`);
  }
  const digest = sha256(bytes);
  if (shipped && digest !== data.sha256) {
    throw new UserError(
      `${file} does not match its sha256 (${digest} instead of ${data.sha256}); restore it from the repository (see data/README.md)`,
    );
  }
  const parsed = parseMeasured(bytes.toString('latin1'), file);
  if (shipped && parsed.rows !== data.rows) throw new UserError(`${file} has ${parsed.rows} data rows, expected ${data.rows}`);
  return { ...parsed, sha256: digest };
}
