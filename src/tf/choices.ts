// Backend names the user can choose, without loading TensorFlow.js or ONNX Runtime (the command line
// lists them). `ort` trains on ONNX Runtime's CPU provider (the default), `ort-cuda` on its CUDA
// provider; the tfjs-* names train on that TensorFlow.js backend. The short names gpu, native, wasm
// and cpu are the tfjs-* names of earlier versions.
export const BACKEND_CHOICES = [
  'auto',
  'ort',
  'ort-cuda',
  'tfjs-node-gpu',
  'tfjs-node',
  'tfjs-wasm',
  'tfjs-cpu',
  'gpu',
  'native',
  'wasm',
  'cpu',
] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The tfjs backends, by choice name (earlier names included). */
export const TFJS_CHOICES = {
  'tfjs-node-gpu': 'gpu',
  gpu: 'gpu',
  'tfjs-node': 'native',
  native: 'native',
  'tfjs-wasm': 'wasm',
  wasm: 'wasm',
  'tfjs-cpu': 'cpu',
  cpu: 'cpu',
} as const;
