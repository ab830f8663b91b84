// Output folders that are never destroyed unasked. A command writes only into a folder that is
// absent, empty, or holds its own kind of result (finished or not); anything else is refused, with
// or without --force. Each command holds the folder's lock while it writes, cleans what killed
// writers left behind (`<out>.partial-<pid>`, `<out>.replaced-<pid>`, `*.<pid>.tmp`), and replaces a
// finished result only by publishing the new one first: build it in a partial sibling, then swap.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';
import { checkWritable, removeStaleTmpFiles, writeJsonAtomic } from './files.ts';
import { acquireLock, type Lock } from './lock.ts';

/** What a folder made by hnn holds. A dataset is marked by its manifest.json; the others by MARKER. */
export type OutputKind = 'dataset' | 'run' | 'reproduction' | 'main-job' | 'site' | 'export';

export const MARKER = '.hnn-output.json';

/** The file whose presence marks each kind's result as finished (written last). */
const FINISHED_BY: Record<OutputKind, string> = {
  dataset: 'manifest.json',
  run: 'metrics.json',
  reproduction: 'table.json',
  'main-job': 'summary.json',
  site: 'index.html',
  export: 'export.json',
};

export type OutputState =
  | { state: 'absent' }
  | { state: 'empty' }
  | { state: 'ours'; kind: OutputKind; finished: boolean }
  | { state: 'foreign'; entries: string[] };

