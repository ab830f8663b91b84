// A user's table of numbers, read from CSV (or TSV) with a header, .npy, .npz or JSON into named
// float64 columns of equal length. Every value is checked where it enters: a ragged row, a value
// that is not a number, NaN or Inf is refused with its row and column named.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { UserError } from '../src/util/errors.ts';
import { decodeNpy } from '../src/util/npy.ts';

/** A table of named float64 columns of equal length. */
export interface Table {
  /** Column names in file order. */
  names: string[];
  /** One array per column, all of `rows` values. */
  columns: Float64Array[];
  rows: number;
  format: 'csv' | 'tsv' | 'npy' | 'npz' | 'json';
}

export const TABLE_FORMATS = ['.csv', '.tsv', '.npy', '.npz', '.json'] as const;

/** Reads `bytes` (the file's content) by the file's extension. */
export function readTable(file: string, bytes: Uint8Array): Table {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return csvTable(file, Buffer.from(bytes).toString('utf8'), ext === '.tsv' ? '\t' : ',');
  if (ext === '.npy') return npyTable(file, bytes);
  if (ext === '.npz') return npzTable(file, bytes);
  if (ext === '.json') return jsonTable(file, Buffer.from(bytes).toString('utf8'));
  throw new UserError(`${file}: unknown table format "${ext || '(none)'}"; give a ${TABLE_FORMATS.join(', ')} file`);
}

/** The table's file, read whole. */
export function readTableFile(file: string): { table: Table; bytes: Buffer } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new UserError(`cannot read ${file}; check the path`);
  }
  return { table: readTable(file, bytes), bytes };
}

/** A value that entered as `raw` at (row, column): a finite number, else a UserError naming it. */
function checked(file: string, v: number, raw: unknown, row: number, column: string, where = 'row'): number {
  if (Number.isFinite(v)) return v;
  const what = typeof raw === 'string' && raw.trim() === '' ? 'empty' : `${JSON.stringify(raw)}, not a finite number`;
  throw new UserError(`${file}: ${where} ${row}, column "${column}" is ${what} (NaN and Inf are refused); fix or remove that row`);
}

function csvTable(file: string, text: string, delimiter: string): Table {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    const opts = { delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#', info: true } as const;
    records = parse(text, opts) as unknown as typeof records;
  } catch (e) {
    throw new UserError(`${file} is not readable CSV (${(e as Error).message.split('\n')[0]}); fix the file`);
  }
  if (records.length < 2) throw new UserError(`${file} holds no data rows; give a header line and one row per time step`);
  const names = records[0].record;
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`${file}: the header names column "${dup}" twice; give every column its own name`);
  if (names.some((n) => /^-?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(n)))
    throw new UserError(`${file}: the first line holds numbers, not column names; add a header line such as "t,q,p"`);
  const rows = records.length - 1;
  const columns = names.map(() => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const { record, info } = records[r + 1];
    if (record.length !== names.length)
      throw new UserError(
        `${file}: line ${info.lines} has ${record.length} values, the header has ${names.length} columns; make every row as long as the header`,
      );
    record.forEach((raw, c) => (columns[c][r] = checked(file, raw.trim() === '' ? NaN : Number(raw), raw, info.lines, names[c], 'line')));
  }
  return { names, columns, rows, format: delimiter === '\t' ? 'tsv' : 'csv' };
}

