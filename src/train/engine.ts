// The engines that run a training step (./step-definition.ts), and the choice between them:
// - ORT (./engine-ort.ts): the definition and Adam recorded as ONE ONNX graph, run by ONNX Runtime
//   once per step, weights and Adam's moments fed in and fetched into preallocated buffers;
// - tfjs (./engine-tfjs.ts): the definition run eagerly on the current TensorFlow.js backend, then the
//   project's Adam (its fused kernel where the backend has one) on the model's own variables.
// Both hand back the loss terms before the update.
import type * as tf from '@tensorflow/tfjs';
import { Adam } from './adam.ts';
import type { StepDefinition } from './step-definition.ts';
import { currentBackend, threadsFor } from '../tf/backend.ts';
import { OrtStepEngine, OrtTermsEvaluator } from './engine-ort.ts';
import { TfjsStepEngine } from './engine-tfjs.ts';
import type { AdamSettings, StepEngine } from './step-engine.ts';

export { adamSettings, type AdamSettings, type StepEngine } from './step-engine.ts';

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

/**
 * The definition's loss terms on fixed data at an engine's weights, on ONNX Runtime with the
 * engine's threads; null on tfjs, where the caller evaluates its own model.
 */
export async function createTermsEvaluator(
  def: StepDefinition,
  data: readonly Float32Array[],
  opts: EngineOptions = {},
): Promise<OrtTermsEvaluator | null> {
  const backend = await currentBackend();
  if (backend.engine === 'tfjs') return null;
  return OrtTermsEvaluator.create(def, data, { provider: backend.ortProvider ?? 'cpu', threads: opts.threads ?? threadsFor(1) });
}
