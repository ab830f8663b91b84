// The ORT engine: a training step (./step-definition.ts) recorded as ONE ONNX graph, run by ONNX
// Runtime once per step into preallocated buffers (no allocation per step), with Adam either in the
// graph or as a fused WebAssembly pass after it (OrtOptimizer).
import type * as Ort from 'onnxruntime-node';
import { OnnxGraph, type Sym } from '../engine/onnx-graph.ts';
import { OnnxOps } from '../engine/onnx-ops.ts';
import { createSession, loadOrt, tensorOver, type SessionSettings } from '../engine/ort.ts';
import { sizeOf } from '../engine/ops.ts';
import { wasmAdamOn } from '../engine/wasm-adam.ts';
import { adamScalars, adamUpdate, type AdamConstants } from './adam-formula.ts';
import type { AdamState } from './adam.ts';
import type { AdamSettings, StepEngine } from './step-engine.ts';
import type { StepDefinition } from './step-definition.ts';

/** Records the definition and Adam into a graph: inputs theta_i, m_i, v_i, the data, stepSize, sqrtBc2. */
export function stepGraph(def: StepDefinition, adam: AdamConstants): OnnxGraph {
  const g = new OnnxGraph();
  const o = new OnnxOps(g);
  const state = def.variables.map((v, i) => ({
    theta: g.input(`theta${i}`, v.shape),
    m: g.input(`m${i}`, v.shape),
    v: g.input(`v${i}`, v.shape),
  }));
  const data = def.data.map((d) => g.input(d.name, d.shape));
  const [stepSize, sqrtBc2] = [g.input('stepSize', []), g.input('sqrtBc2', [])];
  const { terms, grads } = def.build(
    o,
    state.map((s) => s.theta),
    data,
  );
  grads.forEach((parts, i) => {
    const next = adamUpdate(o, state[i], parts, def.variables[i].weightDecay, adam, stepSize, sqrtBc2);
    g.output(`theta${i}_next`, next.theta);
    g.output(`m${i}_next`, next.m);
    g.output(`v${i}_next`, next.v);
  });
  g.output('terms', terms);
  return g;
}

/** The definition's loss terms and each variable's summed gradient (`grad<i>`), without an update. */
export function gradientGraph(def: StepDefinition): OnnxGraph {
  const g = new OnnxGraph();
  const o = new OnnxOps(g);
  const theta = def.variables.map((v, i) => g.input(`theta${i}`, v.shape));
  const data = def.data.map((d) => g.input(d.name, d.shape));
  const { terms, grads } = def.build(o, theta, data);
  grads.forEach((parts, i) => {
    const sum: Sym = o.addN(parts);
    g.output(`grad${i}`, sum.shape.join(',') === theta[i].shape.join(',') ? sum : o.reshape(sum, theta[i].shape));
  });
  g.output('terms', terms);
  return g;
}

/** The definition's loss terms alone: the gradients are built but not output, so the model holds the forward pass only. */
export function termsGraph(def: StepDefinition): OnnxGraph {
  const g = new OnnxGraph();
  const o = new OnnxOps(g);
  const theta = def.variables.map((v, i) => g.input(`theta${i}`, v.shape));
  const data = def.data.map((d) => g.input(d.name, d.shape));
  g.output('terms', def.build(o, theta, data).terms);
  return g;
}

/** A definition's loss terms at given weights on fixed data (a training curve's test points), on ONNX Runtime. */
export class OrtTermsEvaluator {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly def: StepDefinition,
    private readonly data: readonly Float32Array[],
    private readonly termsShape: readonly number[],
  ) {}

  /** `data` holds the definition's inputs, in order, for every later call. */
  static async create(def: StepDefinition, data: readonly Float32Array[], settings: SessionSettings): Promise<OrtTermsEvaluator> {
    def.data.forEach((d, j) => {
      if (data[j]?.length !== sizeOf(d.shape))
        throw new Error(`${def.name}: input ${d.name} has ${data[j]?.length} values for [${d.shape.join(', ')}]`);
    });
    const graph = termsGraph(def);
    const session = await createSession(graph.toModel(`${def.name}-terms`), settings);
    return new OrtTermsEvaluator(await loadOrt(), session, def, data, graph.shapeOf('terms'));
  }

  async terms(weights: readonly Float32Array[]): Promise<Float32Array> {
    const { ort, def } = this;
    const feeds: Record<string, Ort.Tensor> = {};
    def.variables.forEach((v, i) => (feeds[`theta${i}`] = tensorOver(ort, weights[i], v.shape)));
    def.data.forEach((d, j) => (feeds[d.name] = tensorOver(ort, this.data[j], d.shape)));
    const out = new Float32Array(sizeOf(this.termsShape));
    await this.session.run(feeds, { terms: tensorOver(ort, out, this.termsShape) });
    return out;
  }

  dispose(): void {
    void this.session.release();
  }
}

