// `npm start`: the pixel pendulum end to end on a default that finishes within about 10 minutes on
// a 2-core machine: generate the dataset, train the HNN and the baseline (fewer steps than the
// protocol's 10000, said in the output), write the rollout video and plots, print where they are
// and the headline metrics (formatSummary). Rerunning reuses finished parts and resumes an interrupted training.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatePixelDataset } from '../../datasets/pixel.ts';
import { readManifest } from '../../datasets/format.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { formatSeconds } from '../util/progress.ts';
import { moveAside, writeJsonAtomic } from '../util/files.ts';
import { claimOutput, markOutput } from '../util/output.ts';
import { defaultJobs, runJobs } from './workers.ts';
import { hasFfmpeg } from '../media/video.ts';
import { describeBackend, initBackend, threadsFor } from '../tf/backend.ts';
import { pixelPendulumTask } from '../tasks/builtin/pendulum.ts';
import { withSpread } from '../eval/stats.ts';

/** The main job's task: the paper's pixel experiment. */
export const MAIN_TASK = pixelPendulumTask;
import { CHECKPOINT_FILE, runPixelExperiment } from './pixel.ts';
import { pixelProtocolMismatch, type PixelMetrics } from './pixel-metrics.ts';
import { loadPixelDataset, type PixelDataset } from '../../datasets/pixel-load.ts';
import { learnedNothing, readMetrics } from './metrics.ts';
import { runRollout, type RolloutResult } from './rollout.ts';

/** Steps per model for `npm start` (measured: see README); the protocol's are MAIN_TASK.train.steps. */
export const MAIN_JOB_STEPS = 3000;

/**
 * The main job's latent step: Euler, not the pixel tasks' default leapfrog. A leapfrog window step
 * costs 1.4 to 1.7x an Euler one here (`npm run bench`); with it `npm start` took 6 min 16 s;
 * full runs (`hnn train`, `hnn reproduce --pixels`) use the default.
 */
export const MAIN_JOB_LATENT_STEP = 'euler' as const;

export interface MainJobOptions {
  outDir: string;
  /** Training steps per model (default MAIN_JOB_STEPS). */
  steps?: number;
  seed?: number;
  backend?: string;
  quiet?: boolean;
  /** Retrain even when finished results are present. */
  force?: boolean;
  /** Models trained at once (default: the machine's cores). */
  jobs?: number;
}

export interface MainJobSummary {
  outDir: string;
  steps: number;
  protocolSteps: number;
  seconds: number;
  backend: string;
  dataset: string;
  models: Record<ModelKind, { dir: string; metrics: PixelMetrics; reused: boolean }>;
  rollout: RolloutResult;
}

export async function runMainJob(opts: MainJobOptions): Promise<MainJobSummary> {
  const claim = claimOutput(opts.outDir, 'main-job', 'hnn start');
  try {
    markOutput(claim.dir, 'main-job');
    if (!opts.quiet) for (const n of claim.recovered) process.stdout.write(n + '\n');
    return await mainJobIn(opts);
  } finally {
    claim.release();
  }
}

/**
 * The job inside its claimed output folder: the dataset, the two models (reused when finished with
 * this job's settings, else trained side by side), the rollout video and plots, and summary.json,
 * saying each step on stdout unless quiet. Returns the summary; the caller prints formatSummary.
 */
