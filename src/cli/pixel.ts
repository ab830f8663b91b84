// The pixel side of the CLI: `train --task <pixel task>`, `rollout`, `start`.
import { resolve } from 'node:path';
import { MODEL_KINDS, type ModelKind } from '../../models/kinds.ts';
import type { LatentStep, PixelEncoder, PixelLossConfig } from '../../models/pixel.ts';
import type { RolloutIntegrator } from '../eval/pixel.ts';
import type { RolloutProjection } from '../eval/integrators.ts';
import { dissipationLines } from '../eval/dissipation.ts';
import { withSpread } from '../eval/stats.ts';
import { fullBatchNote, inputColumnsNote, learnedNothingWarning } from './train-summary.ts';
import { formatSummary, runMainJob } from '../pipeline/main-job.ts';
import { runPixelExperiment } from '../pipeline/pixel.ts';
import { checkRolloutRequest, findPixelModels, pixelModelFolder, runRollout, type ModelDirs } from '../pipeline/rollout.ts';
import { UserError } from '../util/errors.ts';
import type { PixelTask } from '../tasks/task.ts';
import type { ImportedPixelMetrics } from '../pipeline/import-metrics.ts';

const e = (v: number) => (Number.isFinite(v) ? v.toExponential(3) : String(v));

export async function runPixelTrainCommand(o: {
  task: PixelTask;
  model: ModelKind;
  seed: number;
  steps?: number;
  data?: string;
  out: string;
  backend: string;
  resume?: boolean;
  latentStep?: LatentStep;
  hnnWeight?: number;
  consistencyWeight?: number;
  rolloutSteps?: number;
  encoder?: PixelEncoder;
  context?: number;
  dynamicsWeightDecay?: number;
  projection?: RolloutProjection;
  threads?: number;
  checkpointEvery?: number;
  /** --lr, --batch-size, --weight-decay, --hidden (checked by the schema) */
  train?: { lr?: number; batchSize?: number; weightDecay?: number; hidden?: number };
  force?: boolean;
  quiet?: boolean;
}): Promise<void> {
  const { metrics, importedMetrics } = await runPixelExperiment({
    train: o.train,
    task: o.task,
    kind: o.model,
    seed: o.seed,
    steps: o.steps,
    dataDir: o.data ? resolve(o.data) : undefined,
    outDir: o.out,
    backend: o.backend,
    force: o.force,
    resume: o.resume,
    quiet: o.quiet,
    loss: lossOverrides(o),
    encoder: o.encoder,
    context: o.context,
    dynamicsWeightDecay: o.dynamicsWeightDecay,
    projection: o.projection,
    threads: o.threads,
    checkpointEvery: o.checkpointEvery,
  });
  if (importedMetrics) console.log(importedSummary(importedMetrics, o.out));
  if (!metrics) return;
  console.log(
    [
      `${metrics.task} ${metrics.model} (seed ${metrics.seed}, ${metrics.updates} updates, backend ${metrics.backend}, ${metrics.msPerStep.toFixed(1)} ms/step, ${metrics.trainSeconds.toFixed(0)} s)`,
      ...fullBatchNote(metrics),
      ...inputColumnsNote(metrics),
      `  train loss ${e(metrics.trainLoss.mean)} +- ${e(metrics.trainLoss.sem)}   test loss ${e(metrics.testLoss.mean)} +- ${e(metrics.testLoss.sem)}`,
      ...learnedNothingWarning(metrics),
      `  energy MSE ${withSpread(metrics.energyMse.mean, metrics.energyMse.ci, e)}   VPT ${metrics.vpt} frames`,
      ...(metrics.dissipation ? dissipationLines(metrics.dissipation) : []),
      `  wrote ${o.out}/metrics.json, ${o.out}/model/, ${o.out}/log.jsonl, ${o.out}/plots/`,
    ].join('\n'),
  );
}

