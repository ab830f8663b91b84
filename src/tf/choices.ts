// Backend names the user can choose, without loading TensorFlow.js (the command line lists them).
export const BACKEND_CHOICES = ['auto', 'gpu', 'native', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
