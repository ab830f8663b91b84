// A real training run against the bench's bare step: `hnn train --task pixel-pendulum --model hnn` (the
// default protocol: the K-frame window loss, its log and checkpoint intervals) as a child process on
// the seed-0 dataset, its ms per update read from its log, each run between two blocks of the bare
// step on the same engine, so that drift in the machine's speed cancels.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PixelModel } from '../../../models/pixel.ts';
import type { PixelSplit } from '../../../datasets/pixel-load.ts';
import type { BenchFrames } from './frames.ts';
import { saveCheckpoint } from '../../train/checkpoint.ts';
import { curveDefinition, firstRows, pixelTrainConfig, type PixelTrainConfig } from '../../train/pixel.ts';
import { OrtTermsEvaluator } from '../../train/engine-ort.ts';
import { pixelPendulumTask } from '../../tasks/builtin/pendulum.ts';
import { CURVE_TEST_ROWS } from '../pixel.ts';
import { BENCH_FILES } from './peer.ts';
import { pixelBenchStep, type BenchStep } from './steps.ts';
import { quantile } from './timing.ts';

export interface LoopOverhead {
  settings: {
    /** the run's command line, less its --data and --out */
    command: string;
    updates: number;
    logEvery: number;
    checkpointEvery: number;
    evalRows: number;
    trainRows: number;
    repeats: number;
    /** bare steps per block around each run */
    blockSteps: number;
    threads: number;
  };
  /** the real runs' ms per update after their first (msPerUpdateAfterFirst), median over the repeats */
  loopMsPerStep: number;
  /** the bare step on the same frames (the bench's default pixel step), median over all its blocks */
  bareStepMs: number;
  /** median over the repeats of (run - bare) / bare, each run against the medians of the bare blocks just before and after it */
  overheadPercent: number;
  loopRunsMs: number[];
  overheadRunsPercent: number[];
  /** one evaluation of evalRows test rows, and one checkpoint write, timed alone */
  evaluationMs: number;
  checkpointMs: number;
}

const median = (xs: number[]) => quantile(xs, 0.5);

/** Settings of benchTrainingLoop: the runs' updates (the protocol's intervals need a few hundred), repeats, threads. */
export interface LoopBenchOptions {
  updates?: number;
  repeats?: number;
  blockSteps?: number;
  threads: number;
  /** The seed-0 dataset the runs and the bare step train on. */
  frames: BenchFrames;
}

/** The bare step's timings: every run's ms, and the median of each block of runs in the order the blocks ran. */
interface BareTimes {
  runs: number[];
  blocks: number[];
}

/**
 * Times real `hnn train` runs against the bare step, both on the seed-0 pixel-pendulum dataset:
 * runs the command `repeats` times, each between two blocks of bare steps on a warmed-up engine;
 * then one evaluation and one checkpoint alone, to say how much of the difference they are.
 */
export async function benchTrainingLoop(o: LoopBenchOptions): Promise<LoopOverhead> {
  const [updates, repeats, blockSteps] = [o.updates ?? 601, o.repeats ?? 5, o.blockSteps ?? 30];
  const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, { steps: updates - 1 });
  const dir = mkdtempSync(join(tmpdir(), 'hnn-bench-run-'));
  try {
    const { data, dir: dataDir } = o.frames;
    const args = ['train', '--task', 'pixel-pendulum', '--model', 'hnn', '--steps', String(updates - 1), '--threads', String(o.threads)];
    const bare = await pixelBenchStep(cfg.loss.rolloutSteps ?? 1, cfg.loss.latentStep, { kind: 'ort', threads: o.threads }, data);
    const { loopRunsMs, bareTimes } = await alternate(bare, blockSteps, repeats, (r) =>
      realRunMsPerStep([...args, '--data', dataDir], join(dir, `run${r}`)),
    );
    const evalRows = Math.min(CURVE_TEST_ROWS, data.test.rows);
    const model = PixelModel.init(cfg.spec, 0);
    const pieces = await timePieces(model, cfg, firstRows(data.test, evalRows, data.test.x.length / data.test.rows), dir, o.threads);
    model.dispose();
    const settings = {
      command: `hnn ${args.join(' ')}`,
      updates,
      logEvery: cfg.logEvery,
      checkpointEvery: cfg.checkpointEvery,
      evalRows,
      trainRows: data.train.rows,
      repeats,
      blockSteps,
      threads: o.threads,
    };
    return overheads(settings, loopRunsMs, bareTimes, pieces);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `repeats` real runs, each after a block of bare steps, and a last block: run r lies between blocks
 * r and r + 1. Disposes the bare step.
 */
async function alternate(bare: BenchStep, blockSteps: number, repeats: number, run: (r: number) => number) {
  const bareTimes: BareTimes = { runs: [], blocks: [] };
  const loopRunsMs: number[] = [];
  try {
    for (let i = 0; i < 3; i++) await bare.run();
    for (let r = 0; r < repeats; r++) {
      await bareBlock(bare, blockSteps, bareTimes);
      loopRunsMs.push(run(r));
    }
    await bareBlock(bare, blockSteps, bareTimes);
  } finally {
    bare.dispose();
  }
  return { loopRunsMs, bareTimes };
}

/** `blockSteps` runs of the bare step, each one's ms and the block's median added to `times`. */
async function bareBlock(bare: BenchStep, blockSteps: number, times: BareTimes): Promise<void> {
  const block: number[] = [];
  for (let i = 0; i < blockSteps; i++) {
    const t = performance.now();
    await bare.run();
    block.push(performance.now() - t);
  }
  times.runs.push(...block);
  times.blocks.push(median(block));
}

/** Runs `hnn ARGS --out OUT --quiet` to the end and returns its ms per update after the first (msPerUpdateAfterFirst of its log). */
function realRunMsPerStep(args: string[], out: string): number {
  const child = spawnSync(process.execPath, [BENCH_FILES.hnnBin, ...args, '--out', out, '--quiet'], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`bench: hnn ${args.join(' ')} failed (exit ${child.status}): ${child.stderr.trim()}`);
  return msPerUpdateAfterFirst(readFileSync(join(out, 'log.jsonl'), 'utf8'));
}

/**
 * A run's ms per update from its log.jsonl: from the record of update 0 to the last step record,
 * over the updates between. That leaves out the first update (a new session's first run and the
 * first evaluation: one-time costs that a run of thousands of updates does not feel) and keeps the
 * evaluations and checkpoints at the protocol's intervals.
 */
export function msPerUpdateAfterFirst(logText: string): number {
  const steps = logText
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { time: string; event: string; step?: number })
    .filter((r) => r.event === 'step');
  const [first, last] = [steps[0], steps[steps.length - 1]];
  if (first?.step !== 0 || last.step === undefined || last.step < 1) throw new Error('bench: the run logged no step after its first');
  return (Date.parse(last.time) - Date.parse(first.time)) / last.step;
}

/** The runs' difference from the bare step: each run against the bare blocks just before and after it. */
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

/** One evaluation of `test` as the run's curve makes it (on ONNX Runtime) and one checkpoint write, timed alone on a new model. */
async function timePieces(model: PixelModel, cfg: PixelTrainConfig, test: PixelSplit, dir: string, threads: number) {
  const { def, data } = curveDefinition(model, cfg, test);
  const curve = await OrtTermsEvaluator.create(def, data, { provider: 'cpu', threads });
  const weights = model.variables().map((v) => v.dataSync() as Float32Array);
  await curve.terms(weights); // a new session's first run
  const t0 = performance.now();
  await curve.terms(weights);
  const evaluationMs = performance.now() - t0;
  curve.dispose();
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