function importedSummary(m: ImportedPixelMetrics, out: string): string {
  const drift = m.learnedEnergyDrift;
  return [
    `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(0)} s)`,
    `  train loss ${e(m.trainLoss.mean)} +- ${e(m.trainLoss.sem)}   test loss ${e(m.testLoss.mean)} +- ${e(m.testLoss.sem)}`,
    ...learnedNothingWarning(m),
    `  VPT median ${m.vptMedian} of ${m.rollout.frames} frames (mean ${m.vptMean.toFixed(1)})   pixel MSE ${withSpread(m.pixelMse.mean, m.pixelMse.ci, e)}`,
    `  against its own reconstructions (MSE ${e(m.reconMse)} from the frames): VPT median ${m.vptRecon.median} (mean ${m.vptRecon.mean.toFixed(1)})`,
    `  learned H drift ${drift ? `${e(drift.latent.mean)} (latent), ${e(drift.reencoded.mean)} (re-encoded frames), in std of H` : 'n/a (the baseline learns no H)'}`,
    `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
  ].join('\n');
}

/** The loss settings given on the command line (the rest stay at the protocol's). */
function lossOverrides(o: {
  latentStep?: LatentStep;
  hnnWeight?: number;
  consistencyWeight?: number;
  rolloutSteps?: number;
}): Partial<PixelLossConfig> | undefined {
  const over: Partial<PixelLossConfig> = {};
  if (o.latentStep) over.latentStep = o.latentStep;
  if (o.rolloutSteps !== undefined) over.rolloutSteps = o.rolloutSteps;
  if (o.hnnWeight !== undefined) over.hnn = o.hnnWeight;
  if (o.consistencyWeight !== undefined) over.consistency = o.consistencyWeight;
  return Object.keys(over).length ? over : undefined;
}

/** What `hnn rollout` takes (src/cli/rollout.ts): the model folders, the data and the rollout's settings. */
export interface RolloutCommandOptions {
  model?: string;
  hnn?: string;
  baseline?: string;
  dhnn?: string;
  data?: string;
  out: string;
  frames: number;
  integrator?: RolloutIntegrator;
  projection?: RolloutProjection;
  trial: number;
  backend: string;
  force?: boolean;
  quiet?: boolean;
}

export async function runRolloutCommand(o: RolloutCommandOptions): Promise<void> {
  checkRolloutRequest({ frames: o.frames, integrator: o.integrator, out: resolve(o.out), force: o.force });
  // --model names one trained model; the other kinds are taken from --hnn / --baseline / --dhnn
  const dirs: ModelDirs = {};
  for (const k of MODEL_KINDS) if (o[k]) dirs[k] = pixelModelFolder(resolve(o[k]));
  if (o.model) {
    // a model folder, an experiment folder, or a run folder holding several models
    const found = findPixelModels(resolve(o.model));
    for (const k of MODEL_KINDS) dirs[k] ??= found[k];
  }
  if (Object.keys(dirs).length === 0)
    throw new UserError('rollout needs a trained pixel model: pass --model DIR (and optionally --baseline DIR / --hnn DIR)');
  const res = await runRollout({
    modelDirs: dirs,
    dataDir: o.data && resolve(o.data),
    out: resolve(o.out),
    frames: o.frames,
    integrator: o.integrator,
    projection: o.projection,
    trial: o.trial,
    backend: o.backend,
    quiet: o.quiet,
    force: o.force,
  });
  for (const v of res.videos) console.log(`video ${v}`);
  if (res.phasePlot) console.log(`plot  ${res.phasePlot}`);
  console.log(`plot  ${res.energyPlot}`);
  for (const [name, s] of Object.entries(res.scores))
    console.log(
      `${name}: VPT ${s.vpt} frames, energy MSE ${e(s.energyMse)}, swing period ${s.periodRatio === null ? 'n/a (fewer than two swings)' : `x${s.periodRatio.toFixed(3)} the true one`}`,
    );
  if (res.imported) console.log(comparisonLines(res.imported));
  for (const n of res.notes) console.log(`note: ${n}`);
}

/** The comparison of models on an imported dataset, one line per model. */
function comparisonLines(c: NonNullable<Awaited<ReturnType<typeof runRollout>>['imported']>): string {
  const lines = [`over ${c.trials} held-out trials, ${c.frames} frames each:`];
  for (const [k, m] of Object.entries(c.models))
    lines.push(
      `${k}: VPT median ${m.vptMedian} (mean ${m.vptMean.toFixed(1)}), against its reconstructions ${m.vptReconMedian}, pixel MSE ${e(m.pixelMseMean)} (reconstructions ${e(m.reconMseMean)}), drift of the ${c.reference ?? 'HNN'}'s H ${m.hDrift ? e(m.hDrift.mean) : 'n/a'}`,
    );
  if (c.truthHDrift) lines.push(`truth: drift of the ${c.reference}'s H ${e(c.truthHDrift.mean)}`);
  return lines.join('\n');
}

/** What `hnn start` takes (src/cli/start.ts). */
export interface StartCommandOptions {
  out: string;
  steps?: number;
  jobs?: number;
  backend: string;
  force?: boolean;
  quiet?: boolean;
}

export async function runStartCommand(o: StartCommandOptions): Promise<void> {
  const summary = await runMainJob({
    outDir: resolve(o.out),
    steps: o.steps,
    jobs: o.jobs,
    backend: o.backend,
    force: o.force,
    quiet: o.quiet,
  });
  console.log(formatSummary(summary));
}
