// `npm run bench`: speed and memory of the hot paths, as JSON plus a table (on stderr, so that stdout
// stays one JSON document). The training steps run on the default engine (ONNX Runtime) beside the
// same steps in PyTorch (bench/torch_steps.py, ./bench/peer.ts), timed in alternating blocks; the
// peer's loaded BLAS and its matMul speed are reported, and no ratio is printed against a peer whose
// BLAS is unoptimized. `--threads 1` limits both sides to one thread.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { benchRenderer } from './bench/renderer.ts';
import { initBackend, threadsFor } from '../tf/backend.ts';
import { pixelPendulumTask } from '../tasks/builtin/pendulum.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';
import { MAIN_JOB_LATENT_STEP } from './main-job.ts';
import { pixelPendulumFrames, type BenchFrames } from './bench/frames.ts';
import { benchTrainingLoop, type LoopOverhead } from './bench/loop.ts';
import { BENCH_FILES, peerFairness, TorchPeer, type MatmulSpeeds, type TorchInfo } from './bench/peer.ts';
import { pixelBenchStep, stateBenchStep, type BenchEngine } from './bench/steps.ts';
import { oursMatmul, quantile, sessionRunOverhead, timeCase, type BenchCase, type StepTiming } from './bench/timing.ts';
export { BENCH_FILES, TorchPeer } from './bench/peer.ts';

export interface BenchOptions {
  backend?: string;
  out?: string;
  /** ONNX Runtime's intra-op threads, and the peer's with 1 (default: every core for both) */
  threads?: number;
  /** also time the pixel steps and the training loop (default true) */
  pixel?: boolean;
  /** time ours alone even when a python with torch is there */
  torch?: boolean;
}

/** Wall time of `node bin/hnn.js --help`, median of `runs`. */
export function benchStartup(runs = 5): { command: string; medianMs: number; runsMs: number[] } {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [BENCH_FILES.hnnBin, '--help'], { encoding: 'utf8' });
    runsMs.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`node bin/hnn.js --help failed: ${r.stderr}`);
  }
  return { command: 'node bin/hnn.js --help', medianMs: quantile(runsMs, 0.5), runsMs };
}

/**
 * The steps of the table: each on ONNX Runtime, the spring and the default pixel step on tfjs too;
 * the pixel steps on the pixel pendulum's frames (as training runs them there), the one-step and the
 * default window also on random frames, where every input column is lit (the engine alone).
 */
function benchCases(ort: BenchEngine, frames: BenchFrames | null): BenchCase[] {
  const tfjs: BenchEngine = { kind: 'tfjs' };
  const both = (make: (e: BenchEngine) => Promise<import('./bench/steps.ts').BenchStep>) => [
    { label: '', make: () => make(ort) },
    { label: `tfjs ${tf.getBackend()}`, make: () => make(tfjs) },
  ];
  const cases: BenchCase[] = [
    {
      name: 'spring HNN (750 rows, full batch)',
      ours: both((e) => stateBenchStep('hnn', 2, 750, null, 1e-4, e)),
      torch: 'spring',
      perBlock: 10,
    },
    {
      name: 'spring baseline (750 rows)',
      ours: [{ label: '', make: () => stateBenchStep('baseline', 2, 750, null, 1e-4, ort) }],
      torch: null,
      perBlock: 10,
    },
    {
      name: 'two-body HNN (batch 200 of 40000)',
      ours: [{ label: '', make: () => stateBenchStep('hnn', 8, 40000, 200, 0, ort) }],
      torch: 'twobody',
      perBlock: 20,
    },
  ];
  if (!frames) return cases;
  const K = pixelPendulumTask.train.rolloutSteps;
  const step = pixelPendulumTask.train.latentStep;
  const random = ', random frames (all lit)';
  cases.push(
    {
      name: "pixel joint step, the paper's one-step loss (batch 200)",
      ours: [{ label: '', make: () => pixelBenchStep(1, 'euler', ort, frames.data) }],
      torch: 'pixel',
      perBlock: 8,
    },
    {
      name: 'pixel joint step, one-step loss' + random,
      ours: [{ label: '', make: () => pixelBenchStep(1, 'euler', ort, 'random') }],
      torch: 'pixel',
      perBlock: 8,
    },
    {
      name: `pixel joint step, ${K}-frame ${step} window (the default)`,
      ours: both((e) => pixelBenchStep(K, step, e, frames.data)),
      torch: `pixel${K}-${step}`,
      perBlock: 8,
    },
    {
      name: `pixel joint step, ${K}-frame ${step} window` + random,
      ours: [{ label: '', make: () => pixelBenchStep(K, step, ort, 'random') }],
      torch: `pixel${K}-${step}`,
      perBlock: 8,
    },
    {
      name: `pixel joint step, ${K}-frame ${MAIN_JOB_LATENT_STEP} window (npm start's)`,
      ours: [{ label: '', make: () => pixelBenchStep(K, MAIN_JOB_LATENT_STEP, ort, frames.data) }],
      torch: `pixel${K}`,
      perBlock: 8,
    },
  );
  return cases;
}

