// The training loop shared by every task: runs updates, reports progress with ETA, logs loss
// terms to log.jsonl, checkpoints, and leaves tf.memory().numTensors flat.
import * as tf from '@tensorflow/tfjs';
import { startProgress } from '../util/progress.ts';
import type { JsonlLog } from './log.ts';
import { UserError } from '../util/errors.ts';

export interface LoopOptions {
  /** Number of updates to run in total (the reference runs total_steps + 1). */
  updates: number;
  /** First update to run (0, or the step a checkpoint was saved at). */
  startAt?: number;
  /** Runs update i and returns its loss terms (at least `loss`), as plain numbers. */
  step: (i: number) => Record<string, number> | Promise<Record<string, number>>;
  /** Extra measurements at log points (e.g. test loss); called every logEvery updates and at the end. */
  evaluate?: (i: number) => Record<string, number> | Promise<Record<string, number>>;
  logEvery?: number;
  log?: Pick<JsonlLog, 'write'>;
  label: string;
  quiet?: boolean;
  /** Called after update i when (i + 1) % every === 0, and not after the last update. */
  checkpoint?: { every: number; save: (nextStep: number) => void | Promise<void> };
  /** Stop early (tests of resume): number of updates after which to return. */
  stopAfter?: number;
}

export interface LoopResult {
  history: Array<Record<string, number>>;
  seconds: number;
  msPerStep: number;
  lastStep: number;
}

/** Longest stretch of training without a turn of the event loop, in ms (signals are handled there). */
const YIELD_EVERY_MS = 100;

export async function runLoop(opts: LoopOptions): Promise<LoopResult> {
  const start = opts.startAt ?? 0;
  const logEvery = opts.logEvery ?? 200;
  const progress = startProgress(opts.updates, opts.label, opts.quiet, start);
  const history: Array<Record<string, number>> = [];
  const tensorsAtStart = tf.memory().numTensors;
  const t0 = performance.now();
  let done = start;
  let last: Record<string, number> = {};
  const end = Math.min(opts.updates, opts.stopAfter ?? Infinity);
  let yielded = performance.now();
  for (let i = start; i < end; i++) {
    // Every step is synchronous: without a turn of the event loop now and then, Ctrl-C (SIGINT) and
    // SIGTERM would wait for the whole training to end, because their handlers (util/lock.ts) run there.
    if (performance.now() - yielded > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      yielded = performance.now();
    }
    last = await opts.step(i);
    checkFinite(last, i, opts.label, 'training batch');
    done = i + 1;
    const isLast = i + 1 === opts.updates;
    if (i % logEvery === 0 || isLast) {
      const measured = opts.evaluate ? await opts.evaluate(i) : {};
      checkFinite(measured, i, opts.label, 'test split');
      const record = { step: i, ...last, ...measured };
      history.push(record);
      opts.log?.write({ event: 'step', ...record, tensors: tf.memory().numTensors - tensorsAtStart });
    }
    progress.update(done, last);
    if (opts.checkpoint && !isLast && (i + 1) % opts.checkpoint.every === 0) await opts.checkpoint.save(i + 1);
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  return { history, seconds, msPerStep: (1000 * seconds) / Math.max(1, done - start), lastStep: done };
}

/**
 * Stops training at the first non-finite loss term, naming the step and the term: weights that have
 * become NaN cannot recover, and every later metric would be garbage.
 */
function checkFinite(terms: Record<string, number>, step: number, label: string, on: string): void {
  for (const [term, value] of Object.entries(terms)) {
    if (!Number.isFinite(value)) {
      throw new UserError(
        `${label}: training diverged at step ${step}: the ${term} loss on the ${on} is ${value}; lower the learning rate or the loss weights, or check the dataset (nothing was written as finished)`,
      );
    }
  }
}
