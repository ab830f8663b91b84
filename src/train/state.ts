// Training a state-space model (HNN, baseline or D-HNN) on a state dataset: the paper's protocol
// (Adam with coupled L2 weight decay, full batch or a fresh seeded permutation per step), on the
// current engine (./engine.ts).
import * as tf from '@tensorflow/tfjs';
import { inChunks } from '../tf/chunks.ts';
import { DynamicsModel } from '../../models/dynamics.ts';
import { fieldParamsOf } from '../../models/layout.ts';
import { stateLoss } from '../../models/losses.ts';
import { TfjsOps } from '../engine/tfjs-ops.ts';
import { Rng } from '../util/rng.ts';
import { adamSettings, createStepEngine, type StepEngine } from './engine.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { dissipationShare, firstPhaseEnd, secondPhase, type DissipationPhase } from './dissipation-phases.ts';
import { DISSIPATION_SCHEDULE } from '../../models/kinds.ts';
import { stateStepDefinition, type VariableSpec } from './step-definition.ts';
import type { JsonlLog } from './log.ts';
import { parseOptions } from '../util/options.ts';
import { UserError } from '../util/errors.ts';
import { stateTrainConfigSchema, type StateTrainConfig } from './options.ts';

/** One split of a state dataset as training reads it. */
export interface StateSplit {
  /** inputs row-major [rows, dim] */
  x: Float64Array;
  /** target derivatives row-major [rows, dim] */
  dx: Float64Array;
  rows: number;
}

/** A state dataset's two splits as training reads them (toStateData makes one from a StateDataset). */
export interface StateData {
  /** state dimension 2k */
  dim: number;
  train: StateSplit;
  test: StateSplit;
}

export type { StateTrainConfig } from './options.ts';

/** Refuses data whose arrays do not match their stated shape, or that hold a non-finite value. */
function checkStateData(data: StateData): void {
  if (!Number.isInteger(data.dim) || data.dim < 2 || data.dim % 2 !== 0)
    throw new UserError(`trainStateModel data: dim must be an even integer >= 2 (q's then p's), got ${data.dim}`);
  for (const name of ['train', 'test'] as const) {
    const s = data[name];
    if (!Number.isInteger(s.rows) || s.rows < 1)
      throw new UserError(`trainStateModel data: ${name}.rows must be a positive integer, got ${s.rows}`);
    for (const a of ['x', 'dx'] as const) {
      if (s[a].length !== s.rows * data.dim)
        throw new UserError(`trainStateModel data: ${name}.${a} holds ${s[a].length} values, rows x dim is ${s.rows * data.dim}`);
      const bad = s[a].findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`trainStateModel data: ${name}.${a}[${bad}] is ${s[a][bad]}; remove or fix that row`);
    }
  }
}

/** Loss of the model on a whole split, in chunks (no gradient). */
export function splitLoss(model: DynamicsModel, x: tf.Tensor2D, dx: tf.Tensor2D, chunk = 5000): number {
  const rows = x.shape[0];
  const params = fieldParamsOf(model.spec, model.variables());
  let sum = 0;
  inChunks(rows, chunk, (start, n) => {
    const loss = stateLoss(new TfjsOps(), params, x.slice([start, 0], [n, -1]), dx.slice([start, 0], [n, -1]));
    sum += loss.dataSync()[0] * n;
  });
  return sum / rows;
}

/** The trained model with the loop's history and timing. */
export interface StateTrainResult extends LoopResult {
  model: DynamicsModel;
  /** What trained: the engine's one-line description. */
  engine: string;
  /** ONNX Runtime's intra-op threads (null on a tfjs engine). */
  threads: number | null;
  /** D-HNN: the phases D's weight decay ran in (./dissipation-phases.ts). */
  dissipationPhases?: DissipationPhase[];
}

/** The model's variables with their weight decay: H's (or the baseline's) weightDecay, the D-HNN's D its own. */
export function stateVariables(
  model: DynamicsModel,
  cfg: Pick<StateTrainConfig, 'weightDecay' | 'dissipationWeightDecay'>,
): VariableSpec[] {
  const first = model.mlp.variables().length;
  const keys = model.keys();
  return model.variables().map((v, i) => ({
    key: keys[i],
    shape: v.shape,
    weightDecay: i < first ? cfg.weightDecay : (cfg.dissipationWeightDecay ?? cfg.weightDecay),
  }));
}

