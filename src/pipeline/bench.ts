// `npm run bench`: speed and memory of the hot paths, as JSON. Training steps are timed as the
// median over repeated updates after a warm-up; the tf profiler says where the time goes.
import * as tf from '@tensorflow/tfjs';
import { DynamicsModel, type ModelKind } from '../../models/dynamics.ts';
import { benchRenderer } from '../../renderer/bench.ts';
import { initBackend } from '../tf/backend.ts';
import { Adam } from '../train/adam.ts';
import { pixelJointStep } from '../train/pixel.ts';
import { Rng } from '../util/rng.ts';
import { writeJsonAtomic } from '../util/files.ts';
import { packageVersions } from '../util/versions.ts';

export interface StepBench {
  name: string;
  medianMs: number;
  p90Ms: number;
  /** matMul FLOPs of one step (from the profiler's kernel shapes) / median time */
  gflops: number;
  flopsPerStep: number;
  /** kernel name -> [calls, ms] for one step */
  kernels: Record<string, [number, number]>;
  tensorsLeakedPerStep: number;
}

/** Times `step` (one full update, tensors disposed) and profiles one call of it. */
export async function benchStep(name: string, step: () => void, repeats = 40): Promise<StepBench> {
  for (let i = 0; i < 5; i++) step();
  const before = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    step();
    times.push(performance.now() - t);
  }
  const leaked = (tf.memory().numTensors - before) / repeats;
  times.sort((a, b) => a - b);
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
  const medianMs = times[Math.floor(times.length / 2)];
  return {
    name,
    medianMs,
    p90Ms: times[Math.floor(times.length * 0.9)],
    gflops: flops / (medianMs * 1e6),
    flopsPerStep: flops,
    kernels: Object.fromEntries(Object.entries(kernels).sort((a, b) => b[1][1] - a[1][1])),
    tensorsLeakedPerStep: leaked,
  };
}

/** One training update of a state model on random data of the given shape. */
export function stateStep(kind: ModelKind, dim: number, rows: number, batch: number | null): { step: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const model = DynamicsModel.init({ kind, dim, hidden: [200, 200] }, 0);
  const vars = model.variables();
  const adam = new Adam(vars, { weightDecay: 1e-4 });
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
      let xb: tf.Tensor2D = x;
      let yb: tf.Tensor2D = y;
      if (batch !== null) {
        const idx = tf.tensor1d(rng.permutation(rows).subarray(0, batch), 'int32');
        xb = tf.gather(x, idx);
        yb = tf.gather(y, idx);
      }
      const { value, grads } = tf.variableGrads(() => model.loss(xb, yb), vars);
      adam.apply(vars.map((v) => grads[v.name]));
      value.dataSync();
    });
  return { step, dispose: () => (model.dispose(), adam.dispose(), tf.dispose([x, y])) };
}

export interface BenchOptions {
  backend?: string;
  out?: string;
  /** also time the pixel joint step (needs the pixel model) */
  pixel?: boolean;
}

export async function runBench(o: BenchOptions = {}): Promise<Record<string, unknown>> {
  const backend = await initBackend(o.backend ?? 'auto');
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const steps: StepBench[] = [];
  const cases: Array<[string, ModelKind, number, number, number | null]> = [
    ['spring HNN step (750 rows, full batch, hidden 200)', 'hnn', 2, 750, null],
    ['spring baseline step (750 rows, full batch, hidden 200)', 'baseline', 2, 750, null],
    ['two-body HNN step (batch 200 of 40000, hidden 200)', 'hnn', 8, 40000, 200],
    ['two-body baseline step (batch 200 of 40000, hidden 200)', 'baseline', 8, 40000, 200],
  ];
  for (const [name, kind, dim, rows, batch] of cases) {
    const s = stateStep(kind, dim, rows, batch);
    steps.push(await benchStep(name, s.step));
    sample();
    s.dispose();
  }
  if (o.pixel !== false) {
    const s = await pixelJointStep();
    steps.push(await benchStep('pixel joint step (batch 200, autoencoder + latent HNN)', s.step, 20));
    sample();
    s.dispose();
  }
  const renderer = await benchRenderer();
  sample();
  const result = {
    backend: backend.name,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.versions.node },
    reference: { pytorchCpuMs: { springHnnStep: 14, twoBodyHnnStep: 6.6, pixelJointStep: 30 } },
    steps,
    renderer,
    memory: { peakRssMB: Math.round(peakRss / 2 ** 20), tfBytesMB: Math.round(tf.memory().numBytes / 2 ** 20) },
    versions: packageVersions(),
  };
  if (o.out) writeJsonAtomic(o.out, result);
  return result;
}