/**
 * Where Adam runs: 'graph', appended to the step's graph (weights and moments in and out every step);
 * 'wasm', a fused pass of ./../engine/wasm-adam.ts over the engine's own WebAssembly memory after a
 * gradient graph (weights in, gradients out). Both round as the formula does: the same bits.
 */
export type OrtOptimizer = 'graph' | 'wasm';

/** The engine's state for one way of running Adam: what a step feeds and fetches, and the update after. */
interface Updater {
  theta: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
  /** Adds the variables' feeds and fetches of one step. */
  bind(feeds: Record<string, Ort.Tensor>, fetches: Record<string, Ort.Tensor>): void;
  /** After the run: makes the step's new weights and moments current. */
  finish(stepSize: number, sqrtBc2: number): void;
}

/** Adam in the graph: two sets of buffers, fed and fetched, swapped after each step. */
function graphUpdater(ort: typeof Ort, def: StepDefinition): Updater {
  const fresh = () => def.variables.map((v) => new Float32Array(sizeOf(v.shape)));
  let cur = { theta: fresh(), m: fresh(), v: fresh() };
  let spare = { theta: fresh(), m: fresh(), v: fresh() };
  return {
    get theta() {
      return cur.theta;
    },
    get m() {
      return cur.m;
    },
    get v() {
      return cur.v;
    },
    bind: (feeds, fetches) =>
      def.variables.forEach((v, i) => {
        for (const role of ['theta', 'm', 'v'] as const) {
          feeds[`${role}${i}`] = tensorOver(ort, cur[role][i], v.shape);
          fetches[`${role}${i}_next`] = tensorOver(ort, spare[role][i], v.shape);
        }
      }),
    finish: () => ([cur, spare] = [spare, cur]),
  };
}

/** Adam after the graph: weights, moments and gradients in one WebAssembly memory, updated in place. */
function wasmUpdater(ort: typeof Ort, def: StepDefinition, adam: AdamSettings): Updater {
  const sizes = def.variables.map((v) => sizeOf(v.shape));
  const floats = sizes.reduce((a, b) => a + b, 0);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((16 * floats + 64 * sizes.length) / 65536) + 1 });
  const kernel = wasmAdamOn(memory);
  if (!kernel) throw new Error('the WebAssembly Adam kernel could not be instantiated');
  let offset = 0;
  const view = (n: number) => {
    const v = new Float32Array(memory.buffer, offset, n);
    offset += 16 * Math.ceil((4 * n) / 16);
    return v;
  };
  const [theta, m, v, grad] = [0, 1, 2, 3].map(() => sizes.map(view));
  const f = Math.fround;
  return {
    theta,
    m,
    v,
    bind: (feeds, fetches) =>
      def.variables.forEach((spec, i) => {
        feeds[`theta${i}`] = tensorOver(ort, theta[i], spec.shape);
        fetches[`grad${i}`] = tensorOver(ort, grad[i], spec.shape);
      }),
    finish: (stepSize, sqrtBc2) =>
      def.variables.forEach((spec, i) => {
        const wd = spec.weightDecay;
        const constants = [wd, adam.beta1, 1 - adam.beta1, adam.beta2, 1 - adam.beta2, sqrtBc2, adam.eps, stepSize].map(f);
        const [th, mm, vv, g] = [theta[i].byteOffset, m[i].byteOffset, v[i].byteOffset, grad[i].byteOffset];
        kernel(th, mm, vv, g, 0, th, mm, vv, sizes[i], wd > 0 ? 2 : 0, ...constants);
      }),
  };
}

