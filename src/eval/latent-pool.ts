// The latent rollouts of an evaluation on two cores. They are plain float64 JavaScript (about 60 us
// per field call, ~3000 calls per 200-frame rollout at the metric's tolerance), so at the end of
// `npm start` the HNN's 40 test rollouts took 7 s on one core while the other idled. A helper thread
// and the caller share the trials: each claims the next one from a shared counter, so the helper
// starts at once and the caller joins when its own work (the losses) is done. A rollout runs the
// same code on the same inputs whichever thread takes it, so the results are the bits a single
// thread gives. Without a build (dist/), on one core, or for a run given one thread, everything runs here.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelKind } from '../../models/kinds.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import { packageFile } from '../util/package-root.ts';
import type { RolloutIntegrator } from './integrators.ts';
import { latentField, latentRollout, type LatentRollout } from './latent-rollout.ts';

export interface LatentRolloutRequest {
  kind: ModelKind;
  weights: NamedWeights;
  /** one start per rollout */
  z0s: Float64Array[];
  frames: number;
  integrator: RolloutIntegrator;
}

/** What the helper thread sends: one rollout (by index), then `done`. */
export type HelperMessage = { index: number; rollout: LatentRollout } | { done: true };

/**
 * Rolls out the starts whose index this thread claims from `next` (all of them, in order, without
 * one), handing each to `take`.
 */
export function rolloutClaimed(req: LatentRolloutRequest, take: (index: number, r: LatentRollout) => void, next?: Int32Array): void {
  const field = latentField(req.kind, req.weights);
  // bounded: every pass claims a new index, and indices stop at the number of starts
  for (let i = 0; i < req.z0s.length; i++) {
    const index = next ? Atomics.add(next, 0, 1) : i;
    if (index >= req.z0s.length) return;
    take(index, latentRollout(field, req.z0s[index], req.frames, { integrator: req.integrator }));
  }
}

/** Rolls out every start of the request here, in order. */
export function rolloutLatents(req: LatentRolloutRequest): LatentRollout[] {
  const out: LatentRollout[] = [];
  rolloutClaimed(req, (i, r) => (out[i] = r));
  return out;
}

/**
 * A helper thread started ahead of use (its module loading overlaps the caller's other work).
 * `begin` sets it rolling out at once while the caller does other things; `finish` joins in here
 * and returns every rollout, in order. One request per helper; `close` ends the thread whether or
 * not it was used.
 */
export class LatentRolloutHelper {
  private readonly worker: Worker | null;

  /** `threads`: the cores this evaluation may use (default every core); under 2, no helper starts. */
  constructor(threads = availableParallelism()) {
    const entry = packageFile('dist/src/eval/latent-worker.js');
    this.worker = Math.min(threads, availableParallelism()) > 1 && existsSync(entry) ? new Worker(pathToFileURL(entry)) : null;
  }

  /** Whether a helper thread runs (false: `begin` rolls everything out on the caller's thread). */
  get threaded(): boolean {
    return this.worker !== null;
  }

  begin(req: LatentRolloutRequest): { finish: () => Promise<LatentRollout[]> } {
    const worker = this.worker;
    if (!worker || req.z0s.length < 2) return { finish: async () => rolloutLatents(req) };
    const next = new Int32Array(new SharedArrayBuffer(4));
    const out: LatentRollout[] = [];
    const helperDone = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: HelperMessage) => {
        if ('done' in m) resolve();
        else out[m.index] = m.rollout;
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the latent rollout helper stopped with code ${code} before it finished`)));
    });
    // a failure is awaited in finish(); until then it must not count as unhandled
    helperDone.catch(() => undefined);
    worker.postMessage({ req, next });
    return {
      finish: async () => {
        rolloutClaimed(req, (i, r) => (out[i] = r), next);
        await helperDone;
        return out;
      },
    };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
