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

/** The main job's task: the paper's pixel experiment. */
export const MAIN_TASK = pixelPendulumTask;
import { CHECKPOINT_FILE, runPixelExperiment } from './pixel.ts';
import { pixelProtocolMismatch, type PixelMetrics } from './pixel-metrics.ts';
import { loadPixelDataset, type PixelDataset } from '../../datasets/pixel-load.ts';
import { readMetrics } from './metrics.ts';
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

async function mainJobIn(opts: MainJobOptions): Promise<MainJobSummary> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const steps = opts.steps ?? MAIN_JOB_STEPS;
  const seed = opts.seed ?? 0;
  const say = (s: string) => {
    if (!opts.quiet) process.stdout.write(s + '\n');
  };
  const backend = await initBackend(opts.backend ?? 'auto');
  say(
    `hnn-ts main job: ${MAIN_TASK.name}, HNN vs baseline, ${steps} training steps per model${steps < MAIN_TASK.train.steps ? ` (reduced from the protocol's ${MAIN_TASK.train.steps} to finish in minutes; \`hnn train --task ${MAIN_TASK.name}\` runs the full protocol)` : ''}, ${MAIN_JOB_LATENT_STEP} latent steps (the default for full runs: ${MAIN_TASK.train.latentStep}), ${describeBackend(backend, threadsFor(Math.min(2, opts.jobs ?? defaultJobs())))} per model`,
  );

  const dataDir = join(outDir, 'dataset');
  if (opts.force || !datasetReady(dataDir)) {
    say(`generating the dataset in ${dataDir}`);
    await generatePixelDataset(MAIN_TASK, { out: dataDir, seed, quiet: opts.quiet, force: true });
  } else {
    say(`reusing the dataset in ${dataDir}`);
  }

  const models = {} as MainJobSummary['models'];
  const toTrain: Array<{ kind: ModelKind; dir: string; resume: boolean }> = [];
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
  // the models train side by side, one per core (each worker has its own wasm backend); when the
  // first finishes, its core reads the dataset for the video while the other model still trains
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
          // the models train side by side: each gets its share of the cores
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
    `  ${name.padEnd(9)} test loss ${e(m.testLoss.mean)} +- ${e(m.testLoss.sem)}   energy MSE ${e(m.energyMse.mean)} +- ${e(m.energyMse.ci)}   VPT ${m.vpt} frames (mean ${m.vptMean.toFixed(1)}, median ${m.vptMedian} over ${m.vptPerTrial.length} test trials)   ${m.msPerStep.toFixed(0)} ms/step`;
  const ratio = b.energyMse.mean / h.energyMse.mean;
  const lines = [
    '',
    `${MAIN_TASK.name}, ${s.steps} steps per model${s.steps < s.protocolSteps ? ` (reduced; protocol ${s.protocolSteps})` : ''}, ${s.backend}, done in ${formatSeconds(s.seconds)}`,
    row('HNN', h),
    row('baseline', b),
    `  energy MSE: the HNN's is ${!Number.isFinite(ratio) ? '?' : ratio >= 1 ? `${ratio.toFixed(1)} times below` : `${(1 / ratio).toFixed(1)} times above`} the baseline's${paperEnergy()}`,
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