/** Columns of one decoded array: a 1-D array is one column `name`, a 2-D one columns `name.0`, `name.1`, ... */
function arrayColumns(file: string, name: string, bytes: Uint8Array, single: boolean): { names: string[]; columns: Float64Array[] } {
  const descr = /'descr':\s*'([^']+)'/.exec(Buffer.from(bytes.subarray(0, 256)).toString('latin1'))?.[1];
  if (descr && !['<f8', '<f4', '<i4', '|u1'].includes(descr))
    throw new UserError(`${file}: array ${name} has dtype ${descr}; save it as float64 (numpy: a.astype("float64"))`);
  const arr = decodeNpy(bytes, `${file} (${name})`);
  if (arr.shape.length < 1 || arr.shape.length > 2)
    throw new UserError(`${file}: array ${name} has shape [${arr.shape}]; give a 1-D column or a 2-D [rows, columns] array`);
  const rows = arr.shape[0];
  const width = arr.shape.length === 2 ? arr.shape[1] : 1;
  const names = Array.from({ length: width }, (_, c) => (arr.shape.length === 1 ? name : single ? String(c) : `${name}.${c}`));
  const columns = names.map((n, c) => {
    const col = new Float64Array(rows);
    for (let r = 0; r < rows; r++) col[r] = checked(file, arr.data[r * width + c], arr.data[r * width + c], r, n);
    return col;
  });
  return { names, columns };
}

function sameLength(file: string, names: string[], columns: Float64Array[]): number {
  const rows = columns[0]?.length ?? 0;
  const other = columns.findIndex((c) => c.length !== rows);
  if (other >= 0)
    throw new UserError(
      `${file}: column "${names[other]}" has ${columns[other].length} values, "${names[0]}" has ${rows}; give every column the same length`,
    );
  if (rows < 2) throw new UserError(`${file} holds ${rows} rows; give at least two time steps`);
  return rows;
}

function npyTable(file: string, bytes: Uint8Array): Table {
  const { names, columns } = arrayColumns(file, 'x', bytes, true);
  return { names, columns, rows: sameLength(file, names, columns), format: 'npy' };
}

function npzTable(file: string, bytes: Uint8Array): Table {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new UserError(`${file} is not a readable .npz archive (${(e as Error).message}); save it with numpy.savez`);
  }
  const names: string[] = [];
  const columns: Float64Array[] = [];
  for (const [entry, data] of Object.entries(entries)) {
    if (!entry.endsWith('.npy')) continue;
    const got = arrayColumns(file, entry.slice(0, -4), data, false);
    names.push(...got.names);
    columns.push(...got.columns);
  }
  if (names.length === 0) throw new UserError(`${file} holds no arrays; save the columns with numpy.savez(file, t=..., q=..., p=...)`);
  return { names, columns, rows: sameLength(file, names, columns), format: 'npz' };
}

function jsonNumber(file: string, v: unknown, row: number, column: string): number {
  return checked(file, typeof v === 'number' ? v : NaN, v, row, column);
}

function jsonTable(file: string, text: string): Table {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message}); fix the file`);
  }
  if (Array.isArray(json)) {
    // rows: [{ "t": 0, "q": 1, "p": 0 }, ...]
    const first = json[0] as unknown;
    if (!first || typeof first !== 'object' || Array.isArray(first))
      throw new UserError(`${file}: give an array of rows like {"t": 0, "q": 1, "p": 0}, or an object of columns`);
    const names = Object.keys(first);
    const columns = names.map(() => new Float64Array(json.length));
    json.forEach((row: unknown, r) => {
      const keys = row && typeof row === 'object' ? Object.keys(row) : [];
      if (keys.length !== names.length || !names.every((n) => keys.includes(n)))
        throw new UserError(
          `${file}: row ${r} has keys [${keys.join(', ')}], the first row [${names.join(', ')}]; give every row the same keys`,
        );
      names.forEach((n, c) => (columns[c][r] = jsonNumber(file, (row as Record<string, unknown>)[n], r, n)));
    });
    return { names, columns, rows: sameLength(file, names, columns), format: 'json' };
  }
  if (!json || typeof json !== 'object')
    throw new UserError(`${file}: give an object of columns like {"t": [...], "q": [...], "p": [...]}, or an array of rows`);
  const names = Object.keys(json);
  const columns = names.map((n) => {
    const values = (json as Record<string, unknown>)[n];
    if (!Array.isArray(values)) throw new UserError(`${file}: "${n}" is not an array of numbers; give every column as an array`);
    return Float64Array.from(values, (v: unknown, r) => jsonNumber(file, v, r, n));
  });
  return { names, columns, rows: sameLength(file, names, columns), format: 'json' };
}