function jsonField(path: string, field: string): unknown {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

/**
 * The kind of an hnn folder without a marker (made by versions before markers existed), or null.
 * Recognised by the files each kind has always written.
 */
function legacyKind(dir: string, entries: string[]): OutputKind | null {
  const has = (name: string) => entries.includes(name);
  if (has('manifest.json') && jsonField(join(dir, 'manifest.json'), 'format') === 'hnn-dataset') return 'dataset';
  if (has('metrics.json') && typeof jsonField(join(dir, 'metrics.json'), 'model') === 'string') return 'run';
  if (has('checkpoint.bin') || (has('log.jsonl') && readFileSync(join(dir, 'log.jsonl'), 'utf8').startsWith('{"time"'))) return 'run';
  if (has('summary.json') || (has('dataset') && (has('hnn') || has('baseline')))) return 'main-job';
  if (has('table.json')) return 'reproduction';
  // a reproduction killed before its table: <task>/seed<k>/ folders (and nothing else)
  const seedFolders = (e: string) =>
    existsSync(join(dir, e)) && statSync(join(dir, e)).isDirectory() && readdirSync(join(dir, e)).some((n) => /^seed\d+$/.test(n));
  if (entries.every((e) => e === 'table.md' || seedFolders(e))) return 'reproduction';
  return null;
}

/** What `dir` holds now. Temporary files of killed writers do not make a folder foreign. */
export function inspectOutput(dir: string): OutputState {
  if (!existsSync(dir)) return { state: 'absent' };
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is a file, not a folder; choose another --out`);
  const entries = readdirSync(dir).filter((e) => !/\.\d+\.tmp$/.test(e));
  if (entries.length === 0) return { state: 'empty' };
  const marked = entries.includes(MARKER) ? (jsonField(join(dir, MARKER), 'kind') as OutputKind | undefined) : undefined;
  const kind = marked && marked in FINISHED_BY ? marked : legacyKind(dir, entries);
  if (!kind) return { state: 'foreign', entries };
  return { state: 'ours', kind, finished: entries.includes(FINISHED_BY[kind]) };
}

const NOUN: Record<OutputKind, string> = {
  dataset: 'a dataset',
  run: 'a training run',
  reproduction: 'a reproduction',
  'main-job': "the main job's outputs",
  site: 'a web site',
  export: 'exported ONNX models',
};

/** Siblings of `dir` that killed writers left: partial builds and results set aside while publishing. */
function siblings(dir: string, tag: 'partial' | 'replaced'): string[] {
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  const prefix = `${basename(dir)}.${tag}-`;
  return readdirSync(parent)
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => join(parent, n));
}

/**
 * Repairs what a killed writer of `dir` left (the caller holds the lock, so nothing else writes
 * these): a result set aside during a publish whose new version never arrived is put back; partial
 * builds and temporary files are removed. Returns what was done, for the log.
 */
export function recoverLeftovers(dir: string): string[] {
  const notes: string[] = [];
  for (const aside of siblings(dir, 'replaced')) {
    if (!existsSync(dir)) {
      renameSync(aside, dir);
      notes.push(`restored ${dir} from ${aside} (a replacement was interrupted before it was complete)`);
    } else {
      rmSync(aside, { recursive: true, force: true });
      notes.push(`removed ${aside} (left by an interrupted replacement that had completed)`);
    }
  }
  for (const partial of siblings(dir, 'partial')) {
    rmSync(partial, { recursive: true, force: true });
    notes.push(`removed ${partial} (an unfinished build of a killed run)`);
  }
  for (const tmp of removeStaleTmpFiles(dir)) notes.push(`removed ${tmp} (a file a killed writer left half-written)`);
  // a run killed between writing metrics.json and removing its checkpoint is finished
  const checkpoint = join(dir, 'checkpoint.bin');
  if (existsSync(join(dir, FINISHED_BY.run)) && existsSync(checkpoint)) {
    rmSync(checkpoint, { force: true });
    notes.push(`removed ${checkpoint} (a finished run's checkpoint that a kill left behind)`);
  }
  return notes;
}

export interface Claim {
  /** The final output folder. */
  dir: string;
  /** What it held when claimed (after recovery). */
  before: OutputState;
  /** Notes about leftovers cleaned up. */
  recovered: string[];
  release(): void;
}

/**
 * Checks that `dir` can be written, locks it, repairs leftovers, and refuses a folder that holds
 * anything but `kind` (user files, another kind of result), whatever --force says. Deciding about a
 * finished or unfinished result of the right kind is the caller's (it knows --force and --resume).
 */
export function claimOutput(dir: string, kind: OutputKind, command: string): Claim {
  const full = resolve(dir);
  checkWritable(full, 'folder');
  refuseOtherContent(full, kind); // before locking: a foreign folder gets no lock file beside it
  const lock: Lock = acquireLock(full, command);
  try {
    const recovered = recoverLeftovers(full);
    const before = refuseOtherContent(full, kind);
    return { dir: full, before, recovered, release: () => lock.release() };
  } catch (e) {
    lock.release();
    throw e;
  }
}

function refuseOtherContent(dir: string, kind: OutputKind): OutputState {
  const s = inspectOutput(dir);
  if (s.state === 'foreign') {
    const shown = s.entries.slice(0, 3).join(', ') + (s.entries.length > 3 ? `, ... (${s.entries.length} entries)` : '');
    throw new UserError(
      `${dir} holds files hnn did not make (${shown}); hnn writes only into a new or empty folder or one holding its own results: choose another --out`,
    );
  }
  if (s.state === 'ours' && s.kind !== kind) {
    throw new UserError(
      `${dir} holds ${NOUN[s.kind]}, not ${NOUN[kind]}; hnn never replaces one kind of result with another, even with --force: choose another --out`,
    );
  }
  return s;
}

/** Marks a folder as holding `kind` (written when a run starts, before anything else). */
export function markOutput(dir: string, kind: OutputKind, info: Record<string, unknown> = {}): void {
  writeJsonAtomic(join(dir, MARKER), { kind, ...info });
}

/** Where a replacement of `dir` is built before it is published. */
export function partialPathFor(dir: string): string {
  return `${resolve(dir)}.partial-${process.pid}`;
}

/**
 * Publishes a complete result built in `partial` as `dir`: the old result (if any) is set aside,
 * the new one renamed in, then the old one removed. A kill between the two renames leaves the old
 * result in `<dir>.replaced-<pid>`, which recoverLeftovers puts back.
 */
export function publishFolder(partial: string, dir: string): void {
  const full = resolve(dir);
  let aside: string | null = null;
  if (existsSync(full) && readdirSync(full).length > 0) {
    aside = `${full}.replaced-${process.pid}`;
    renameSync(full, aside);
  } else if (existsSync(full)) {
    rmSync(full, { recursive: true, force: true }); // an empty folder: nothing to keep
  }
  renameSync(partial, full);
  if (aside) rmSync(aside, { recursive: true, force: true });
}
