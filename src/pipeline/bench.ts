// `npm run bench`: speed and memory of the hot paths, as JSON plus a table (on stderr, so that
// stdout stays one JSON document). The three headline training steps are measured side by side
// with a PyTorch implementation of the same steps (bench/torch_steps.py) run as a subprocess:
// blocks of our steps alternate with blocks of its steps, after the same warm-up, and each side's
// median is over all its blocks, so both are measured in the same minutes on this noisy shared
// machine. Without a python that has torch, ours are timed alone and the report says so.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { DynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { PixelModel } from '../../models/pixel.ts';
import { benchRenderer } from '../../renderer/bench.ts';
import { initBackend } from '../tf/backend.ts';
import { Adam } from '../train/adam.ts';
import { saveCheckpoint } from '../train/checkpoint.ts';
import {
  makeWindowStep,
  pixelAdam,
  pixelTrainConfig,
  splitSampleLosses,
  trainPixelModel,
  windowsPerStep,
  type PixelData,
} from '../train/pixel.ts';
import { makePixelStep, makeStateStep } from '../train/steps.ts';
import { pixelPendulumTask } from '../systems/pendulum.ts';
import type { LatentStep } from '../../models/kinds.ts';
import { MAIN_JOB_LATENT_STEP } from './main-job.ts';
import { Rng } from '../util/rng.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { packageFile } from '../util/package-root.ts';

// from the package root: this module runs from src/pipeline/ (tests) and from dist/src/pipeline/ (the command)
/** The PyTorch peer's script and the command whose start-up is timed. */
export const BENCH_FILES = { torchScript: packageFile('bench/torch_steps.py'), hnnBin: packageFile('bin/hnn.js') };
const TORCH_SCRIPT = BENCH_FILES.torchScript;
const HNN_BIN = BENCH_FILES.hnnBin;

export interface TimedSide {
  medianMs: number;
  p90Ms: number;
  /** flopsPerStep / medianMs: the matMul work of our step done in the median time */
  gflops: number;
  steps: number;
}

export interface StepBench extends TimedSide {
  name: string;
  /** matMul FLOPs of one of our steps (from the profiler's kernel shapes) */
  flopsPerStep: number;
  /** kernels tf.profile records for one of our steps (every entry, op wrappers included) */
  kernelsPerStep: number;
  /** kernel name -> [calls, ms] for one step */
  kernels: Record<string, [number, number]>;
  tensorsLeakedPerStep: number;
  /** the same step in PyTorch, timed in alternating blocks with ours (null: no peer for this step) */
  torch: TimedSide | null;
  /** our median / torch's median */
  ratio: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

/** matMul FLOPs and kernel counts of one call of `step`, from tf.profile. */
export async function profileStep(step: () => void): Promise<{ flops: number; count: number; kernels: Record<string, [number, number]> }> {
  const prof = await tf.profile(() => step());
  let flops = 0;
  const kernels: Record<string, [number, number]> = {};
  for (const k of prof.kernels) {
    const entry = (kernels[k.name] ??= [0, 0]);
    entry[0] += 1;
    entry[1] += Number(k.kernelTimeMs) || 0;
    if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
      const [a, b] = k.inputShapes as number[][];
      const out = k.outputShapes[0] as number[];
      const inner = a[a.length - 1] === b[b.length - 2] || a[a.length - 1] === b[b.length - 1] ? a[a.length - 1] : a[a.length - 2];
      flops += 2 * out.reduce((x, y) => x * y, 1) * inner;
    }
  }
  for (const e of Object.values(kernels)) e[1] = Number(e[1].toFixed(3));
  const sorted = Object.fromEntries(Object.entries(kernels).sort((a, b) => b[1][1] - a[1][1]));
  return { flops, count: prof.kernels.length, kernels: sorted };
}

// ---------------------------------------------------------------------------------------------
// The PyTorch peer

interface TorchInfo {
  torch: string;
  python: string;
  threads: number;
  blas: string | null;
  cpuCapability: string | null;
  mkldnn: boolean;
}

/** Pythons to try for the peer, in order: $HNN_BENCH_PYTHON, python3 on PATH (may lack torch), Debian's. */
function pythonCandidates(): string[] {
  const env = process.env.HNN_BENCH_PYTHON;
  return [...(env ? [env] : []), 'python3', '/usr/bin/python3'];
}

