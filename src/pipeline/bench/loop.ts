// The training loop's overhead over its bare step: trainPixelModel with the default protocol (the
// K-frame window loss that `hnn train` and `npm start` run) on random frames, runs of a few hundred
// updates at the protocol's log and checkpoint intervals, alternating with blocks of the bare step on
// the same engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PixelModel } from '../../../models/pixel.ts';
import { saveCheckpoint } from '../../train/checkpoint.ts';
import { pixelTrainConfig, splitSampleLosses, trainPixelModel, type PixelTrainConfig } from '../../train/pixel.ts';
import { type PixelData } from '../../../datasets/pixel-load.ts';
import { pixelPendulumTask } from '../../tasks/builtin/pendulum.ts';
import { pixelBenchStep, randomPixelData, type BenchStep } from './steps.ts';
import { quantile } from './timing.ts';

export interface LoopOverhead {
  settings: {
    updates: number;
    logEvery: number;
    checkpointEvery: number;
    evalRows: number;
    trainRows: number;
    repeats: number;
    threads: number;
  };
  /**
   * trainPixelModel's own ms per update (batching, steps, evaluations, checkpoints) after its first
   * update, median over the repeats: the first (a new session's first run and the first evaluation)
   * is a one-time cost that a run of thousands of updates does not feel
   */
  loopMsPerStep: number;
  /** the bare step on a fixed batch, median over blocks run between the loop runs */
  bareStepMs: number;
  /** median over the repeats of (loop - bare) / bare, each loop run against the bare blocks just before and after it */
  overheadPercent: number;
  loopRunsMs: number[];
  overheadRunsPercent: number[];
  /** one evaluation of evalRows test rows, and one checkpoint write, timed alone */
  evaluationMs: number;
  checkpointMs: number;
}

const median = (xs: number[]) => quantile(xs, 0.5);

/**
 * Settings of benchTrainingLoop. The defaults run the protocol's own intervals (an evaluation every 200
 * updates, a checkpoint every 250), so the overhead is measured, not extrapolated: shorter intervals
 * cost more than their pieces timed alone (each evaluation leaves the next steps a cold cache).
 */
export interface LoopBenchOptions {
  updates?: number;
  logEvery?: number;
  checkpointEvery?: number;
  repeats?: number;
  threads: number;
}

/** The bare step's timings: every run's ms, and the median of each block of runs in the order the blocks ran. */
interface BareTimes {
  runs: number[];
  blocks: number[];
}

/**
 * Times trainPixelModel's whole loop against its bare step: repeats runs of the loop, each between
 * two blocks of bare steps on a warmed-up engine, so drift in the machine's speed cancels; then one
 * evaluation and one checkpoint alone, to say how much of the overhead they are.
 */
export async function benchTrainingLoop(o: LoopBenchOptions): Promise<LoopOverhead> {
  const [updates, logEvery, checkpointEvery, repeats] = [o.updates ?? 401, o.logEvery ?? 200, o.checkpointEvery ?? 250, o.repeats ?? 3];
  const data = randomPixelData();
  const cfg = {
    ...pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, { steps: updates - 1, logEvery, checkpointEvery }),
    threads: o.threads,
  };
  const K = cfg.loss.rolloutSteps ?? 1;
  const bare = await pixelBenchStep(K, cfg.loss.latentStep, { kind: 'ort', threads: o.threads });
  for (let i = 0; i < 3; i++) await bare.run();
  const bareTimes: BareTimes = { runs: [], blocks: [] };
  const dir = mkdtempSync(join(tmpdir(), 'hnn-bench-loop-'));
  try {
    const { loopRunsMs, trained } = await alternateRuns(cfg, data, dir, repeats, bare, bareTimes);
    bare.dispose();
    const pieces = timePieces(trained!, data, cfg.loss, dir);
    trained!.dispose();
    const settings = {
      updates,
      logEvery,
      checkpointEvery,
      evalRows: data.test.rows,
      trainRows: data.train.rows,
      repeats,
      threads: o.threads,
    };
    return overheads(settings, loopRunsMs, bareTimes, pieces);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ten runs of the bare step, each one's ms and the block's median added to `times`. */
async function bareBlock(bare: BenchStep, times: BareTimes): Promise<void> {
  const block: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await bare.run();
    block.push(performance.now() - t);
  }
  times.runs.push(...block);
  times.blocks.push(median(block));
}

/**
 * `repeats` loop runs, each after a bare block, and a last bare block: loop run r lies between
 * bare blocks r and r + 1. Returns each run's ms per update and the last run's model (the caller disposes it).
 */
async function alternateRuns(
  cfg: PixelTrainConfig,
  data: PixelData,
  dir: string,
  repeats: number,
  bare: BenchStep,
  bareTimes: BareTimes,
): Promise<{ loopRunsMs: number[]; trained: PixelModel | null }> {
  const loopRunsMs: number[] = [];
  let trained: PixelModel | null = null;
  for (let r = 0; r < repeats; r++) {
    await bareBlock(bare, bareTimes);
    const run = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'checkpoint.bin'), evalRows: data.test.rows });
    loopRunsMs.push((1000 * run.seconds - run.firstStepMs) / (run.lastStep - 1));
    trained?.dispose();
    trained = run.model;
  }
  await bareBlock(bare, bareTimes);
  return { loopRunsMs, trained };
}

/** The loop's overhead over the bare step: each run against the bare blocks just before and after it. */
function overheads(
  settings: LoopOverhead['settings'],
  loopRunsMs: number[],
  bareTimes: BareTimes,
  pieces: { evaluationMs: number; checkpointMs: number },
): LoopOverhead {
  const [bareStepMs, loopMsPerStep] = [median(bareTimes.runs), median(loopRunsMs)];
  const around = (r: number) => (bareTimes.blocks[r] + bareTimes.blocks[r + 1]) / 2;
  const overheadRunsPercent = loopRunsMs.map((ms, r) => (100 * (ms - around(r))) / around(r));
  return { settings, loopMsPerStep, bareStepMs, overheadPercent: median(overheadRunsPercent), loopRunsMs, overheadRunsPercent, ...pieces };
}

/** One evaluation and one checkpoint write, timed alone on a trained model. */
function timePieces(model: PixelModel, data: PixelData, loss: Parameters<typeof splitSampleLosses>[2], dir: string) {
  const t0 = performance.now();
  splitSampleLosses(model, data.test, loss);
  const evaluationMs = performance.now() - t0;
  const zeros = model.variables().map((v) => new Float32Array(v.size));
  const t1 = performance.now();
  saveCheckpoint(join(dir, 'alone.bin'), {
    step: 1,
    weights: model.read(),
    adam: { t: 1, m: zeros, v: zeros },
    rng: [0],
    meta: {},
    elapsed: 0,
  });
  return { evaluationMs, checkpointMs: performance.now() - t1 };
}
