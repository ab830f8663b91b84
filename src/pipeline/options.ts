// The schemas of the experiment functions' options (runStateExperiment), built from the task and
// training schemas (src/tasks/schema.ts): the command line's flags are checked by the same ones.
import { z } from 'zod';
import { DISSIPATION_DECAY_SCOPES, DISSIPATION_FORMS, DISSIPATION_SCHEDULES, MODEL_KINDS } from '../../models/kinds.ts';
import { LATENT_STEPS } from '../tasks/vocabulary.ts';
import { decay, simulatedEnergyEvalSchema, stateTrainProtocolSchema } from '../tasks/schema.ts';
import type { StateTask } from '../tasks/task.ts';
import { MAX_SEED } from '../util/rng.ts';

/**
 * How much evaluation a run does: 'full' (the task's protocol), 'quick' (quickEvaluation: at most 5
 * states, tolerances 1e-6), or explicit sizes. Default: 'quick' for runs of fewer than
 * QUICK_EVAL_BELOW steps, else 'full'.
 */
export const evaluationSchema = z.union([
  z.enum(['full', 'quick']),
  simulatedEnergyEvalSchema.pick({ count: true, t1: true, points: true, rtol: true, atol: true, states: true }).partial(),
]);

/**
 * The 'quick' evaluation of a run of `steps` steps: one initial state per 10 steps, from 1 to 5, and
 * rtol = atol = 1e-6 (the task's time span and points), so that a short run does not spend longer
 * evaluating than training. A rollout of an (under)trained float64 MLP field costs about 0.1 s at
 * these tolerances against 1.2 s at the protocol's 1e-12 (docs/YOUR-SYSTEM.md, "Evaluation cost").
 */
export function quickEvaluation(steps: number): { count: number; rtol: number; atol: number } {
  return { count: Math.min(5, Math.max(1, Math.ceil(steps / 10))), rtol: 1e-6, atol: 1e-6 };
}

/** Runs shorter than this many steps are evaluated 'quick' unless asked otherwise. */
export const QUICK_EVAL_BELOW = 100;

/** The training settings a run may change (the rest are the task protocol's). */
export const trainOverridesSchema = stateTrainProtocolSchema
  .pick({ lr: true, batchSize: true, weightDecay: true, hidden: true, evalEvery: true })
  .partial()
  .extend({
    /** K > 1: the K-step trajectory loss (src/train/state.ts) instead of the derivative loss */
    rolloutSteps: z.number().int().min(1).max(100).optional(),
    /** its integrator (default leapfrog) */
    rolloutIntegrator: z.enum(LATENT_STEPS).optional(),
  });

/** A state run's changes to its task's training protocol (the schema above). */
export type StateTrainOverrides = z.input<typeof trainOverridesSchema>;

const taskRecord = z.custom<StateTask>((v) => !!v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'state', {
  message: 'must be a state task name or a record made by defineStateTask',
});

/** What runStateExperiment takes. */
export const stateRunOptionsSchema = z.strictObject({
  /** a task of the registry by name, or a task record (e.g. a user's own system) */
  task: z.union([z.string().min(1), taskRecord]),
  kind: z.enum(MODEL_KINDS),
  seed: z.number().int().min(0).max(MAX_SEED),
  /** default: the task's protocol */
  steps: z.number().int().min(1).max(1e8).optional(),
  /** lr, batchSize, weightDecay, hidden, evalEvery instead of the task protocol's (recorded in metrics.json) */
  train: trainOverridesSchema.optional(),
  /** evaluation sizes (default: 'quick' below QUICK_EVAL_BELOW steps, else 'full') */
  evaluation: evaluationSchema.optional(),
  /** an existing dataset folder; default: generate one into <out>/dataset */
  dataDir: z.string().min(1).optional(),
  /** changes to the dataset protocol when generating (reduced runs); recorded in the manifest */
  dataOverrides: z
    .strictObject({
      trajectories: z.number().int().min(2).optional(),
      points: z.number().int().min(2).optional(),
      t1: z.number().optional(),
      rtol: z.number().optional(),
      atol: z.number().optional(),
      noiseStd: z.number().min(0).optional(),
      friction: z.number().min(0).max(100).optional(),
    })
    .optional(),
  /** D-HNN: the weight decay of D (default the task's, else DISSIPATION_WEIGHT_DECAY, models/kinds.ts) */
  dissipationWeightDecay: decay().optional(),
  /** D-HNN: how D's decay runs over training (default DISSIPATION_SCHEDULE, models/kinds.ts) */
  dissipationSchedule: z.enum(DISSIPATION_SCHEDULES).optional(),
  /** D-HNN: the form of D's part of the field (default STATE_DISSIPATION_FORM, models/kinds.ts) */
  dissipationForm: z.enum(DISSIPATION_FORMS).optional(),
  /** D-HNN: which of D's variables its decay acts on (default DISSIPATION_DECAY_SCOPE, models/kinds.ts) */
  dissipationDecayOn: z.enum(DISSIPATION_DECAY_SCOPES).optional(),
  outDir: z.string().min(1),
  backend: z.string().optional(),
  /** ONNX Runtime's intra-op threads (default: every core; a run beside others gets its share) */
  threads: z.number().int().min(1).max(1024).optional(),
  force: z.boolean().optional(),
  quiet: z.boolean().optional(),
  plots: z.boolean().optional(),
});

/** runStateExperiment's options (the schema above). */
export type StateRunOptions = z.input<typeof stateRunOptionsSchema>;
/** How much evaluation a run does (see evaluationSchema). */
export type EvaluationSizes = z.input<typeof evaluationSchema>;