/** Rows of a split as float32 batches: the whole split, or `size` rows of a permutation per step. */
export class StateBatches {
  readonly x: Float32Array;
  readonly y: Float32Array;
  private readonly allX: Float32Array;
  private readonly allY: Float32Array;
  constructor(
    split: StateSplit,
    private readonly dim: number,
    readonly size: number,
  ) {
    this.allX = Float32Array.from(split.x);
    this.allY = Float32Array.from(split.dx);
    const full = size === split.rows;
    this.x = full ? this.allX : new Float32Array(size * dim);
    this.y = full ? this.allY : new Float32Array(size * dim);
  }
  /** Copies the given rows into the batch buffers. */
  fill(rows: ArrayLike<number>): void {
    const d = this.dim;
    for (let i = 0; i < this.size; i++) {
      this.x.set(this.allX.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
      this.y.set(this.allY.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
    }
  }
}

/**
 * Trains a state model (HNN, baseline or D-HNN) on derivative targets with the paper's protocol:
 * Adam with coupled L2 weight decay, full batch or a fresh seeded permutation per step, steps + 1
 * updates. A D-HNN's D has its own decay, run as its schedule says (./dissipation-phases.ts: a
 * relaxed schedule changes D's decay at the half, on one continuing Adam state). `cfg` is validated
 * first (an unknown key, a value out of range or an unknown model kind is a one-line UserError) and
 * so is `data` (shapes, finite values). Same cfg and data, same backend: the same weights. The caller
 * owns the returned model (dispose it).
 */
export async function trainStateModel(
  config: StateTrainConfig,
  data: StateData,
  opts: { log?: JsonlLog; quiet?: boolean; label?: string } = {},
): Promise<StateTrainResult> {
  const cfg = parseOptions(stateTrainConfigSchema, config, 'trainStateModel config');
  checkStateData(data);
  const model = DynamicsModel.init({ kind: cfg.kind, dim: data.dim, hidden: cfg.hidden }, cfg.seed);
  const fullBatch = cfg.batchSize === null || cfg.batchSize >= data.train.rows;
  const rows = fullBatch ? data.train.rows : cfg.batchSize!;
  const batches = new StateBatches(data.train, data.dim, rows);
  const test = {
    x: tf.tensor2d(Float32Array.from(data.test.x), [data.test.rows, data.dim]),
    dx: tf.tensor2d(Float32Array.from(data.test.dx), [data.test.rows, data.dim]),
  };
  const batchRng = new Rng(cfg.seed).fork('batches');
  const updates = cfg.steps + 1;
  const decay = cfg.dissipationWeightDecay ?? cfg.weightDecay;
  const dissipative = cfg.kind === 'dhnn';
  const schedule = cfg.dissipationSchedule ?? DISSIPATION_SCHEDULE;
  const phases: DissipationPhase[] = [
    { from: 0, to: dissipative ? firstPhaseEnd(updates, schedule, decay) : updates, dissipationWeightDecay: decay },
  ];
  let engine: StepEngine | null = null;
  const results: LoopResult[] = [];
  const loop = {
    updates,
    // a fresh seeded permutation every step, as the reference's torch.randperm(n)[:batch]
    nextBatch: () => {
      if (!fullBatch) batches.fill(batchRng.permutation(data.train.rows).subarray(0, rows));
      return [batches.x, batches.y];
    },
    testLoss: () => splitLoss(model, test.x, test.dx),
    logEvery: cfg.logEvery ?? 200,
    log: opts.log,
    label: opts.label ?? `train ${cfg.kind}`,
    quiet: opts.quiet,
  };
  try {
    for (const phase of phases) {
      const variables = stateVariables(model, { ...cfg, dissipationWeightDecay: phase.dissipationWeightDecay });
      const next = await createStepEngine(
        stateStepDefinition(model.spec, variables, rows, data.dim),
        model.variables(),
        adamSettings(cfg.lr),
        {
          threads: cfg.threads,
        },
      );
      if (engine) next.load(engine.weights(), engine.adamState()); // the next phase continues Adam's state
      engine?.dispose();
      engine = next;
      results.push(await runPhase(model, next, phase, loop));
      if (dissipative && phase.to < updates && phases.length === 1) {
        phases.push(secondPhase(phase.to, updates, decay, dissipationShare(model, data.train.x, data.dim)));
        opts.log?.write({ event: 'dissipation-phase', ...phases[1] });
      }
    }
    const joined = joinLoops(results, updates);
    return {
      ...joined,
      model,
      engine: engine!.description,
      threads: engine!.threads,
      ...(dissipative ? { dissipationPhases: phases } : {}),
    };
  } finally {
    engine?.dispose();
    tf.dispose([test.x, test.dx]);
  }
}

/** Updates [phase.from, phase.to) on `engine`, logging and evaluating as one loop over all phases would; leaves the model synced. */
async function runPhase(
  model: DynamicsModel,
  engine: StepEngine,
  phase: { from: number; to: number },
  loop: {
    updates: number;
    nextBatch: () => Float32Array[];
    testLoss: () => number;
    logEvery: number;
    log?: JsonlLog;
    label: string;
    quiet?: boolean;
  },
): Promise<LoopResult> {
  const result = await runLoop({
    updates: loop.updates,
    startAt: phase.from,
    stopAfter: phase.to,
    step: async () => ({ loss: (await engine.step(loop.nextBatch()))[0] }),
    evaluate: () => {
      syncModel(model, engine);
      return { testLoss: loop.testLoss() };
    },
    logEvery: loop.logEvery,
    log: loop.log,
    label: loop.label,
    quiet: loop.quiet,
  });
  syncModel(model, engine);
  return result;
}

/** The loops of consecutive phases as one: their histories in order, their times summed over all `updates`. */
function joinLoops(parts: LoopResult[], updates: number): LoopResult {
  const seconds = parts.reduce((a, p) => a + p.seconds, 0);
  return {
    history: parts.flatMap((p) => p.history),
    seconds,
    msPerStep: (1000 * seconds) / Math.max(1, updates),
    lastStep: parts[parts.length - 1].lastStep,
  };
}

/** Copies an ORT engine's weights into the model's variables (tfjs engines train them in place). */
export function syncModel(model: { assign(values: readonly Float32Array[]): void }, engine: StepEngine): void {
  if (!engine.ownsModelVariables) model.assign(engine.weights());
}
