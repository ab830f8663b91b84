// The names of the model kinds and latent-step integrators: a module without tensors, so the command
// line can list the choices without loading TensorFlow.js.
import { UserError } from '../src/util/errors.ts';

import type { ModelKind } from '../src/tasks/vocabulary.ts';
export { LATENT_STEPS, MODEL_KINDS, PIXEL_ENCODERS, type LatentStep, type ModelKind, type PixelEncoder } from '../src/tasks/vocabulary.ts';

/** The name of the D-HNN's dissipation network: its weights are saved as "dhnn-d/w0", ... and drawn from `init:dhnn-d`. */
export const DISSIPATION_NET = 'dhnn-d';

/**
 * What a saved D-HNN's topology records about its field: D acts on the momenta. D-HNNs saved before
 * (their D acted on every coordinate) lack it and are refused: their weights mean another field.
 */
export const DISSIPATION_FORM = { dissipation: 'momenta' } as const;

/** Refuses a D-HNN topology saved before D acted on the momenta alone. */
export function checkDissipationForm(topology: { kind: ModelKind; dissipation?: string }, where: string): void {
  if (topology.kind === 'dhnn' && topology.dissipation !== DISSIPATION_FORM.dissipation)
    throw new UserError(
      `${where} holds a D-HNN saved by an earlier version, whose D acted on every coordinate (this version's acts on the momenta); retrain it`,
    );
}

/**
 * The coupled weight decay of the D-HNN's D network on state tasks (H keeps the task's). With the
 * task's own decay (1e-4 or 1e-5), D fits the noise of conservative data as a friction of about
 * +-0.01 (the ideal spring's energy MSE 87x the HNN's); a stronger decay is the prior that
 * dissipation is absent unless the data demand it. Chosen on seed 0 of the quick spring and damped
 * pendulum (600 steps): 1e-3 and 1e-2 both remove the spring's spurious friction; on the damped
 * pendulum 1e-4 / 1e-3 / 3e-3 give energy MSE 7.0e-3 / 4.1e-3 / 8.4e-4, while 1e-2 removes its
 * friction altogether (2000 steps: energy MSE 0.30, the HNN's). A task may set its own
 * (StateTask.dissipationWeightDecay: the real pendulum keeps its 1e-5). docs/DISSIPATIVE.md has the table.
 */
export const DISSIPATION_WEIGHT_DECAY = 3e-3;
