// The schema of a state model's training configuration (trainStateModel): the task protocol's
// fields (src/tasks/schema.ts) plus the model kind, the seed and the logging interval. The
// StateTrainConfig type is derived from it.
import { z } from 'zod';
import { DISSIPATION_DECAY_SCOPES, DISSIPATION_FORMS, DISSIPATION_SCHEDULES, MODEL_KINDS } from '../../models/kinds.ts';
import { LATENT_STEPS } from '../tasks/vocabulary.ts';
import { decay, stateTrainProtocolSchema } from '../tasks/schema.ts';
import { MAX_SEED } from '../util/rng.ts';

/** What trainStateModel takes: validated on every call (unknown keys, ranges, the model kind). */
export const stateTrainConfigSchema = stateTrainProtocolSchema.extend({
  /** hnn, baseline or dhnn (models/kinds.ts). */
  kind: z.enum(MODEL_KINDS),
  /** Model initialisation and batches. */
  seed: z.number().int().min(0).max(MAX_SEED),
  /** D-HNN: the coupled weight decay of D's weights (default weightDecay); H's is weightDecay. */
  dissipationWeightDecay: decay().optional(),
  /** D-HNN: how D's decay runs over training (default DISSIPATION_SCHEDULE, models/kinds.ts). */
  dissipationSchedule: z.enum(DISSIPATION_SCHEDULES).optional(),
  /** D-HNN: the form of D's part of the field (default STATE_DISSIPATION_FORM, models/kinds.ts). */
  dissipationForm: z.enum(DISSIPATION_FORMS).optional(),
  /** D-HNN: which of D's variables its decay acts on (default DISSIPATION_DECAY_SCOPE, models/kinds.ts). */
  dissipationDecayOn: z.enum(DISSIPATION_DECAY_SCOPES).optional(),
  /** Updates between log lines (default 200). */
  logEvery: z.number().int().min(1).optional(),
  /**
   * K > 1: train on the K-step trajectory loss (K steps of rolloutIntegrator from each state, compared
   * with the next K observed states) instead of the derivative loss; needs the rows' times.
   */
  rolloutSteps: z.number().int().min(1).max(100).optional(),
  /** The integrator of the trajectory loss (default leapfrog, the pixel window's). */
  rolloutIntegrator: z.enum(LATENT_STEPS).optional(),
  /** ONNX Runtime's intra-op threads (default every core; the tfjs engines ignore it). */
  threads: z.number().int().min(1).max(1024).optional(),
});

/** A state model's training configuration (the schema above). */
export type StateTrainConfig = z.input<typeof stateTrainConfigSchema>;
