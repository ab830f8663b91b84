// The thread of LatentRolloutHelper (latent-pool.ts): claims and rolls out starts of one request
// until none is left, sending each as it is done, then `done`.
import { parentPort } from 'node:worker_threads';
import { rolloutClaimed, type HelperMessage, type LatentRolloutRequest } from './latent-pool.ts';

parentPort!.once('message', ({ req, next }: { req: LatentRolloutRequest; next: Int32Array }) => {
  rolloutClaimed(req, (index, rollout) => parentPort!.postMessage({ index, rollout } satisfies HelperMessage), next);
  parentPort!.postMessage({ done: true } satisfies HelperMessage);
});