export class OrtStepEngine implements StepEngine {
  readonly ownsModelVariables = false;
  private t = 0;
  private readonly terms: Float32Array;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly def: StepDefinition,
    private readonly adam: AdamSettings,
    private readonly updater: Updater,
    readonly optimizer: OrtOptimizer,
    readonly nodes: number,
    readonly threads: number,
    readonly description: string,
    private readonly termsShape: readonly number[],
  ) {
    this.terms = new Float32Array(sizeOf(termsShape));
  }

  /** Builds the step's graph and its session; `init` holds the initial weights in variables() order. */
  static async create(
    def: StepDefinition,
    init: readonly Float32Array[],
    adam: AdamSettings,
    settings: SessionSettings & { optimizer?: OrtOptimizer },
  ): Promise<OrtStepEngine> {
    def.variables.forEach((v, i) => {
      if (init[i]?.length !== sizeOf(v.shape))
        throw new Error(`initial weights ${v.key}: ${init[i]?.length} values for [${v.shape.join(', ')}]`);
    });
    const optimizer = settings.optimizer ?? DEFAULT_OPTIMIZER;
    const graph = optimizer === 'graph' ? stepGraph(def, adam) : gradientGraph(def);
    const session = await createSession(graph.toModel(def.name), settings);
    const ort = await loadOrt();
    const updater = optimizer === 'graph' ? graphUpdater(ort, def) : wasmUpdater(ort, def, adam);
    init.forEach((w, i) => updater.theta[i].set(w));
    const threads = `${settings.threads} thread${settings.threads > 1 ? 's' : ''}`;
    const description = `onnxruntime-node ${settings.provider}, ${threads}, ${graph.nodeCount} nodes per step, Adam ${optimizer === 'graph' ? 'in the graph' : 'in WebAssembly'}`;
    return new OrtStepEngine(
      ort,
      session,
      def,
      adam,
      updater,
      optimizer,
      graph.nodeCount,
      settings.threads,
      description,
      graph.shapeOf('terms'),
    );
  }

  async step(data: readonly Float32Array[]): Promise<Float32Array> {
    this.t += 1;
    const { stepSize, sqrtBc2 } = adamScalars(this.adam.lr, this.adam, this.t);
    const { ort, def } = this;
    const feeds: Record<string, Ort.Tensor> = {};
    const fetches: Record<string, Ort.Tensor> = {};
    this.updater.bind(feeds, fetches);
    def.data.forEach((d, j) => {
      if (data[j]?.length !== sizeOf(d.shape))
        throw new Error(`${def.name}: input ${d.name} has ${data[j]?.length} values for [${d.shape.join(', ')}]`);
      feeds[d.name] = tensorOver(ort, data[j], d.shape);
    });
    if (this.optimizer === 'graph') {
      feeds.stepSize = tensorOver(ort, Float32Array.of(stepSize), []);
      feeds.sqrtBc2 = tensorOver(ort, Float32Array.of(sqrtBc2), []);
    }
    fetches.terms = tensorOver(ort, this.terms, this.termsShape);
    await this.session.run(feeds, fetches);
    this.updater.finish(stepSize, sqrtBc2);
    return Float32Array.from(this.terms);
  }

  weights(): Float32Array[] {
    return this.updater.theta.map((w) => Float32Array.from(w));
  }

  adamState(): AdamState {
    return { t: this.t, m: this.updater.m.map((x) => Float32Array.from(x)), v: this.updater.v.map((x) => Float32Array.from(x)) };
  }

  load(weights: readonly Float32Array[], adam: AdamState): void {
    if (weights.length !== this.def.variables.length || adam.m.length !== weights.length)
      throw new Error('saved state does not match the model');
    this.t = adam.t;
    weights.forEach((w, i) => {
      this.updater.theta[i].set(w);
      this.updater.m[i].set(adam.m[i]);
      this.updater.v[i].set(adam.v[i]);
    });
  }

  dispose(): void {
    void this.session.release();
  }
}

/** Adam's default place (docs/ENGINE.md has the measurements that chose it). */
export const DEFAULT_OPTIMIZER: OrtOptimizer = 'wasm';
