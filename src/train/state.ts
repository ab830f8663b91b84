// Training a state-space model (HNN, baseline or D-HNN) on a state dataset: the paper's protocol
// (Adam with coupled L2 weight decay, full batch or a fresh seeded draw of batchSize rows per step), on the
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
import { stateStepDefinition, trajectoryStepDefinition, type StepDefinition, type VariableSpec } from './step-definition.ts';
import { StateWindows, windowStarts } from './state-windows.ts';
import { dissipationShare, gateAfterProbe, probes, type DissipationGate } from './dissipation-phases.ts';
import type { z } from 'zod';
import { DISSIPATION_DECAY_SCOPE, DISSIPATION_SCHEDULE, STATE_DISSIPATION_FORM } from '../../models/kinds.ts';
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
  /** time of each row (needed by the trajectory loss) */
  t?: Float64Array;
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
  /**
   * Rows (or, with rolloutSteps, windows) in each step's batch: batchSize, or all of them when
   * batchSize is unset or not smaller (the reference's randperm(n)[:batch] takes all n then too).
   */
  batchRows: number;
  /** D-HNN, relaxed schedule: what the probe found and did (./dissipation-phases.ts). */
  dissipationGate?: DissipationGate;
}

/**
 * The model's variables with their weight decay: H's (or the baseline's) weightDecay; the D-HNN's D
 * its own, on the variables its decay scope names (DISSIPATION_DECAY_SCOPES, models/kinds.ts).
 */
export function stateVariables(
  model: DynamicsModel,
  cfg: Pick<StateTrainConfig, 'weightDecay' | 'dissipationWeightDecay' | 'dissipationDecayOn'>,
): VariableSpec[] {
  const keys = model.keys();
  const dissipation = new Set(model.dissipationMlp?.variables() ?? []);
  const free = new Set((cfg.dissipationDecayOn ?? DISSIPATION_DECAY_SCOPE) === 'hidden' ? (model.dissipationMlp?.outputLayer() ?? []) : []);
  const decayOf = (v: tf.Variable) =>
    !dissipation.has(v) ? cfg.weightDecay : free.has(v) ? 0 : (cfg.dissipationWeightDecay ?? cfg.weightDecay);
  return model.variables().map((v, i) => ({ key: keys[i], shape: v.shape, weightDecay: decayOf(v) }));
}

/** Rows of a split as float32 batches: the whole split, or `size` rows drawn per step. */
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
 * One training of a state model, run in stretches: `run(to)` trains updates [done, to) on one engine,
 * one Adam state and one batch stream, so stretches run back to back equal one loop.
 */
class StateSession {
  private done = 0;
  private constructor(
    readonly model: DynamicsModel,
    readonly engine: StepEngine,
    readonly batchRows: number,
    private readonly nextBatch: () => Float32Array[],
    private readonly test: { x: tf.Tensor2D; dx: tf.Tensor2D },
    private readonly loop: { updates: number; logEvery: number; label: string; quiet?: boolean },
  ) {}

  static async open(cfg: ParsedTrainConfig, data: StateData, dissipationWeightDecay: number, label: string, quiet?: boolean) {
    const form = cfg.kind === 'dhnn' ? { dissipation: cfg.dissipationForm ?? STATE_DISSIPATION_FORM } : {};
    const model = DynamicsModel.init({ kind: cfg.kind, dim: data.dim, hidden: cfg.hidden, ...form }, cfg.seed);
    const batches = stateBatches(model, { ...cfg, dissipationWeightDecay }, data);
    const engine = await createStepEngine(batches.def, model.variables(), adamSettings(cfg.lr), { threads: cfg.threads });
    const batchRng = new Rng(cfg.seed).fork('batches');
    const nextBatch = () => batches.next(batchRng);
    const test = {
      x: tf.tensor2d(Float32Array.from(data.test.x), [data.test.rows, data.dim]),
      dx: tf.tensor2d(Float32Array.from(data.test.dx), [data.test.rows, data.dim]),
    };
    const loop = { updates: cfg.steps + 1, logEvery: cfg.logEvery ?? 200, label, quiet };
    return new StateSession(model, engine, batches.rows, nextBatch, test, loop);
  }

  /** Trains updates [done, to), logging `step` records (under another event name when given); leaves the model synced. */
  async run(to: number, log?: Pick<JsonlLog, 'write'>): Promise<LoopResult> {
    const { model, engine } = this;
    const result = await runLoop({
      updates: this.loop.updates,
      startAt: this.done,
      stopAfter: to,
      step: async () => ({ loss: (await engine.step(this.nextBatch()))[0] }),
      evaluate: () => {
        syncModel(model, engine);
        return { testLoss: splitLoss(model, this.test.x, this.test.dx) };
      },
      logEvery: this.loop.logEvery,
      log,
      label: this.loop.label,
      quiet: this.loop.quiet,
    });
    this.done = to;
    syncModel(model, engine);
    return result;
  }

  /** Frees the engine and the test tensors (and the model unless it is kept for the caller). */
  close(keepModel: boolean): void {
    this.engine.dispose();
    tf.dispose([this.test.x, this.test.dx]);
    if (!keepModel) this.model.dispose();
  }
}

type ParsedTrainConfig = z.output<typeof stateTrainConfigSchema>;

