// The latent rollouts of an evaluation on two cores. They are plain float64 JavaScript (about 60 us
// per field call, ~3000 calls per 200-frame rollout at the metric's tolerance), so at the end of
// `npm start` the HNN's 40 test rollouts took 7 s on one core while the other idled. A helper thread
// takes every other trial; each rollout runs the same code on the same inputs, so the results are the
// bits a single thread gives. Without a build (dist/), or on one core, everything runs here.
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

/** Rolls out every start of the request here, in order. */
export function rolloutLatents(req: LatentRolloutRequest): LatentRollout[] {
  const field = latentField(req.kind, req.weights);
  return req.z0s.map((z0) => latentRollout(field, z0, req.frames, { integrator: req.integrator }));
}

/**
 * A helper thread started ahead of use (its module loading overlaps the caller's other work).
 * `rollouts` may be called once; `close` ends the thread whether or not it was used.
 */
export class LatentRolloutHelper {
  private readonly worker: Worker | null;

  constructor() {
    const entry = packageFile('dist/src/eval/latent-worker.js');
    this.worker = availableParallelism() > 1 && existsSync(entry) ? new Worker(pathToFileURL(entry)) : null;
  }

  async rollouts(req: LatentRolloutRequest): Promise<LatentRollout[]> {
    const worker = this.worker;
    if (!worker || req.z0s.length < 2) return rolloutLatents(req);
    const theirs = req.z0s.filter((_, i) => i % 2 === 1);
    const answer = new Promise<LatentRollout[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the latent rollout helper stopped with code ${code} before it answered`)));
    });
    worker.postMessage({ ...req, z0s: theirs });
    const mine = rolloutLatents({ ...req, z0s: req.z0s.filter((_, i) => i % 2 === 0) });
    const other = await answer;
    return req.z0s.map((_, i) => (i % 2 === 0 ? mine[i >> 1] : other[i >> 1]));
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
