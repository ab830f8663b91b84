// The training steps `npm run bench` times, each as training runs it (the same step definitions,
// batching in JS included: a fresh batch is drawn and gathered every step, as training does) on
// random data of the protocol's shapes, or the pixel pendulum's frames, on ONNX Runtime or on a tfjs
// backend.
// bench/torch_steps.py builds the same steps, gathers included, for the PyTorch peer.
import type * as tf from '@tensorflow/tfjs';
import { DynamicsModel, type ModelKind } from '../../../models/dynamics.ts';
import { PixelModel, convSpecOf } from '../../../models/pixel.ts';
import type { LatentStep } from '../../../models/kinds.ts';
import { Adam } from '../../train/adam.ts';
import { adamSettings, type StepEngine } from '../../train/engine.ts';
import { gradientGraph, OrtStepEngine } from '../../train/engine-ort.ts';
import { TfjsStepEngine } from '../../train/engine-tfjs.ts';
import { inputColumnsOf, narrowSplit, pixelTrainConfig, pixelVariables, type PixelData } from '../../train/pixel.ts';
import { WindowBatcher } from '../../train/pixel-batches.ts';
import { StateBatches, stateVariables } from '../../train/state.ts';
import { stateStepDefinition, windowStepDefinition, type StepDefinition } from '../../train/step-definition.ts';
import { pixelPendulumTask } from '../../tasks/builtin/pendulum.ts';
import { Rng } from '../../util/rng.ts';

/** Where a bench step runs: ONNX Runtime's CPU provider with some threads, or the current tfjs backend. */
export type BenchEngine = { kind: 'ort'; threads: number } | { kind: 'tfjs' };

export interface BenchStep {
  run(): Promise<void>;
  /** Nodes of the step's ONNX graph (the same definition's, whatever engine runs it). */
  nodes: number;
  /** Multiply-add FLOPs of the step's products. */
  flops: number;
  engine: string;
  dispose(): void;
}

async function engineFor(def: StepDefinition, vars: tf.Variable[], where: BenchEngine): Promise<StepEngine> {
  const adam = adamSettings(1e-3);
  if (where.kind === 'tfjs')
    return new TfjsStepEngine(def, vars, new Adam(vars, { ...adam, weightDecay: def.variables.map((v) => v.weightDecay) }), true);
  return OrtStepEngine.create(
    def,
    vars.map((v) => v.dataSync() as Float32Array),
    adam,
    { provider: 'cpu', threads: where.threads },
  );
}

/** One update of a state model (hidden 200, 200) on random states: the full batch, or `batch` rows drawn afresh per step. */
export async function stateBenchStep(
  kind: ModelKind,
  dim: number,
  rows: number,
  batch: number | null,
  weightDecay: number,
  where: BenchEngine,
): Promise<BenchStep> {
  const rng = new Rng(0);
  const model = DynamicsModel.init({ kind, dim, hidden: [200, 200] }, 0);
  const size = batch ?? rows;
  const def = stateStepDefinition(model.spec, stateVariables(model, { weightDecay }), size, dim);
  const random = () => Float64Array.from({ length: rows * dim }, () => rng.normal());
  const batches = new StateBatches({ x: random(), dx: random(), rows }, dim, size);
  const engine = await engineFor(def, model.variables(), where);
  return {
    run: async () => {
      if (batch !== null) batches.fill(rng.sample(rows, batch));
      await engine.step([batches.x, batches.y]);
    },
    ...graphSize(def, engine),
    engine: engine.description,
    dispose: () => (engine.dispose(), model.dispose()),
  };
}

/**
 * One pixel joint step of the pixel pendulum's protocol: K = 1 with the Euler step is the paper's
 * one-step loss (batch 200), K > 1 the window loss (80 windows of K + 1 pairs at K = 4). On `frames`
 * (the pixel pendulum's dataset) the step runs as training runs it there, the encoder's first
 * product over the input columns lit in some training frame; on random frames every column is lit.
 */
export async function pixelBenchStep(
  K: number,
  latentStep: LatentStep,
  where: BenchEngine,
  frames: PixelData | 'random' = 'random',
): Promise<BenchStep> {
  const cfg = pixelTrainConfig(pixelPendulumTask, 'hnn', 0, 28, {}, K === 1);
  cfg.loss = { ...cfg.loss, latentStep, ...(K > 1 ? { rolloutSteps: K } : {}) };
  const count = Math.max(1, Math.floor((2 * cfg.batchSize) / (K + 1)));
  const model = PixelModel.init(cfg.spec, 0);
  const width = model.input;
  const data = frames === 'random' ? randomPixelData() : frames;
  const active = inputColumnsOf(model, data.train);
  const def = windowStepDefinition(model.spec, convSpecOf(model.spec), pixelVariables(model, cfg), { K, count, width, active }, cfg.loss);
  const windows = new WindowBatcher(data.train, data.perTrial ?? null, K, count, width, narrowSplit(data.train, width, active));
  const rng = new Rng(1);
  const engine = await engineFor(def, model.variables(), where);
  return {
    run: async () => {
      const order = rng.sample(windows.starts.length, count);
      windows.fill(Array.from(order, (i) => windows.starts[i]));
      await engine.step([windows.pairs, windows.head]);
    },
    ...graphSize(def, engine),
    engine: engine.description,
    dispose: () => (engine.dispose(), model.dispose()),
  };
}

let randomPixels: (PixelData & { perTrial: number }) | null = null;

/**
 * Random pairs of the default dataset's shape: 160 train trials of 100 pairs (and their next pairs),
 * 1000 test rows. Made once per process (200 MB) and shared, read-only, by every pixel case.
 */
export function randomPixelData(): PixelData & { perTrial: number } {
  return (randomPixels ??= makeRandomPixelData());
}

function makeRandomPixelData(): PixelData & { perTrial: number } {
  const [trainRows, evalRows, width] = [16000, 1000, 2 * 28 * 28];
  const rng = new Rng(2);
  const x = Float32Array.from({ length: trainRows * width }, () => rng.uniform());
  const next = Float32Array.from({ length: trainRows * width }, () => rng.uniform());
  return {
    frameSize: 28,
    perTrial: 100,
    train: { x, next, rows: trainRows },
    test: { x: x.subarray(0, evalRows * width), next: next.subarray(0, evalRows * width), rows: evalRows },
  };
}

/** The nodes the engine runs per step (the gradient graph's for tfjs, which runs the same definition), and the product FLOPs. */
function graphSize(def: StepDefinition, engine: StepEngine): { nodes: number; flops: number } {
  const g = gradientGraph(def);
  return { nodes: engine.nodes ?? g.nodeCount, flops: g.productFlops() };
}