async function mainJobIn(opts: MainJobOptions): Promise<MainJobSummary> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const steps = opts.steps ?? MAIN_JOB_STEPS;
  const seed = opts.seed ?? 0;
  const say = (s: string) => {
    if (!opts.quiet) process.stdout.write(s + '\n');
  };
  const backend = await initBackend(opts.backend ?? 'auto');
  say(headline(steps, describeBackend(backend, threadsFor(Math.min(2, opts.jobs ?? defaultJobs())))));

  const dataDir = join(outDir, 'dataset');
  if (opts.force || !datasetReady(dataDir)) {
    say(`generating the dataset in ${dataDir}`);
    await generatePixelDataset(MAIN_TASK, { out: dataDir, seed, quiet: opts.quiet, force: true });
  } else {
    say(`reusing the dataset in ${dataDir}`);
  }

  const { models, toTrain } = planModels(outDir, steps, seed, opts, say);
  const job: TrainingJob = { dataDir, seed, steps, opts };
  const dataset = await trainModels(toTrain, job, models);

  const video = join(outDir, 'videos', hasFfmpeg() ? 'rollout.mp4' : 'rollout.gif');
  say('rolling out both models from the first test pair');
  const rollout = await runRollout({
    modelDirs: { hnn: join(models.hnn.dir, 'model'), baseline: join(models.baseline.dir, 'model') },
    dataDir,
    dataset,
    out: video,
    plotsDir: join(outDir, 'plots'),
    backend: opts.backend,
    quiet: true,
    force: true, // the job's own video, remade from the same models
  });
  const summary: MainJobSummary = {
    outDir,
    steps,
    protocolSteps: MAIN_TASK.train.steps,
    seconds: (performance.now() - t0) / 1000,
    backend: backend.name,
    dataset: dataDir,
    models,
    rollout,
  };
  writeJsonAtomic(join(outDir, 'summary.json'), summary);
  // the caller prints formatSummary(summary) (the CLI does, also with --quiet)
  return summary;
}

/** The job's first line: the task, the steps per model (and that they are fewer than the protocol's), the latent step and the backend (`backend`, described). */
function headline(steps: number, backend: string): string {
  const reduced =
    steps < MAIN_TASK.train.steps
      ? ` (reduced from the protocol's ${MAIN_TASK.train.steps} to finish in minutes; \`hnn train --task ${MAIN_TASK.name}\` runs the full protocol)`
      : '';
  return `hnn-ts main job: ${MAIN_TASK.name}, HNN vs baseline, ${steps} training steps per model${reduced}, ${MAIN_JOB_LATENT_STEP} latent steps (the default for full runs: ${MAIN_TASK.train.latentStep}), ${backend} per model`;
}

/** A model still to train: its kind, its run folder, and whether it resumes the checkpoint there. */
interface ToTrain {
  kind: ModelKind;
  dir: string;
  resume: boolean;
}

/**
 * Which models to train, HNN then baseline: a finished run in OUT/KIND is reused when it ran this
 * job's steps, seed and latent step (and not --force); one that does not fit is moved aside and
 * retrained; an unfinished one resumes from its checkpoint (unless --force). Says each decision.
 * Returns the reused models and the ones to train, in that order.
 */
function planModels(
  outDir: string,
  steps: number,
  seed: number,
  opts: MainJobOptions,
  say: (s: string) => void,
): { models: MainJobSummary['models']; toTrain: ToTrain[] } {
  const models = {} as MainJobSummary['models'];
  const toTrain: ToTrain[] = [];
  for (const kind of ['hnn', 'baseline'] as const) {
    const dir = join(outDir, kind);
    const done = join(dir, 'metrics.json');
    if (!opts.force && existsSync(done)) {
      const m = readMetrics<PixelMetrics>(done);
      const unfit =
        m.steps !== steps
          ? `it ran ${m.steps} steps, this job runs ${steps}`
          : m.seed !== seed
            ? `its seed is ${m.seed}, this job's ${seed}`
            : pixelProtocolMismatch(m, { latentStep: MAIN_JOB_LATENT_STEP });
      if (!unfit) {
        say(`reusing the trained ${kind} in ${dir}`);
        models[kind] = { dir, metrics: m, reused: true };
        continue;
      }
      say(`the finished ${kind} in ${dir} does not fit (${unfit}): kept as ${moveAside(dir)}`);
    }
    const resume = !opts.force && existsSync(join(dir, CHECKPOINT_FILE));
    say(`${resume ? 'resuming' : 'training'} the ${kind} (${steps} steps) in ${dir}`);
    toTrain.push({ kind, dir, resume });
  }
  return { models, toTrain };
}

/** What every model of the job trains with. */
interface TrainingJob {
  dataDir: string;
  seed: number;
  steps: number;
  opts: MainJobOptions;
}

/**
 * Trains `toTrain` side by side, one per core (each worker has its own wasm backend and its share of
 * the cores), and adds each one's metrics to `models`. When the first finishes while another still
 * trains on a second core, this process reads the dataset for the video meanwhile: returned (else
 * undefined, and the rollout reads it).
 */
