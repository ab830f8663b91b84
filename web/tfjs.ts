// What the page's bundle takes for '@tensorflow/tfjs' (scripts/build-web.mjs aliases it): that
// package's index (node_modules/@tensorflow/tfjs/dist/index.js) less the layers, converter and data
// packages, which nothing here uses, and less the webgl backend, which the page loads only when
// asked for it (./backend.ts): a third less script to start. The core, its gradients and chained
// ops, and the cpu backend are registered as '@tensorflow/tfjs' registers them.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-backend-cpu';
