// The folder of one training run, claimed before any work. What it may hold and what happens:
// - nothing (absent or empty): the run writes there;
// - a finished run (metrics.json): refused, unless --force: then the new run is built in a partial
//   sibling and published over the old one only when complete;
// - an unfinished run with a checkpoint: --resume continues it, --force starts over, else refused;
// - an unfinished run without a checkpoint (killed before its first one): it restarts, and says so;
// - anything else (user files, a dataset, another kind of result): refused, whatever the flags.
// A run that ends with nothing but its marker in the folder (it failed before writing anything)
// leaves the folder as it found it: removed if the run made it, empty if it was empty.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../util/errors.ts';
import { makeDir } from '../util/files.ts';
import { claimOutput, markOutput, MARKER, partialPathFor, publishFolder, type Claim } from '../util/output.ts';

export const CHECKPOINT_FILE = 'checkpoint.bin';
export const METRICS_FILE = 'metrics.json';
/** A dataset a run generated for itself lives in this subfolder (kept across restarts). */
export const RUN_DATASET = 'dataset';

export interface RunOutput {
  /** The final folder. */
  dir: string;
  /** Where the run writes now: `dir`, or a partial sibling while a finished run is being replaced. */
  work: string;
  /** True when continuing from the checkpoint in `dir`. */
  resume: boolean;
  /** What happened to earlier contents (for the user and the log). */
  notes: string[];
  /** A path under `work`, as it will be once published (for paths recorded in metrics and models). */
  final(path: string): string;
  /** Moves a finished run built in a partial sibling over the old one (no-op when working in place). */
  publish(): void;
  release(): void;
}

export interface RunOutputOptions {
  force?: boolean;
  resume?: boolean;
  /** The command, for the lock (e.g. "hnn train --task spring"). */
  command: string;
  /** Written into the folder's marker. */
  info: Record<string, unknown>;
}

/** Claims `dir` for a training run (see the file comment for the rules). */
export function openRunOutput(dir: string, o: RunOutputOptions): RunOutput {
  const claim: Claim = claimOutput(dir, 'run', o.command);
  try {
    return decide(claim, o);
  } catch (e) {
    claim.release();
    throw e;
  }
}

function decide(claim: Claim, o: RunOutputOptions): RunOutput {
  const dir = claim.dir;
  const notes = [...claim.recovered];
  const s = claim.before;
  let work = dir;
  let resume = false;
  if (s.state === 'ours' && s.finished) {
    if (o.resume)
      throw new UserError(`${dir} holds a finished run: there is nothing to resume; pass --force (without --resume) to train it again`);
    if (!o.force)
      throw new UserError(`${dir} already holds a finished result (${METRICS_FILE}); choose another --out or pass --force to replace it`);
    work = partialPathFor(dir);
    notes.push(`the finished run in ${dir} stays until this one is complete`);
  } else if (s.state === 'ours') {
    const checkpoint = existsSync(join(dir, CHECKPOINT_FILE));
    if (o.resume && !checkpoint)
      throw new UserError(`--resume: no checkpoint in ${dir} (${CHECKPOINT_FILE} missing); run without --resume to start training`);
    if (o.resume) resume = true;
    else if (checkpoint && !o.force)
      throw new UserError(`${dir} holds an unfinished run (${CHECKPOINT_FILE}); pass --resume to continue it or --force to start over`);
    else {
      clearRun(dir);
      notes.push(`restarting: the unfinished run in ${dir} was discarded${checkpoint ? '' : ' (it had no checkpoint to resume from)'}`);
    }
  } else if (o.resume) {
    throw new UserError(`--resume: no checkpoint in ${dir} (it holds no run); run without --resume to start training`);
  }
  makeDir(work);
  if (!resume) markOutput(work, 'run', o.info);
  let published = work === dir;
  const wasEmpty = s.state === 'absent' || s.state === 'empty';
  return {
    dir,
    work,
    resume,
    notes,
    final: (path) => (work === dir ? path : join(dir, relative(work, path))),
    publish() {
      if (published) return;
      publishFolder(work, dir);
      published = true;
    },
    release() {
      if (!published) rmSync(work, { recursive: true, force: true });
      else if (wasEmpty && holdsOnlyMarker(dir)) rmSync(s.state === 'absent' ? dir : join(dir, MARKER), { recursive: true, force: true });
      claim.release();
    },
  };
}

/** True when `dir` holds its run's marker and nothing else (the run wrote nothing). */
function holdsOnlyMarker(dir: string): boolean {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  return entries.length === 1 && entries[0] === MARKER;
}

/** Removes an unfinished run's files, keeping a dataset it generated (checked again before reuse). */
function clearRun(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name === RUN_DATASET) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}