async function startPeer(o: BenchOptions, threads: number | null) {
  const started = o.torch === false ? 'torch peer disabled: timing ours alone' : TorchPeer.start(undefined, threads);
  if (typeof started === 'string') return { peer: null, info: null, matmul: null, note: started };
  try {
    const info = { ...(await started.request<TorchInfo>('info')), pythonPath: started.python };
    return { peer: started, info, matmul: await started.request<MatmulSpeeds>('matmul'), note: null };
  } catch (e) {
    await started.close();
    return { peer: null, info: null, matmul: null, note: `torch peer failed (${(e as Error).message}): timing ours alone` };
  }
}

export async function runBench(o: BenchOptions = {}): Promise<Record<string, unknown>> {
  await initBackend(o.backend === undefined || o.backend === 'auto' ? 'auto' : o.backend);
  const threads = o.threads ?? threadsFor(1);
  const loadAverageBefore = loadavg();
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const peer = await startPeer(o, o.threads === 1 ? 1 : null);
  const fairness = peerFairness(peer.matmul);
  if (peer.note) process.stderr.write(peer.note + '\n');
  if (fairness.note) process.stderr.write(fairness.note + '\n');
  const frames = o.pixel !== false ? await pixelPendulumFrames() : null;
  const steps: StepTiming[] = [];
  let measured: {
    matmul: { ours: MatmulSpeeds; torch: MatmulSpeeds | null };
    sessionRun: { medianUs: number; p90Us: number };
    loop: LoopOverhead | null;
  };
  try {
    for (const c of benchCases({ kind: 'ort', threads }, frames)) {
      steps.push(...(await timeCase(c, peer.peer, fairness.fair)));
      sample();
    }
    await peer.peer?.close();
    const matmul = { ours: await oursMatmul(threads), torch: peer.matmul };
    const sessionRun = await sessionRunOverhead();
    measured = { matmul, sessionRun, loop: frames ? await benchTrainingLoop({ threads, frames }) : null };
    sample();
  } finally {
    await peer.peer?.close();
    frames?.dispose();
  }
  const { matmul, sessionRun, loop } = measured;
  const startup = benchStartup();
  const renderer = await benchRenderer();
  sample();
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    node: process.versions.node,
  };
  const result = {
    engine: { name: 'onnxruntime-node', provider: 'cpu', threads },
    machine,
    peer: peer.info
      ? { script: 'bench/torch_steps.py', ...peer.info, fair: fairness.fair, slowestGflops: fairness.slowestGflops }
      : { missing: peer.note },
    matmul,
    sessionRun,
    steps,
    trainingLoop: loop,
    startup,
    renderer,
    memory: { peakRssMB: Math.round(peakRss / 2 ** 20), tfBytesMB: Math.round(tf.memory().numBytes / 2 ** 20) },
    versions: packageVersions(),
  };
  process.stderr.write(
    benchTable({ steps, matmul, sessionRun, loop, startup, machine, peer: peer.info, notes: [peer.note, fairness.note] }) + '\n',
  );
  if (o.out) writeJsonAtomic(o.out, result);
  return result;
}

