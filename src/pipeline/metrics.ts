// The last check before a run is marked finished: its headline numbers must be finite. A NaN here
// means garbage went in (the dataset checks should have caught it), and a metrics.json holding
// null where a number belongs would look finished to every later command.
import { z } from 'zod';
import { MODEL_KINDS } from '../../models/kinds.ts';
import { UserError } from '../util/errors.ts';
import { readJson } from '../util/files.ts';
import type { ModelKind } from '../tasks/vocabulary.ts';
import type { DissipationGate } from '../train/dissipation-phases.ts';
import type { MeanSem } from '../eval/stats.ts';
import { NO_MOTION_REASON, type AgainstNoMotion } from '../eval/derivative.ts';
import { MEAN_FRAME_REASON, STILL_LATENT_REASON, type AgainstMeanFrame } from '../eval/pixel-learned.ts';

/** What every metrics.json starts with, state or pixel. */
export interface RunMetricsBase<Task extends string> {
  task: Task;
  model: ModelKind;
  seed: number;
  steps: number;
  updates: number;
  backend: string;
  /**
   * What trained: the engine's description, ONNX Runtime's intra-op threads (null on tfjs) and the
   * training rows of each step's batch (a state run's windows, with rolloutSteps); absent in older runs
   */
  training?: {
    engine: string;
    threads: number | null;
    batchRows?: number;
    /** Pixel runs: the input columns the encoder's first product ran over (those lit in some training frame), of the pair's width. */
    inputColumns?: { active: number; of: number };
    dissipationGate?: DissipationGate;
  };
  protocol: Record<string, unknown>;
  dataset: { dir: string; seed: number; trainRows: number; testRows: number };
  /** mean, std/sqrt(rows) */
  trainLoss: MeanSem;
  testLoss: MeanSem;
  /**
   * Whether the model learned anything (absent in older runs). State runs: the test loss against a
   * field predicting no motion; pixel runs: the latent step's test term against a latent that stays still.
   */
  againstNoMotion?: AgainstNoMotion;
  /** pixel runs: the test reconstruction against the training split's mean pair (absent in older runs) */
  againstMeanFrame?: AgainstMeanFrame;
  trainSeconds: number;
  msPerStep: number;
  versions: Record<string, string | null>;
}

/** A run whose model learned nothing: against what, and why its rollout metrics then measure nothing it learned. */
export interface LearnedNothing {
  /** e.g. "its test loss is 0.995 times that of predicting no motion (7.820e-1)" */
  why: string;
  reason: string;
}

/**
 * Whether a run's model learned nothing, from its metrics.json (null when it learned, or in runs
 * made before the checks). A pixel run fails when its reconstruction or its latent step does.
 */
export function learnedNothing(m: Pick<RunMetricsBase<string>, 'againstNoMotion' | 'againstMeanFrame'>): LearnedNothing | null {
  const f = (v: number) => v.toExponential(3);
  const r = (v: number) => v.toPrecision(3);
  const failed: LearnedNothing[] = [];
  const frame = m.againstMeanFrame;
  if (frame && !frame.learned)
    failed.push({
      why: `its reconstruction's test loss is ${r(frame.ratio)} times that of the training frames' mean pair (${f(frame.meanFrameLoss)})`,
      reason: MEAN_FRAME_REASON,
    });
  const still = m.againstNoMotion;
  if (still && !still.learned)
    failed.push(
      frame
        ? {
            why: `its latent step's test loss is ${r(still.ratio)} times that of a latent that stays still (${f(still.noMotionLoss)})`,
            reason: STILL_LATENT_REASON,
          }
        : {
            why: `its test loss is ${r(still.ratio)} times that of predicting no motion (${f(still.noMotionLoss)})`,
            reason: NO_MOTION_REASON,
          },
    );
  if (failed.length === 0) return null;
  return { why: failed.map((x) => x.why).join('; '), reason: failed.map((x) => x.reason).join('; ') };
}

/** The head of every metrics.json, in its order: the run's task, model, seed and steps, its updates (the loop runs steps + 1) and backend. */
export function metricsHead<Task extends string>(
  task: Task,
  model: ModelKind,
  seed: number,
  steps: number,
  backend: string,
): Pick<RunMetricsBase<Task>, 'task' | 'model' | 'seed' | 'steps' | 'updates' | 'backend'> {
  return { task, model, seed, steps, updates: steps + 1, backend };
}

/** The fields every metrics.json must hold as finite numbers. */
const HEADLINE = ['trainLoss.mean', 'testLoss.mean', 'energyMse.mean'] as const;

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

export function checkMetricsFinite(metrics: object, headline: readonly string[] = HEADLINE): void {
  for (const path of headline) {
    const v = at(metrics, path);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UserError(
        `the evaluation gave ${path} = ${String(v)}, not a finite number; the run is left unfinished (check the dataset for bad values and train again)`,
      );
    }
  }
}

const meanAnd = z.looseObject({ mean: z.number() });

/** What every metrics.json must hold for later commands (reuse checks, tables) to read it. */
const metricsSchema = z.looseObject({
  task: z.string(),
  model: z.enum(MODEL_KINDS),
  seed: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  protocol: z.record(z.string(), z.unknown()),
  dataset: z.looseObject({ dir: z.string(), seed: z.number() }),
  trainLoss: meanAnd,
  testLoss: meanAnd,
  // absent where the data have no known energy (imported datasets, docs/IMPORT.md)
  energyMse: meanAnd.optional(),
});

/** Reads a finished run's metrics.json, checked against the fields every run writes. */
export function readMetrics<M extends RunMetricsBase<string>>(path: string): M {
  return readJson(path, 'metrics of a finished run', metricsSchema) as unknown as M;
}
