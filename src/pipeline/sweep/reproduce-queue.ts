// `hnn reproduce --queue URL --store DIR`: a reproduction's runs as a queued sweep. Each run is the
// `hnn train` command line with the table's protocol (the same options `hnn reproduce` gives its own
// runs), trained by `hnn worker`s into the shared store; the table and plots are then made here from
// the store, as from local runs. Each run makes its own dataset (the same bytes for the same seed).
import { kebabCase } from '../../util/options.ts';
import { UserError } from '../../util/errors.ts';
import { getTask } from '../../tasks/registry.ts';
import type { ModelKind } from '../../../models/dynamics.ts';
import type { ExternalRuns, ReproduceOptions } from '../reproduce.ts';
import { addRuns, openQueue, waitForRuns } from './coordinator.ts';
import type { QueueAddress } from './connection.ts';
import { checkSweepName, planRun, runFolder, type OptionValue, type PlannedRun, type RunValidator } from './plan.ts';
import { PAPER_PIXEL_OPTIONS } from './presets.ts';
import type { SweepView } from './view.ts';
import { join } from 'node:path';
import { DISSIPATION_FLAGS, givenDissipationOptions, type DissipationOptions } from '../dissipation-options.ts';

/** The `hnn train` options that give a task's run the reproduction's protocol. */
export function reproductionOptions(o: ReproduceOptions, task: string, model: ModelKind): Record<string, OptionValue> {
  const pixel = getTask(task).kind === 'pixel';
  const opts: Record<string, OptionValue> = { threads: 1 };
  if (o.quick) opts.quick = true;
  if (o.steps !== undefined) opts.steps = o.steps;
  if (o.backend !== 'auto') opts.backend = o.backend;
  if (pixel) {
    if (o.paperProtocol) Object.assign(opts, PAPER_PIXEL_OPTIONS);
    if (o.latentStep) opts['latent-step'] = o.latentStep;
    if (o.dynamicsWeightDecay !== undefined) opts['dynamics-weight-decay'] = o.dynamicsWeightDecay;
    if (o.projection) opts.projection = o.projection;
    return opts;
  }
  for (const [key, value] of Object.entries(o.train ?? {})) {
    if (value === undefined) continue;
    if (value === null)
      throw new UserError(
        `a queued reproduction passes ${key} as an \`hnn train\` flag, which cannot say null; drop it or run without --queue`,
      );
    opts[key === 'rolloutIntegrator' ? 'latent-step' : kebabCase(key)] = Array.isArray(value) ? value.join(',') : value;
  }
  if (model === 'dhnn')
    for (const [key, value] of Object.entries(givenDissipationOptions(o)))
      opts[DISSIPATION_FLAGS[key as keyof DissipationOptions].slice(2)] = value;
  return opts;
}

export interface QueuedReproduction {
  address: QueueAddress;
  store: string;
  sweep: string;
  validate: RunValidator;
  view: SweepView;
  attempts?: number;
}

export function queuedReproduction(o: ReproduceOptions, q: QueuedReproduction): ExternalRuns {
  const sweep = checkSweepName(q.sweep);
  const models = o.models ?? ['baseline', 'hnn'];
  const runs: PlannedRun[] = o.tasks.flatMap((task) =>
    Array.from({ length: o.seeds }, (_, seed) =>
      models.map((model) => planRun(sweep, q.validate({ task, model, seed, train: reproductionOptions(o, task, model), data: {} }))),
    ).flat(),
  );
  const find = (task: string, seed: number, kind: ModelKind) => {
    const run = runs.find((r) => r.task === task && r.seed === seed && r.model === kind);
    if (!run) throw new Error(`no queued run for ${task} ${kind} seed ${seed}`);
    return runFolder(q.store, run);
  };
  return {
    runDir: find,
    dataDir: (task, seed, kind) => join(find(task, seed, kind), 'dataset'),
    async run() {
      const handle = await openQueue(q.address);
      try {
        const attempts = q.attempts ?? 3;
        const added = await addRuns(handle.queue, runs, attempts);
        console.log(`queue ${q.address.shown}: sweep ${sweep}, ${runs.length} runs (${added} added); runs in ${q.store}/${sweep}/runs/`);
        const records = await waitForRuns(handle.queue, runs, { view: q.view, attempts });
        q.view.stop();
        const failed = records.filter((r) => r.state === 'failed');
        if (failed.length)
          throw new UserError(
            `${failed.length} runs of the reproduction failed (first: ${failed[0].run.name}: ${failed[0].error ?? 'no error recorded'}); fix the cause and resubmit with hnn sweep --retry-failed, or run again`,
          );
      } finally {
        await handle.close();
      }
    },
  };
}