const f1 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(1));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function benchTable(r: {
  steps: StepTiming[];
  matmul: { ours: MatmulSpeeds; torch: MatmulSpeeds | null };
  sessionRun: { medianUs: number };
  loop: LoopOverhead | null;
  startup: { medianMs: number };
  machine: { cpuModel: string; cores: number; loadAverageBefore: number[]; loadAverageAfter: number[]; node: string };
  peer: (TorchInfo & { pythonPath: string }) | null;
  notes: Array<string | null>;
}): string {
  const unfair = r.notes.find((n) => n?.startsWith('unoptimized BLAS'));
  const lines = [
    `${pad('step', 70)}${num('ours ms', 9)}${num('torch ms', 10)}${num('ours/torch', 12)}${num('per block', 11)}${num('nodes', 7)}${num('GFLOP/s', 9)}`,
  ];
  for (const s of r.steps) {
    const ratio = s.ratio !== null ? s.ratio.toFixed(2) : s.torch && unfair ? 'unoptimized BLAS: not a fair peer' : '-';
    const blocks = s.blockRatios ? `${s.blockRatios.low.toFixed(2)}-${s.blockRatios.high.toFixed(2)}` : '-';
    lines.push(
      `${pad(s.name, 70)}${num(f1(s.medianMs), 9)}${num(f1(s.torch?.medianMs), 10)}${num(ratio, 12)}${num(blocks, 11)}${num(String(s.nodesPerStep), 7)}${num(f1(s.gflops), 9)}`,
    );
  }
  if (r.steps.some((s) => s.blockRatios))
    lines.push(
      "per block: the lowest and highest ours/torch of one alternating block (each side's median in it): how far the ratio moves with the load",
    );
  lines.push(`engine: ${r.steps[0]?.engine ?? '-'}; one session.run of a one-node graph: ${r.sessionRun.medianUs.toFixed(0)} us`);
  for (const [shape, o] of Object.entries(r.matmul.ours))
    lines.push(`raw matMul ${shape}: ours ${f1(o.gflops)} GFLOP/s, torch ${f1(r.matmul.torch?.[shape]?.gflops)} GFLOP/s`);
  if (r.loop) {
    const l = r.loop;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
    lines.push(
      `a real run, ${l.settings.command} (${l.settings.updates} updates, ${l.settings.repeats} runs; after its first update): ` +
        `${f1(l.loopMsPerStep)} ms/step vs the bench's step ${f1(l.bareStepMs)} ms in blocks around each run: ${pct(l.overheadPercent)} ` +
        `(runs ${l.overheadRunsPercent.map(pct).join(', ')}; one evaluation ${f1(l.evaluationMs)} ms every ${l.settings.logEvery} updates, one checkpoint ${f1(l.checkpointMs)} ms every ${l.settings.checkpointEvery})`,
    );
  }
  lines.push(`start-up of node bin/hnn.js --help: ${r.startup.medianMs.toFixed(0)} ms (median of 5)`);
  const m = r.machine;
  lines.push(
    `machine: ${m.cpuModel}, ${m.cores} cores, node ${m.node}, load average ${m.loadAverageBefore.map((x) => x.toFixed(2)).join(' ')} before, ${m.loadAverageAfter.map((x) => x.toFixed(2)).join(' ')} after`,
  );
  const t = r.peer;
  if (t)
    lines.push(
      `torch ${t.torch} (${t.pythonPath}): BLAS loaded ${t.blasLoaded.library ?? 'unknown'} (${t.blasLoaded.path ?? '-'}), build flag ${t.blasBuild}, torch threads ${t.threads}, OPENBLAS_NUM_THREADS ${t.openblasThreadsEnv ?? 'unset'}, CPU capability ${t.cpuCapability}`,
    );
  for (const n of r.notes) if (n) lines.push(n);
  return lines.join('\n');
}
