// The runs of a sweep as data: what a run is (task, model, seed, `hnn train` and `hnn generate`
// options), its identity (a hash of its whole configuration and its sweep's name), and where it lives
// in a store. A run is never code: the options are flag values that the CLI's own parsers check
// (src/cli/sweep-options.ts) before a run is submitted, and again before a worker runs it.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';

/** An option's value as a flag takes it: a string or number after the flag, `true` for a flag without a value. */
export type OptionValue = string | number | boolean;

/** One run as data: task, model, seed and the option values of `hnn train` (and `hnn generate`). */
export interface RunSpec {
  task: string;
  model: string;
  seed: number;
  /** `hnn train` options by long name without dashes (kebab-case), values as parsed by its parsers */
  train: Record<string, OptionValue>;
  /** `hnn generate` options of the run's own dataset (empty: `hnn train` generates the task's protocol dataset) */
  data: Record<string, OptionValue>;
}

/** A run of a sweep with its identity (job id) and folder name. */
export interface PlannedRun extends RunSpec {
  sweep: string;
  /** hash of the sweep's name and the run's configuration: the queue's job id */
  id: string;
  /** the run's folder name: readable, unique by the hash */
  name: string;
}

/** Checks a run's options as the CLI's parsers do and returns them in canonical form (or throws a UserError). */
export type RunValidator = (run: RunSpec) => RunSpec;

/** Version of the job payload and of the hash: a change of meaning gets a new number, so old ids never collide with new ones. */
export const PLAN_FORMAT = 1;

/** Sweep names: folder names in the store, so letters, digits, dot, dash and underscore only. */
const SWEEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkSweepName(name: string): string {
  if (!SWEEP_NAME.test(name) || name.includes('..'))
    throw new UserError(
      `sweep name "${name}" is not allowed: use 1-64 letters, digits, '.', '-' or '_' (starting with a letter or digit, no '..'); set it with "name:" in the spec or --name`,
    );
  return name;
}

/** JSON with object keys sorted at every level: the same configuration always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The job id of a run of `sweep`: 16 hex digits of sha256 over the format, the sweep and the configuration. */
export function runId(sweep: string, run: RunSpec): string {
  const config = { format: PLAN_FORMAT, sweep, task: run.task, model: run.model, seed: run.seed, train: run.train, data: run.data };
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/** A run of `sweep` with its id (the hash of its configuration) and its folder name. */
export function planRun(sweep: string, run: RunSpec): PlannedRun {
  const id = runId(sweep, run);
  return { ...run, sweep, id, name: `${run.task}-${run.model}-seed${run.seed}-${id.slice(0, 8)}` };
}

/** Where a sweep's runs live in a store: <store>/<sweep>/runs/<run>/, laid out as `hnn train --out` writes. */
export function runFolder(store: string, run: Pick<PlannedRun, 'sweep' | 'name'>): string {
  return join(store, run.sweep, 'runs', run.name);
}

/** A run's own dataset when it has `data` options: <store>/<sweep>/datasets/<run>/ (`hnn generate --out`). */
export function datasetFolder(store: string, run: Pick<PlannedRun, 'sweep' | 'name'>): string {
  return join(store, run.sweep, 'datasets', run.name);
}

/** Command-line flags of options: `--name value`, `--name` alone for `true`, nothing for `false`. */
export function optionArgv(options: Record<string, OptionValue>): string[] {
  return Object.entries(options)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)]));
}

/** The `hnn generate` command line of a run's dataset (run with data options only). */
export function generateArgv(run: PlannedRun, out: string): string[] {
  return ['generate', run.task, '--seed', String(run.seed), ...optionArgv(run.data), '--out', out, '--quiet'];
}

/** The `hnn train` command line of a run writing into `out` (resuming its checkpoint when `resume`). */
export function trainArgv(run: PlannedRun, out: string, o: { data?: string; resume?: boolean }): string[] {
  return [
    'train',
    '--task',
    run.task,
    '--model',
    run.model,
    '--seed',
    String(run.seed),
    ...optionArgv(run.train),
    '--out',
    out,
    ...(o.data ? ['--data', o.data] : []),
    ...(o.resume ? ['--resume'] : []),
    '--quiet',
  ];
}

/** A short description of a run's options, e.g. "dynamics-weight-decay=1e-5 quick". */
export function describeOptions(run: RunSpec): string {
  const parts = [...Object.entries(run.train), ...Object.entries(run.data).map(([k, v]) => [`data.${k}`, v] as const)];
  return parts.map(([k, v]) => (v === true ? k : `${k}=${String(v)}`)).join(' ');
}