async function trainModels(toTrain: ToTrain[], job: TrainingJob, models: MainJobSummary['models']): Promise<PixelDataset | undefined> {
  const { dataDir, seed, steps, opts } = job;
  let dataset: PixelDataset | undefined;
  let finished = 0;
  const trained = await runJobs(
    toTrain.map(({ kind, dir, resume }) => ({
      name: 'pixelRun' as const,
      args: [
        {
          task: MAIN_TASK.name,
          kind,
          seed,
          steps,
          dataDir,
          outDir: dir,
          backend: opts.backend,
          threads: threadsFor(Math.min(toTrain.length, opts.jobs ?? defaultJobs())),
          force: !resume,
          resume,
          quiet: opts.quiet,
          loss: { latentStep: MAIN_JOB_LATENT_STEP },
        },
      ] as [Parameters<typeof runPixelExperiment>[0] & { task: string }],
    })),
    opts.jobs,
    () => {
      if (++finished === 1 && toTrain.length > 1 && (opts.jobs ?? defaultJobs()) > 1) dataset = loadPixelDataset(dataDir, MAIN_TASK);
    },
  );
  toTrain.forEach(({ kind, dir }, i) => (models[kind] = { dir, metrics: trained[i]!, reused: false }));
  return dataset;
}

function datasetReady(dir: string): boolean {
  try {
    return readManifest(dir).kind === MAIN_TASK.name;
  } catch {
    return false;
  }
}

const e = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

export function formatSummary(s: MainJobSummary): string {
  const h = s.models.hnn.metrics;
  const b = s.models.baseline.metrics;
  const row = (name: string, m: PixelMetrics) =>
    `  ${name.padEnd(9)} test loss ${e(m.testLoss.mean)} +- ${e(m.testLoss.sem)}   energy MSE ${withSpread(m.energyMse.mean, m.energyMse.ci, e)}   VPT ${m.vpt} frames (mean ${m.vptMean.toFixed(1)}, median ${m.vptMedian} over ${m.vptPerTrial.length} test trials)   ${m.msPerStep.toFixed(0)} ms/step`;
  const ratio = b.energyMse.mean / h.energyMse.mean;
  const nothing = (name: string, m: PixelMetrics) => {
    const n = learnedNothing(m);
    return n ? [`  WARNING: the ${name} learned nothing: ${n.why}, so its rollout metrics measure nothing it learned (${n.reason})`] : [];
  };
  const warnings = [...nothing('HNN', h), ...nothing('baseline', b)];
  const lines = [
    '',
    `${MAIN_TASK.name}, ${s.steps} steps per model${s.steps < s.protocolSteps ? ` (reduced; protocol ${s.protocolSteps})` : ''}, ${s.backend}, done in ${formatSeconds(s.seconds)}`,
    row('HNN', h),
    row('baseline', b),
    ...warnings,
    warnings.length
      ? '  energy MSE: not compared (a model learned nothing; train longer)'
      : `  energy MSE: the HNN's is ${!Number.isFinite(ratio) ? '?' : ratio >= 1 ? `${ratio.toFixed(1)} times below` : `${(1 / ratio).toFixed(1)} times above`} the baseline's${paperEnergy()}`,
    '',
    'outputs:',
    ...s.rollout.videos.map((v) => `  video   ${v}  (truth | baseline | HNN)`),
    ...(s.rollout.phasePlot ? [`  plot    ${s.rollout.phasePlot}  (learned H, encoded test trajectory)`] : []),
    `  plot    ${s.rollout.energyPlot}  (energy over time)`,
    `  plots   ${join(s.models.hnn.dir, 'plots', 'loss.png')}, ${join(s.models.baseline.dir, 'plots', 'loss.png')}  (loss curves)`,
    `  metrics ${join(s.models.hnn.dir, 'metrics.json')}, ${join(s.models.baseline.dir, 'metrics.json')}`,
    `  models  ${join(s.models.hnn.dir, 'model')}, ${join(s.models.baseline.dir, 'model')}`,
    ...s.rollout.notes.map((n) => `  note: ${n}`),
  ];
  return lines.join('\n');
}

/** The published energy MSEs of the main task, for the summary line. */
function paperEnergy(): string {
  const p = MAIN_TASK.published;
  if (!p) return '';
  const e = (v: number) => (v / p.scale).toExponential(2);
  return ` (paper, full protocol: ${e(p.energyHnn[0])} vs ${e(p.energyBaseline[0])})`;
}