/**
 * Trains a state model (HNN, baseline or D-HNN) on derivative targets with the paper's protocol:
 * Adam with coupled L2 weight decay, full batch or a fresh seeded draw of batchSize rows (or windows,
 * with rolloutSteps) per step, steps + 1
 * updates. A D-HNN's D has its own decay; under the relaxed schedule (models/kinds.ts) the run with
 * it is a probe: when the decay removed D (its share of the field at the training inputs under
 * DISSIPATION_ALIVE_SHARE) that run is the result, else the model trains again from its initial
 * weights without D's decay (then the probe's log lines are `probe-step`, the result's `step`). `cfg`
 * is validated first (an unknown key, a value out of range or an unknown model kind is a one-line
 * UserError) and so is `data` (shapes, finite values). Same cfg and data, same backend: the same
 * weights. The caller owns the returned model (dispose it).
 */
export async function trainStateModel(
  config: StateTrainConfig,
  data: StateData,
  opts: { log?: JsonlLog; quiet?: boolean; label?: string } = {},
): Promise<StateTrainResult> {
  const cfg = parseOptions(stateTrainConfigSchema, config, 'trainStateModel config');
  checkStateData(data);
  const updates = cfg.steps + 1;
  const decay = cfg.dissipationWeightDecay ?? cfg.weightDecay;
  const label = opts.label ?? `train ${cfg.kind}`;
  const probe = cfg.kind === 'dhnn' && probes(cfg.dissipationSchedule ?? DISSIPATION_SCHEDULE, decay);
  let session = await StateSession.open(cfg, data, decay, label, opts.quiet);
  try {
    if (!probe) return finish(session, await session.run(updates, opts.log), undefined);
    // the probe's log lines wait for the decision: they are the result's, or the probe's
    const held: Array<Record<string, unknown>> = [];
    const run = await session.run(updates, { write: (r) => held.push(r) });
    const gate = gateAfterProbe(updates, decay, dissipationShare(session.model, data.train.x, data.dim), run.seconds);
    for (const r of held) opts.log?.write(gate.refit ? { ...r, event: 'probe-step' } : r);
    opts.log?.write({ event: 'dissipation-gate', ...gate });
    if (!gate.refit) return finish(session, run, gate);
    session.close(false);
    session = await StateSession.open(cfg, data, 0, `${label} (again without D's decay)`, opts.quiet);
    const full = await session.run(updates, opts.log);
    return finish(session, { ...full, seconds: full.seconds + run.seconds }, gate);
  } catch (e) {
    session.close(false);
    throw e;
  }
}

/** The result of a finished session (its model handed to the caller, everything else freed). */
function finish(session: StateSession, loop: LoopResult, gate: DissipationGate | undefined): StateTrainResult {
  session.close(true);
  const { engine } = session;
  return {
    ...loop,
    model: session.model,
    engine: engine.description,
    threads: engine.threads,
    batchRows: session.batchRows,
    ...(gate ? { dissipationGate: gate } : {}),
  };
}

/**
 * The step and its batches: the derivative loss on rows (all of them, or a fresh seeded draw of
 * batchSize distinct rows per step, as the reference's torch.randperm(n)[:batch]); or, with rolloutSteps, the
 * trajectory loss on windows of K + 1 consecutive states (all, or batchSize windows per step).
 */
function stateBatches(
  model: DynamicsModel,
  cfg: ParsedTrainConfig,
  data: StateData,
): { def: StepDefinition; rows: number; next: (rng: Rng) => Float32Array[] } {
  const variables = stateVariables(model, cfg);
  const pick = (n: number, rng: Rng) => (cfg.batchSize === null || cfg.batchSize >= n ? null : rng.sample(n, cfg.batchSize));
  if (cfg.rolloutSteps === undefined) {
    const rows = cfg.batchSize === null || cfg.batchSize >= data.train.rows ? data.train.rows : cfg.batchSize;
    const b = new StateBatches(data.train, data.dim, rows);
    const def = stateStepDefinition(model.spec, variables, rows, data.dim);
    return {
      def,
      rows,
      next: (rng) => {
        const chosen = pick(data.train.rows, rng);
        if (chosen) b.fill(chosen);
        return [b.x, b.y];
      },
    };
  }
  if (!data.train.t) throw new UserError("--rollout-steps needs the rows' times: give data made by a generator (toStateData keeps them)");
  const K = cfg.rolloutSteps;
  const { starts, h } = windowStarts({ x: data.train.x, t: data.train.t, rows: data.train.rows }, K);
  const count = cfg.batchSize === null ? starts.length : Math.min(cfg.batchSize, starts.length);
  const w = new StateWindows(data.train.x, data.dim, K, count);
  const def = trajectoryStepDefinition(model.spec, variables, count, data.dim, { K, method: cfg.rolloutIntegrator ?? 'leapfrog', h });
  if (count === starts.length) w.fill(starts);
  return {
    def,
    rows: count,
    next: (rng) => {
      const chosen = pick(starts.length, rng);
      if (chosen) w.fill(Array.from(chosen, (i) => starts[i]));
      return [w.states];
    },
  };
}

/** Copies an ORT engine's weights into the model's variables (tfjs engines train them in place). */
export function syncModel(model: { assign(values: readonly Float32Array[]): void }, engine: StepEngine): void {
  if (!engine.ownsModelVariables) model.assign(engine.weights());
}
