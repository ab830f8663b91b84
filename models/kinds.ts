// The names of the model kinds and latent-step integrators: a module without tensors, so the command
// line can list the choices without loading TensorFlow.js.
import { UserError } from '../src/util/errors.ts';

import type { ModelKind } from '../src/tasks/vocabulary.ts';
export { LATENT_STEPS, MODEL_KINDS, PIXEL_ENCODERS, type LatentStep, type ModelKind, type PixelEncoder } from '../src/tasks/vocabulary.ts';

/** The name of the D-HNN's dissipation network: its weights are saved as "dhnn-d/w0", ... and drawn from `init:dhnn-d`. */
export const DISSIPATION_NET = 'dhnn-d';

/**
 * The D-HNN's dissipative part: 'momenta', P grad D (D acts on dp/dt alone); 'even', P grad D_s with
 * D_s(q, p) = (D(q, p) + D(q, -p)) / 2, the part of D even in the momenta, as a Rayleigh dissipation
 * function is: its P grad D_s is odd in p, so D cannot carry a force of the positions, which a plain
 * D can trade with H (docs/DISSIPATIVE.md); 'rayleigh', D(q, p) = sum_i g_i(q) p_i^2 / 2 with g a network
 * of the positions alone ([k] -> [k]): a diagonal Rayleigh function in the momenta, whose part of the
 * field, g(q) * p, is linear in p at each q. New state D-HNNs are 'even' (STATE_DISSIPATION_FORM);
 * pixel latent D-HNNs stay 'momenta' (the even form is not evaluated there). Saved D-HNNs record
 * theirs in the topology.
 */
export const DISSIPATION_FORMS = ['momenta', 'even', 'rayleigh'] as const;
export type DissipationForm = (typeof DISSIPATION_FORMS)[number];

/** The name of a D-HNN's D network in its form: its saved weights ("<name>/w0", ...) and its init stream (`init:<name>`). */
export function dissipationNet(form: DissipationForm): string {
  return { momenta: DISSIPATION_NET, even: `${DISSIPATION_NET}e`, rayleigh: `${DISSIPATION_NET}r` }[form];
}

/** The form of a D-HNN's saved weights, from the name of its D network (an error when they hold neither). */
export function dissipationFormOf(weights: Readonly<Record<string, unknown>>): DissipationForm {
  const found = DISSIPATION_FORMS.filter((f) => `${dissipationNet(f)}/w0` in weights);
  if (found.length !== 1)
    throw new Error(`D-HNN weights must hold one D network (${DISSIPATION_FORMS.map((f) => `${dissipationNet(f)}/w0`).join(' or ')})`);
  return found[0];
}

/** The form of a new state D-HNN. */
export const STATE_DISSIPATION_FORM: DissipationForm = 'even';

/** What a pixel D-HNN's topology records (its latent model's form). */
export const DISSIPATION_FORM = { dissipation: 'momenta' } as const;

/** Refuses a D-HNN topology saved before D acted on the momenta alone (no form, or an unknown one). */
export function checkDissipationForm(topology: { kind: ModelKind; dissipation?: string }, where: string): void {
  if (topology.kind === 'dhnn' && !(DISSIPATION_FORMS as readonly string[]).includes(topology.dissipation ?? ''))
    throw new UserError(
      `${where} holds a D-HNN saved by an earlier version, whose D acted on every coordinate (this version's acts on the momenta); retrain it`,
    );
}

/**
 * The coupled weight decay of the D-HNN's D network on state tasks (H keeps the task's). Without a
 * decay D fits the noise of conservative data as a friction; with this one, held through training
 * (DISSIPATION_SCHEDULE), D vanishes on the ideal spring and pendulum and stays on the damped spring
 * and damped pendulum (docs/DISSIPATIVE.md has the frictions it learns there). A task may set
 * its own (StateTask.dissipationWeightDecay: the real pendulum keeps its 1e-5, the D-HNN paper's
 * grid 0).
 */
export const DISSIPATION_WEIGHT_DECAY = 3e-4;

/**
 * Which of D's variables its weight decay acts on. 'hidden' (the default): the hidden layers' weights
 * and biases, not the output layer's weights. The hidden layers set D's shape; the output layer sets
 * its size, and a decay on it shrinks the friction D learns below the data's (docs/DISSIPATIVE.md).
 * Sparing it, the decay still removes D where the data carry no friction, by collapsing the hidden
 * features. 'all': every variable of D, the default before December 7.
 */
export const DISSIPATION_DECAY_SCOPES = ['hidden', 'all'] as const;
export type DissipationDecayScope = (typeof DISSIPATION_DECAY_SCOPES)[number];
export const DISSIPATION_DECAY_SCOPE: DissipationDecayScope = 'hidden';

/**
 * How D's weight decay runs over a state D-HNN's training. 'constant' (the default): the run trains
 * with it. 'relaxed': the run with the decay is a probe; when the decay removed D (D's share of the
 * field at the training inputs under DISSIPATION_ALIVE_SHARE) it is the result; when D survived, the
 * model trains again from its initial weights without D's decay (src/train/dissipation-phases.ts;
 * twice the training time then). The refit keeps the friction's size on the data, but without a
 * decay D is unconstrained away from them, where the damped pendulum's rollouts then drain at the
 * wrong rate (docs/DISSIPATIVE.md).
 */
export const DISSIPATION_SCHEDULES = ['relaxed', 'constant'] as const;
export type DissipationSchedule = (typeof DISSIPATION_SCHEDULES)[number];
export const DISSIPATION_SCHEDULE: DissipationSchedule = 'constant';

/** The share of the field |P grad D| / (|J grad H| + |P grad D|) below which a relaxed schedule counts D as removed. */
export const DISSIPATION_ALIVE_SHARE = 0.01;
