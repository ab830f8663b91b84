// The ORT engine: a training step (./step-definition.ts) and Adam recorded as ONE ONNX graph, run by
// ONNX Runtime once per step with the weights and Adam's moments fed in and fetched into
// preallocated buffers (two sets, swapped after each step: no allocation per step).
import type * as Ort from 'onnxruntime-node';
import { OnnxGraph, type Sym } from '../engine/onnx-graph.ts';
import { OnnxOps } from '../engine/onnx-ops.ts';
import { createSession, loadOrt, tensorOver, type SessionSettings } from '../engine/ort.ts';
import { sizeOf } from '../engine/ops.ts';
import { adamScalars, adamUpdate, type AdamConstants } from './adam-formula.ts';
import type { AdamState } from './adam.ts';
import type { AdamSettings, StepEngine } from './engine.ts';
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

type Buffers = { theta: Float32Array[]; m: Float32Array[]; v: Float32Array[] };

export class OrtStepEngine implements StepEngine {
  readonly ownsModelVariables = false;
  private t = 0;
  private current: Buffers;
  private spare: Buffers;
  private readonly terms: Float32Array;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly def: StepDefinition,
    private readonly adam: AdamSettings,
    readonly nodes: number,
    readonly threads: number,
    readonly description: string,
    init: readonly Float32Array[],
    private readonly termsShape: readonly number[],
  ) {
    const fresh = (fill: (i: number) => Float32Array) => def.variables.map((_, i) => fill(i));
    this.current = {
      theta: fresh((i) => Float32Array.from(init[i])),
      m: fresh((i) => new Float32Array(init[i].length)),
      v: fresh((i) => new Float32Array(init[i].length)),
    };
    this.spare = {
      theta: fresh((i) => new Float32Array(init[i].length)),
      m: fresh((i) => new Float32Array(init[i].length)),
      v: fresh((i) => new Float32Array(init[i].length)),
    };
    this.terms = new Float32Array(sizeOf(termsShape));
  }

  /** Builds the step's graph and its session; `init` holds the initial weights in variables() order. */
  static async create(
    def: StepDefinition,
    init: readonly Float32Array[],
    adam: AdamSettings,
    settings: SessionSettings,
  ): Promise<OrtStepEngine> {
    def.variables.forEach((v, i) => {
      if (init[i]?.length !== sizeOf(v.shape))
        throw new Error(`initial weights ${v.key}: ${init[i]?.length} values for [${v.shape.join(', ')}]`);
    });
    const graph = stepGraph(def, adam);
    const session = await createSession(graph.toModel(def.name), settings);
    const description = `onnxruntime-node ${settings.provider}, ${settings.threads} thread${settings.threads > 1 ? 's' : ''}, ${graph.nodeCount} nodes per step`;
    return new OrtStepEngine(
      await loadOrt(),
      session,
      def,
      adam,
      graph.nodeCount,
      settings.threads,
      description,
      init,
      graph.shapeOf('terms'),
    );
  }

  async step(data: readonly Float32Array[]): Promise<Float32Array> {
    this.t += 1;
    const { stepSize, sqrtBc2 } = adamScalars(this.adam.lr, this.adam, this.t);
    const { ort, def } = this;
    const feeds: Record<string, Ort.Tensor> = {};
    const fetches: Record<string, Ort.Tensor> = {};
    def.variables.forEach((v, i) => {
      for (const role of ['theta', 'm', 'v'] as const) {
        feeds[`${role}${i}`] = tensorOver(ort, this.current[role][i], v.shape);
        fetches[`${role}${i}_next`] = tensorOver(ort, this.spare[role][i], v.shape);
      }
    });
    def.data.forEach((d, j) => {
      if (data[j]?.length !== sizeOf(d.shape))
        throw new Error(`${def.name}: input ${d.name} has ${data[j]?.length} values for [${d.shape.join(', ')}]`);
      feeds[d.name] = tensorOver(ort, data[j], d.shape);
    });
    feeds.stepSize = tensorOver(ort, Float32Array.of(stepSize), []);
    feeds.sqrtBc2 = tensorOver(ort, Float32Array.of(sqrtBc2), []);
    fetches.terms = tensorOver(ort, this.terms, this.termsShape);
    await this.session.run(feeds, fetches);
    [this.current, this.spare] = [this.spare, this.current];
    return Float32Array.from(this.terms);
  }

  weights(): Float32Array[] {
    return this.current.theta.map((w) => Float32Array.from(w));
  }

  adamState(): AdamState {
    return { t: this.t, m: this.current.m.map((x) => Float32Array.from(x)), v: this.current.v.map((x) => Float32Array.from(x)) };
  }

  load(weights: readonly Float32Array[], adam: AdamState): void {
    if (weights.length !== this.def.variables.length || adam.m.length !== weights.length)
      throw new Error('saved state does not match the model');
    this.t = adam.t;
    weights.forEach((w, i) => {
      this.current.theta[i].set(w);
      this.current.m[i].set(adam.m[i]);
      this.current.v[i].set(adam.v[i]);
    });
  }

  dispose(): void {
    void this.session.release();
  }
}