/** bench/torch_steps.py in a subprocess, one JSON line per command. */
export class TorchPeer {
  private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private dead: Error | null = null;

  private constructor(
    readonly python: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        const reply = JSON.parse(line) as { error?: string };
        if (reply.error) w.reject(new Error(`torch peer: ${reply.error}`));
        else w.resolve(reply);
      } catch {
        w.reject(new Error(`torch peer sent "${line}"`));
      }
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.on('exit', (code) => {
      this.dead = new Error(`torch peer exited (code ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.dead);
    });
  }

  /** The first of `candidates` (default HNN_BENCH_PYTHON, python3, /usr/bin/python3) that imports torch; or why none. */
  static start(candidates = pythonCandidates()): TorchPeer | string {
    for (const python of candidates) {
      const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
      if (probe.status !== 0) continue;
      const threads = process.env.HNN_BENCH_TORCH_THREADS;
      const child = spawn(python, [TORCH_SCRIPT, ...(threads ? [threads] : [])], { stdio: 'pipe' });
      return new TorchPeer(python, child);
    }
    return `no python with torch found (tried ${candidates.join(', ')}; set HNN_BENCH_PYTHON): timing ours alone`;
  }

  request<T>(command: string): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(command + '\n');
    });
  }

  async run(step: string, n: number): Promise<number[]> {
    return (await this.request<{ ms: number[] }>(`run ${step} ${n}`)).ms;
  }

  close(): void {
    if (!this.dead) this.child.stdin.end('quit\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

interface Variant {
  name: string;
  make: () => { step: () => void; dispose: () => void };
}

interface BenchCase {
  /** our steps, timed in turn within every block (e.g. the fast path and the autodiff path it replaced) */
  ours: Variant[];
  /** the peer's step name, timed after ours in every block; null for ours alone */
  torch: string | null;
  blocks: number;
  perBlock: number;
}

/** One training update of a state model on random data of the given shape. */
export function stateStep(
  kind: ModelKind,
  dim: number,
  rows: number,
  batch: number | null,
  opts: { weightDecay?: number; fast?: boolean } = {},
): { step: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const model = DynamicsModel.init({ kind, dim, hidden: [200, 200] }, 0);
  const adam = new Adam(model.variables(), { weightDecay: opts.weightDecay ?? 1e-4 });
  const train = makeStateStep(model, adam, { fast: opts.fast });
  const x = tf.tensor2d(
    Float32Array.from({ length: rows * dim }, () => rng.normal()),
    [rows, dim],
  );
  const y = tf.tensor2d(
    Float32Array.from({ length: rows * dim }, () => rng.normal()),
    [rows, dim],
  );
  const step = () =>
    tf.tidy(() => {
      if (batch === null) return void train.step(x, y);
      // a fresh permutation every step, as the training loop
      const idx = tf.tensor1d(rng.permutation(rows).subarray(0, batch), 'int32');
      train.step(tf.gather(x, idx), tf.gather(y, idx));
    });
  return { step, dispose: () => (model.dispose(), adam.dispose(), tf.dispose([x, y])) };
}

/** One full-size pixel joint step (batch 200 of random frame pairs, 28x28) of the paper's one-step loss, as the PyTorch peer takes it. */
export function pixelStep(opts: { fast?: boolean; batch?: number } = {}): { step: () => void; dispose: () => void } {
  const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, {}, true);
  const batch = opts.batch ?? cfg.batchSize;
  const model = PixelModel.init(cfg.spec, 0);
  const adam = pixelAdam(model, cfg);
  const train = makePixelStep(model, adam, cfg.loss, { fast: opts.fast });
  const rng = new Rng(1);
  const x = new Float32Array(batch * model.input).map(() => rng.uniform());
  const next = new Float32Array(batch * model.input).map(() => rng.uniform());
  return { step: () => void train.step(x, next, batch), dispose: () => (adam.dispose(), model.dispose()) };
}

/**
 * One step of the default pixel loss (pixelPendulumTask's K-frame window of leapfrog steps: 80
 * windows of 5 random pairs at K = 4), as the training loop takes it and as the peer's
 * pixel<K>-leapfrog step; with `latentStep`, the same window with another step (the peer's pixel<K> for Euler).
 */
export function pixelWindowStep(opts: { fast?: boolean; latentStep?: LatentStep } = {}): {
  step: () => void;
  dispose: () => void;
  K: number;
} {
  const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28);
  if (opts.latentStep) cfg.loss = { ...cfg.loss, latentStep: opts.latentStep };
  const K = cfg.loss.rolloutSteps ?? 1;
  const count = windowsPerStep(cfg.batchSize, K);
  const model = PixelModel.init(cfg.spec, 0);
  const adam = pixelAdam(model, cfg);
  const rng = new Rng(1);
  const pairs = new Float32Array((K + 1) * count * model.input).map(() => rng.uniform());
  const step = makeWindowStep(model, adam, cfg.loss, { pairs, K, count }, opts.fast ?? true);
  return { step: () => void step(), dispose: () => (adam.dispose(), model.dispose()), K };
}

/** Every variant of the case and the peer, alternating block by block after the same warm-up; the peer is compared with the first variant. */
async function benchCase(c: BenchCase, peer: TorchPeer | null): Promise<StepBench[]> {
  const made = c.ours.map((v) => ({ ...v, s: v.make(), ms: [] as number[] }));
  const torch = c.torch !== null && peer !== null ? { peer, step: c.torch } : null;
  if (torch) await torch.peer.request(`setup ${torch.step}`);
  const warmup = 5;
  for (const v of made) for (let i = 0; i < warmup; i++) v.s.step();
  if (torch) await torch.peer.run(torch.step, warmup);
  const theirs: number[] = [];
  const before = tf.memory().numTensors;
  for (let b = 0; b < c.blocks; b++) {
    for (const v of made) {
      for (let i = 0; i < c.perBlock; i++) {
        const t = performance.now();
        v.s.step();
        v.ms.push(performance.now() - t);
      }
    }
    if (torch) theirs.push(...(await torch.peer.run(torch.step, c.perBlock)));
  }
  const leaked = (tf.memory().numTensors - before) / (c.blocks * c.perBlock * made.length);
  const out: StepBench[] = [];
  for (const [i, v] of made.entries()) {
    const prof = await profileStep(v.s.step);
    v.s.dispose();
    const side = (ms: number[]): TimedSide => ({
      medianMs: median(ms),
      p90Ms: p90(ms),
      gflops: prof.flops / (median(ms) * 1e6),
      steps: ms.length,
    });
    const peerSide = torch && i === 0 ? side(theirs) : null;
    out.push({
      name: v.name,
      ...side(v.ms),
      flopsPerStep: prof.flops,
      kernelsPerStep: prof.count,
      kernels: prof.kernels,
      tensorsLeakedPerStep: leaked,
      torch: peerSide,
      ratio: peerSide ? median(v.ms) / peerSide.medianMs : null,
    });
  }
  return out;
}

/** Our raw matMul speed on the shapes that dominate the steps (the same shapes the peer reports). */
function oursMatmul(): Record<string, { ms: number; gflops: number }> {
  const out: Record<string, { ms: number; gflops: number }> = {};
  for (const [m, k, n] of [
    [750, 200, 200],
    [400, 1568, 200],
  ]) {
    const [a, b] = [tf.randomNormal([m, k]) as tf.Tensor2D, tf.randomNormal([k, n]) as tf.Tensor2D];
    const times: number[] = [];
    for (let i = 0; i < 33; i++) {
      const t = performance.now();
      const c = tf.matMul(a, b);
      if (i >= 3) times.push(performance.now() - t);
      c.dispose();
    }
    tf.dispose([a, b]);
    const ms = median(times);
    out[`${m}x${k}x${n}`] = { ms, gflops: (2 * m * k * n) / (ms * 1e6) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The training loop's overhead and the CLI's start-up

export interface LoopOverhead {
  settings: { updates: number; logEvery: number; checkpointEvery: number; evalRows: number; trainRows: number; repeats: number };
  /** trainPixelModel's own ms per update (batching, steps, evaluations, checkpoints), median over the repeats */
  loopMsPerStep: number;
  /** the bare step on a fixed batch, median over blocks run between the loop runs */
  bareStepMs: number;
  /** median over the repeats of (loop - bare) / bare, each loop run against the bare blocks just before and after it */
  overheadPercent: number;
  /** each repeat's loop ms per update */
  loopRunsMs: number[];
  /** each repeat's overhead */
  overheadRunsPercent: number[];
  /** one evaluation of evalRows test rows, and one checkpoint write */
  evaluationMs: number;
  checkpointMs: number;
  /** the loop's overhead with evaluations and checkpoints at the protocol's logEvery 200 / checkpointEvery 250 */
  protocolOverheadPercent: number;
}

/**
 * trainPixelModel on random frames with the default protocol (the K-frame window loss that `hnn train`
 * and `npm start` run), short runs at scaled log and checkpoint intervals, alternating with blocks of
 * the bare step on the same machine minutes (the load here moves step times by 2x).
 */
export async function benchTrainingLoop(
  o: { updates?: number; logEvery?: number; checkpointEvery?: number; repeats?: number } = {},
): Promise<LoopOverhead> {
  const updates = o.updates ?? 60;
  const logEvery = o.logEvery ?? 20;
  const checkpointEvery = o.checkpointEvery ?? 25;
  const repeats = o.repeats ?? 5;
  const [trainRows, evalRows] = [16000, 1000]; // the default dataset's 160 train trials; the pipeline evaluates <= 1000 rows
  const width = 2 * 28 * 28;
  const rng = new Rng(2);
  const frames = new Float32Array(trainRows * width).map(() => rng.uniform());
  // next = the same frames: the content does not change the work
  const data: PixelData = {
    frameSize: 28,
    perTrial: 100,
    train: { x: frames, next: frames, rows: trainRows },
    test: { x: frames.subarray(0, evalRows * width), next: frames.subarray(0, evalRows * width), rows: evalRows },
  };
  const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, { steps: updates - 1, logEvery, checkpointEvery });
  // the bare step: the same window step on one fixed batch, no batching, evaluation or checkpoint
  const bare = pixelWindowStep();
  const bareStep = bare.step;
  for (let i = 0; i < 3; i++) bareStep();
  const bareMs: number[] = [];
  const bareBlocks: number[] = [];
  const bareBlock = () => {
    const block: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      bareStep();
      block.push(performance.now() - t);
    }
    bareMs.push(...block);
    bareBlocks.push(median(block));
  };
  const dir = mkdtempSync(join(tmpdir(), 'hnn-bench-loop-'));
  try {
    const loopRunsMs: number[] = [];
    let trained: PixelModel | null = null;
    for (let r = 0; r < repeats; r++) {
      bareBlock();
      const run = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'checkpoint.bin'), evalRows });
      loopRunsMs.push(run.msPerStep);
      trained?.dispose();
      trained = run.model;
    }
    bareBlock();
    bare.dispose();
    // the pieces, timed alone on the trained model
    const t0 = performance.now();
    splitSampleLosses(trained!, data.test, cfg.loss);
    const evaluationMs = performance.now() - t0;
    const adam = pixelAdam(trained!, cfg);
    const t1 = performance.now();
    saveCheckpoint(join(dir, 'alone.bin'), { step: 1, weights: trained!.read(), adam: adam.state(), rng: [0], meta: {}, elapsed: 0 });
    const checkpointMs = performance.now() - t1;
    adam.dispose();
    trained!.dispose();
    const bareStepMs = median(bareMs);
    const loopMsPerStep = median(loopRunsMs);
    // the load here drifts within seconds: each run against the bare blocks around it
    const overheadRunsPercent = loopRunsMs.map(
      (ms, r) => (100 * (ms - (bareBlocks[r] + bareBlocks[r + 1]) / 2)) / ((bareBlocks[r] + bareBlocks[r + 1]) / 2),
    );
    // what is left once the scaled evaluations and checkpoints are taken out: batching and bookkeeping
    const evaluations = Math.floor((updates - 1) / logEvery) + 1 + ((updates - 1) % logEvery === 0 ? 0 : 1);
    const checkpoints = Math.floor((updates - 1) / checkpointEvery);
    const residual = loopMsPerStep - bareStepMs - (evaluationMs * evaluations + checkpointMs * checkpoints) / updates;
    return {
      settings: { updates, logEvery, checkpointEvery, evalRows, trainRows, repeats },
      loopMsPerStep,
      bareStepMs,
      overheadPercent: median(overheadRunsPercent),
      loopRunsMs,
      overheadRunsPercent,
      evaluationMs,
      checkpointMs,
      protocolOverheadPercent: (100 * (residual + evaluationMs / 200 + checkpointMs / 250)) / bareStepMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time of `node bin/hnn.js --help`, median of `runs`. */
export function benchStartup(runs = 5): { command: string; medianMs: number; runsMs: number[] } {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [HNN_BIN, '--help'], { encoding: 'utf8' });
    runsMs.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`node bin/hnn.js --help failed: ${r.stderr}`);
  }
  return { command: 'node bin/hnn.js --help', medianMs: median(runsMs), runsMs };
}

// ---------------------------------------------------------------------------------------------

export interface BenchOptions {
  backend?: string;
  out?: string;
  /** also time the pixel joint step (needs the pixel model) */
  pixel?: boolean;
  /** time ours alone even when a python with torch is there */
  torch?: boolean;
}

const f1 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(1));

function table(r: {
  steps: StepBench[];
  matmul: { ours: Record<string, { gflops: number }>; torch: Record<string, { gflops: number }> | null };
  loop: LoopOverhead | null;
  startup: { medianMs: number };
  machine: Record<string, unknown>;
  peerNote: string | null;
}): string {
  const lines: string[] = [];
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const num = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
  lines.push(
    `${pad('step', 58)}${num('ours ms', 9)}${num('torch ms', 10)}${num('ours/torch', 12)}${num('kernels', 9)}${num('GFLOP/s ours', 14)}${num('torch', 7)}`,
  );
  for (const s of r.steps) {
    lines.push(
      `${pad(s.name, 58)}${num(f1(s.medianMs), 9)}${num(f1(s.torch?.medianMs), 10)}${num(s.ratio === null ? '-' : s.ratio.toFixed(2), 12)}${num(String(s.kernelsPerStep), 9)}${num(f1(s.gflops), 14)}${num(f1(s.torch?.gflops), 7)}`,
    );
  }
  for (const [shape, o] of Object.entries(r.matmul.ours))
    lines.push(`raw matMul ${shape}: ours ${f1(o.gflops)} GFLOP/s, torch ${f1(r.matmul.torch?.[shape]?.gflops)} GFLOP/s`);
  if (r.loop)
    lines.push(
      `pixel training loop (${r.loop.settings.updates} updates, logEvery ${r.loop.settings.logEvery}, checkpointEvery ${r.loop.settings.checkpointEvery}): ` +
        `${f1(r.loop.loopMsPerStep)} ms/step vs bare step ${f1(r.loop.bareStepMs)} ms: overhead ${f1(r.loop.overheadPercent)}% ` +
        `(median of ${r.loop.settings.repeats} runs: ${r.loop.overheadRunsPercent.map(f1).join(', ')}; one evaluation ${f1(r.loop.evaluationMs)} ms, ` +
        `one checkpoint ${f1(r.loop.checkpointMs)} ms; at logEvery 200 / checkpointEvery 250: ${f1(r.loop.protocolOverheadPercent)}%)`,
    );
  lines.push(`start-up of node bin/hnn.js --help: ${r.startup.medianMs.toFixed(0)} ms (median of 5)`);
  const m = r.machine as { cpuModel: string; cores: number; loadAverageBefore: number[]; loadAverageAfter: number[]; node: string };
  lines.push(
    `machine: ${m.cpuModel}, ${m.cores} cores, node ${m.node}, load average ${m.loadAverageBefore.map((x) => x.toFixed(2)).join(' ')} before, ${m.loadAverageAfter.map((x) => x.toFixed(2)).join(' ')} after`,
  );
  const t = r.machine.torch as (TorchInfo & { pythonPath: string }) | null;
  if (t) lines.push(`torch ${t.torch} (${t.pythonPath}), ${t.threads} thread(s), BLAS ${t.blas}, CPU capability ${t.cpuCapability}`);
  if (r.peerNote) lines.push(r.peerNote);
  return lines.join('\n');
}

export async function runBench(o: BenchOptions = {}): Promise<Record<string, unknown>> {
  const backend = await initBackend(o.backend ?? 'auto');
  const loadAverageBefore = loadavg();
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const started = o.torch === false ? 'torch peer disabled: timing ours alone' : TorchPeer.start();
  const peer = typeof started === 'string' ? null : started;
  let peerNote = typeof started === 'string' ? started : null;
  let torchInfo: (TorchInfo & { pythonPath: string }) | null = null;
  let torchMatmul: Record<string, { ms: number; gflops: number }> | null = null;
  if (peer) {
    try {
      torchInfo = { ...(await peer.request<TorchInfo>('info')), pythonPath: peer.python };
      torchMatmul = await peer.request('matmul');
    } catch (e) {
      peerNote = `torch peer failed (${(e as Error).message}): timing ours alone`;
    }
  }
  if (peerNote) process.stderr.write(peerNote + '\n');
  const livePeer = torchInfo ? peer : null;
  const before = (name: string) => `${name}, autodiff path (before issue 12)`;
  const spring = 'spring HNN step (750 rows, full batch, hidden 200)';
  const pixel = "pixel joint step (batch 200, autoencoder + latent HNN; the paper's one-step loss)";
  const K = pixelPendulumTask.train.rolloutSteps;
  const windows = windowsPerStep(pixelPendulumTask.train.batchSize, K);
  const latentStep = pixelPendulumTask.train.latentStep;
  const pixelWindow = `pixel joint step, ${K}-frame ${latentStep} loss (${windows} windows of ${K + 1} pairs; the default)`;
  const cases: BenchCase[] = [
    {
      ours: [
        { name: spring, make: () => stateStep('hnn', 2, 750, null) },
        { name: before(spring), make: () => stateStep('hnn', 2, 750, null, { fast: false }) },
      ],
      torch: 'spring',
      blocks: 6,
      perBlock: 8,
    },
    {
      ours: [{ name: 'spring baseline step (750 rows, full batch, hidden 200)', make: () => stateStep('baseline', 2, 750, null) }],
      torch: null,
      blocks: 3,
      perBlock: 10,
    },
    {
      ours: [
        { name: 'two-body HNN step (batch 200 of 40000, hidden 200)', make: () => stateStep('hnn', 8, 40000, 200, { weightDecay: 0 }) },
      ],
      torch: 'twobody',
      blocks: 6,
      perBlock: 10,
    },
    {
      ours: [
        {
          name: 'two-body baseline step (batch 200 of 40000, hidden 200)',
          make: () => stateStep('baseline', 8, 40000, 200, { weightDecay: 0 }),
        },
      ],
      torch: null,
      blocks: 3,
      perBlock: 10,
    },
  ];
  if (o.pixel !== false) {
    cases.push({
      ours: [
        { name: pixel, make: () => pixelStep() },
        { name: before(pixel), make: () => pixelStep({ fast: false }) },
      ],
      torch: 'pixel',
      blocks: 5,
      perBlock: 6,
    });
    if (K > 1)
      cases.push({
        ours: [
          { name: pixelWindow, make: () => pixelWindowStep() },
          { name: before(pixelWindow), make: () => pixelWindowStep({ fast: false }) },
        ],
        torch: `pixel${K}${latentStep === 'euler' ? '' : `-${latentStep}`}`,
        blocks: 5,
        perBlock: 6,
      });
    if (K > 1 && latentStep !== MAIN_JOB_LATENT_STEP)
      cases.push({
        ours: [
          {
            name: `pixel joint step, ${K}-frame ${MAIN_JOB_LATENT_STEP} loss (${windows} windows; npm start's)`,
            make: () => pixelWindowStep({ latentStep: MAIN_JOB_LATENT_STEP }),
          },
        ],
        torch: `pixel${K}`,
        blocks: 4,
        perBlock: 6,
      });
  }
  const steps: StepBench[] = [];
  for (const c of cases) {
    steps.push(...(await benchCase(c, livePeer)));
    sample();
  }
  peer?.close();
  const matmul = { ours: oursMatmul(), torch: torchMatmul };
  const loop = o.pixel !== false ? await benchTrainingLoop() : null;
  sample();
  const startup = benchStartup();
  const renderer = await benchRenderer();
  sample();
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    node: process.versions.node,
    torch: torchInfo,
  };
  const result = {
    backend: backend.name,
    machine,
    peer: torchInfo ? { script: 'bench/torch_steps.py', ...torchInfo } : { missing: peerNote },
    matmul,
    steps,
    trainingLoop: loop,
    startup,
    renderer,
    memory: { peakRssMB: Math.round(peakRss / 2 ** 20), tfBytesMB: Math.round(tf.memory().numBytes / 2 ** 20) },
    versions: packageVersions(),
  };
  process.stderr.write(table({ steps, matmul, loop, startup, machine, peerNote }) + '\n');
  if (o.out) writeJsonAtomic(o.out, result);
  return result;
}
