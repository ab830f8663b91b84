// What every training-step engine offers (./engine.ts chooses one): one update per call, its weights
// and Adam's state, and a resume. Apart from the engines' module so that the engines import it
// without importing the module that constructs them.
import type { AdamConstants } from './adam-formula.ts';
import type { AdamState } from './adam.ts';

/** A training step's runner: the definition and Adam, on ONNX Runtime or TensorFlow.js. */
export interface StepEngine {
  /** One line for logs: the engine, its provider and threads, and the graph's size. */
  readonly description: string;
  /** Nodes of the step's graph (ORT), null for tfjs. */
  readonly nodes: number | null;
  /** Intra-op threads (ORT), null for tfjs. */
  readonly threads: number | null;
  /** One update on a batch (the definition's data, in order); the loss terms before it. */
  step(data: readonly Float32Array[]): Promise<Float32Array>;
  /** Current weights, in variables() order (copies). */
  weights(): Float32Array[];
  adamState(): AdamState;
  /** Restores weights and Adam's state (a resumed run). */
  load(weights: readonly Float32Array[], adam: AdamState): void;
  /** True when the model's own variables are what trains (tfjs): nothing to copy back. */
  readonly ownsModelVariables: boolean;
  dispose(): void;
}

/** Adam's constants with its learning rate. */
export interface AdamSettings extends AdamConstants {
  lr: number;
}

/** PyTorch's Adam defaults, the project's (docs/PROTOCOLS.md). */
export function adamSettings(lr: number): AdamSettings {
  return { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
}
