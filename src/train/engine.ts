// The engines that run a training step (./step-definition.ts), and the choice between them:
// - ORT (./engine-ort.ts): the definition and Adam recorded as ONE ONNX graph, run by ONNX Runtime
//   once per step, weights and Adam's moments fed in and fetched into preallocated buffers;
// - tfjs (./engine-tfjs.ts): the definition run eagerly on the current TensorFlow.js backend, then the
//   project's Adam (its fused kernel where the backend has one) on the model's own variables.
// Both hand back the loss terms before the update.
import type * as tf from '@tensorflow/tfjs';
import type { AdamConstants } from './adam-formula.ts';
import { Adam, type AdamState } from './adam.ts';
import type { StepDefinition } from './step-definition.ts';
import { currentBackend, threadsFor } from '../tf/backend.ts';
import { OrtStepEngine } from './engine-ort.ts';
import { TfjsStepEngine } from './engine-tfjs.ts';

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

export interface AdamSettings extends AdamConstants {
  lr: number;
}

/** PyTorch's Adam defaults, the project's (docs/PROTOCOLS.md). */
export function adamSettings(lr: number): AdamSettings {
  return { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
}

export interface EngineOptions {
  /** ONNX Runtime's intra-op threads (default: every core). */
  threads?: number;
}

/**
 * The engine the current backend trains on (src/tf/backend.ts), over the model's variables: tfjs
 * updates them in place; ORT starts from their values and hands its weights back on request.
 */
export async function createStepEngine(
  def: StepDefinition,
  vars: tf.Variable[],
  adam: AdamSettings,
  opts: EngineOptions = {},
): Promise<StepEngine> {
  const backend = await currentBackend();
  if (backend.engine === 'tfjs') {
    const optimiser = new Adam(vars, { ...adam, weightDecay: def.variables.map((v) => v.weightDecay) });
    return new TfjsStepEngine(def, vars, optimiser, true);
  }
  const init = vars.map((v) => v.dataSync() as Float32Array);
  return OrtStepEngine.create(def, init, adam, { provider: backend.ortProvider ?? 'cpu', threads: opts.threads ?? threadsFor(1) });
}
