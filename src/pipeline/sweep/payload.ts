// A queue job's payload: data only (a run's configuration), checked field by field with zod, then by
// the CLI's own option parsers, then against the job's id (the hash of the configuration). A payload
// that fails any check is refused, with the reason; nothing in it is ever run as code or used as a path.
import { z } from 'zod';
import { UserError } from '../../util/errors.ts';
import { checkSweepName, PLAN_FORMAT, planRun, type PlannedRun, type RunSpec, type RunValidator } from './plan.ts';

const scalar = z.union([z.string().max(200), z.number(), z.boolean()]);
const options = z.record(z.string().regex(/^[a-z][a-z0-9-]{0,63}$/), scalar).refine((o) => Object.keys(o).length <= 64, 'too many options');

const payloadSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  sweep: z.string().max(64),
  task: z.string().max(64),
  model: z.string().max(32),
  seed: z.int().min(0),
  train: options,
  data: options,
});
export type JobPayload = z.infer<typeof payloadSchema>;

export function payloadOf(run: PlannedRun): JobPayload {
  return { format: PLAN_FORMAT, sweep: run.sweep, task: run.task, model: run.model, seed: run.seed, train: run.train, data: run.data };
}

/** A printable form of something a producer sent (ids and names may be anything). */
export function printable(v: unknown, max = 80): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...` : s);
}

/**
 * The run a job asks for, or a UserError saying why the payload is refused: its shape, its sweep
 * name, its options (as `hnn train` / `hnn generate` parse them) and its id must all check.
 */
export function checkPayload(jobId: unknown, data: unknown, validate: RunValidator): PlannedRun {
  const r = payloadSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`payload field ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const p = r.data;
  checkSweepName(p.sweep);
  const spec: RunSpec = { task: p.task, model: p.model, seed: p.seed, train: p.train, data: p.data };
  const checked = validate(spec);
  const run = planRun(p.sweep, checked);
  if (run.id !== jobId)
    throw new UserError(`job id ${printable(jobId)} is not the hash of its configuration (${run.id}); submit runs with hnn sweep`);
  return run;
}
