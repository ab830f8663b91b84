// The thread of LatentRolloutHelper (latent-pool.ts): one request of latent rollouts, answered, then done.
import { parentPort } from 'node:worker_threads';
import { rolloutLatents, type LatentRolloutRequest } from './latent-pool.ts';

parentPort!.once('message', (req: LatentRolloutRequest) => {
  parentPort!.postMessage(rolloutLatents(req));
});
