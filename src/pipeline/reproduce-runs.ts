// The runs of a reproduction: their folders, their datasets (one per task and seed), whether a
// finished run can be reused (trained as the table asks), and the job that trains one in a worker.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generatePixelDataset, outdatedDataset } from '../../datasets/pixel.ts';
import { hasDataset, readManifest } from '../../datasets/format.ts';
import { STATE_GENERATOR_VERSION, writeStateDataset } from '../../datasets/state.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { DISSIPATION_FORMS } from '../../models/kinds.ts';
import { defaultRolloutIntegrator, taskProjection } from '../eval/integrators.ts';
import type { PixelTask, Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { CHECKPOINT_FILE } from './pixel.ts';
import { pixelProtocolMismatch, runPixelEvaluation, type PixelMetrics } from './pixel-metrics.ts';
import { taskLatentMap } from '../eval/pixel-evaluation.ts';
import { readMetrics } from './metrics.ts';
import { protocolMismatch, stateRunProtocol } from './state.ts';
import { type Job } from './workers.ts';
import { type RunMetrics, TABLE_ORDER } from './reproduce-table.ts';

import type { ReproduceOptions } from './reproduce-options.ts';
import { givenDissipationOptions } from './dissipation-options.ts';

function stepsOf(task: Task, o: Pick<ReproduceOptions, 'quick' | 'steps'>): number {
  return o.steps ?? (o.quick ? task.quick.steps : task.train.steps);
}

/** Refuses to reuse a dataset made by another version of the generator (its runs would not be this version's). */
function checkGenerator(dir: string): void {
  const made = readManifest(dir).params.generatorVersion;
  if (made !== STATE_GENERATOR_VERSION) {
    throw new UserError(
      `${dir} was made by dataset generator version ${made}, this version makes ${STATE_GENERATOR_VERSION}: use another --out or pass --force to regenerate it and retrain`,
    );
  }
}

/** Refuses to reuse a pixel dataset drawn by another scene version or with another frame interval. */
function checkPixelDataset(dir: string): void {
  const other = outdatedDataset(readManifest(dir));
  if (other) throw new UserError(`${dir}: ${other}: use another --out or pass --force to regenerate it and retrain`);
}

/** The metrics of a finished run in `dir` to reuse (none with --force); refuses a run of another mode. */
function finishedRun<M extends RunMetrics>(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): M | null {
  if (o.force || !existsSync(join(dir, 'metrics.json'))) return null;
  const metrics = readMetrics<M>(join(dir, 'metrics.json'));
  const expected = stepsOf(task, o);
  if (metrics.steps !== expected) {
    throw new UserError(
      `${dir} holds a ${metrics.steps}-step run, this ${o.quick ? 'quick' : 'full'} reproduction needs ${expected}: use another --out or pass --force`,
    );
  }
  if (!o.quiet) console.log(`${task.name} ${kind} seed ${seed}: reusing the finished run in ${dir}`);
  return metrics;
}

/** The models of a reproduction: the given ones in table order, or baseline and HNN. */
export function modelsOf(o: ReproduceOptions): ModelKind[] {
  const given = o.models ?? ['baseline', 'hnn'];
  return TABLE_ORDER.filter((k) => given.includes(k));
}

export function seedsOf(o: ReproduceOptions): number[] {
  return Array.from({ length: o.seeds }, (_, k) => k);
}

export function runDir(o: ReproduceOptions, task: Task, seed: number, kind: ModelKind): string {
  if (o.external) return o.external.runDir(task.name, seed, kind);
  return join(o.outDir, task.name, `seed${seed}`, kind);
}

export function dataDirOf(o: ReproduceOptions, task: Task, seed: number): string {
  if (o.external) return o.external.dataDir(task.name, seed, modelsOf(o)[0]);
  return join(o.outDir, task.name, `seed${seed}`, 'dataset');
}

/** Generates a seed's dataset unless a reusable one is there (a state dataset of this generator version). */
export async function ensureDataset(task: Task, seed: number, o: ReproduceOptions): Promise<void> {
  const dir = dataDirOf(o, task, seed);
  const exists = hasDataset(dir);
  if (task.kind === 'pixel') {
    if (o.force || !exists) await generatePixelDataset(task, { out: dir, seed, quiet: o.quiet, force: true });
    else checkPixelDataset(dir);
    return;
  }
  if (o.force || !exists)
    writeStateDataset(dir, task, seed, o.quick ? task.quick.data : undefined, { force: true, command: 'hnn reproduce' });
  else checkGenerator(dir);
}

/**
 * Re-evaluates the finished pixel run in `dir` from its saved model when its metrics used another
 * latent map than the task's, another rollout integrator than its latent step's default, or another
 * projection than the one asked for (the task's by default).
 */
export async function refreshEvaluation(task: PixelTask, seed: number, dir: string, o: ReproduceOptions): Promise<void> {
  const m = readMetrics<PixelMetrics>(join(dir, 'metrics.json'));
  const had = { map: m.rollout.latentMap ?? 'affine', integrator: m.rollout.integrator, projection: m.rollout.projection ?? 'none' };
  const step = (m.protocol.loss as { latentStep?: string } | undefined)?.latentStep ?? 'euler';
  const want = { map: taskLatentMap(task), integrator: defaultRolloutIntegrator(step), projection: o.projection ?? taskProjection(task) };
  if (had.map === want.map && had.integrator === want.integrator && had.projection === want.projection) return;
  const says = (x: typeof had) => `the ${x.map} latent map, ${x.integrator} and projection ${x.projection}`;
  if (!o.quiet) console.log(`${dir}: evaluated with ${says(had)}, now ${says(want)}: evaluating it again`);
  await runPixelEvaluation({
    outDir: dir,
    dataDir: dataDirOf(o, task, seed),
    integrator: want.integrator,
    projection: want.projection,
    backend: o.backend,
  });
}

/** True when `dir` holds a finished run this reproduction can reuse (refuses one made otherwise). */
export function reusable(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions): boolean {
  const finished = finishedRun<RunMetrics>(task, kind, seed, dir, o);
  if (!finished) return false;
  if (task.kind === 'state') {
    if (kind === 'dhnn' && !(DISSIPATION_FORMS as readonly unknown[]).includes(finished.protocol.dissipation))
      throw new UserError(
        `${dir} holds a finished D-HNN run of an earlier version, whose D acted on every coordinate (this version's acts on the momenta): use another --out or pass --force`,
      );
    const want = stateRunProtocol(task, kind, { steps: stepsOf(task, o), train: o.train, ...givenDissipationOptions(o) });
    const differ = protocolMismatch(finished.protocol, want);
    if (differ)
      throw new UserError(
        `${dir} holds a finished run trained otherwise: ${differ}; use another --out, the same options, or --force to retrain`,
      );
  }
  if (task.kind === 'pixel') {
    const stale = pixelProtocolMismatch(finished as PixelMetrics, o);
    if (stale)
      throw new UserError(`${dir} holds a finished run that does not fit this reproduction: ${stale}; use another --out or pass --force`);
  }
  return true;
}

/** The job that trains one run (an interrupted pixel run resumes from its checkpoint). */
export function jobFor(task: Task, kind: ModelKind, seed: number, dir: string, o: ReproduceOptions & { threads: number }): Job {
  const common = {
    task: task.name,
    kind,
    seed,
    steps: o.steps ?? (o.quick ? task.quick.steps : undefined),
    dataDir: dataDirOf(o, task, seed),
    outDir: dir,
    backend: o.backend,
    threads: o.threads,
    quiet: o.quiet,
  };
  const systemFile = o.systemFile ? { systemFile: o.systemFile } : {};
  if (task.kind === 'state') {
    const train = o.train ? { train: o.train } : {};
    const dissipation = kind === 'dhnn' ? givenDissipationOptions(o) : {};
    return { name: 'stateRun', args: [{ ...common, ...train, ...dissipation, force: true }], ...systemFile };
  }
  const resume = !o.force && existsSync(join(dir, CHECKPOINT_FILE));
  return {
    name: 'pixelRun',
    ...systemFile,
    args: [
      {
        ...common,
        steps: stepsOf(task, o),
        force: !resume,
        resume,
        dynamicsWeightDecay: o.dynamicsWeightDecay,
        paperProtocol: o.paperProtocol,
        ...(o.latentStep ? { loss: { latentStep: o.latentStep } } : {}),
        ...(o.projection ? { projection: o.projection } : {}),
      },
    ],
  };
}
