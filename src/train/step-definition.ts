// A training step as data plus one definition: the variables (shape, weight decay), the batch inputs,
// and `build`, which computes the loss terms and every variable's gradient parts on any lowering of
// the engine's Ops. ./engine.ts turns a definition into an ONNX graph with Adam appended (one
// ONNX Runtime call per step) or runs it on tfjs with the project's Adam.
import type { Ops } from '../engine/ops.ts';
import type { ActiveInputs } from '../../models/autoencoder-pass.ts';
import { fieldParamsOf, pixelParamsOf, type FieldLayoutSpec, type PixelLayoutSpec } from '../../models/layout.ts';
import { stateLossGradients, trajectoryLossGradients, windowLossGradients, type WindowLossConfig } from '../../models/losses.ts';
import type { ConvAutoencoderSpec } from '../../models/conv-autoencoder.ts';
import type { LatentStep } from '../../models/kinds.ts';

export interface VariableSpec {
  key: string;
  shape: number[];
  /** Coupled L2 coefficient (0: none). */
  weightDecay: number;
}

export interface StepDefinition {
  /** For messages and the graph's name. */
  name: string;
  variables: VariableSpec[];
  /** The batch inputs fed at every step, in order. */
  data: Array<{ name: string; shape: number[] }>;
  /** What the terms tensor holds, in order (before the update). */
  terms: string[];
  build<T>(o: Ops<T>, vars: T[], data: T[]): { terms: T; grads: T[][] };
}

/** The paper's state loss on batches of `rows` states: data x and y = dx/dt, [rows, dim] each. */
export function stateStepDefinition(spec: FieldLayoutSpec, variables: VariableSpec[], rows: number, dim: number): StepDefinition {
  return {
    name: `state-${spec.kind}`,
    variables,
    data: [
      { name: 'x', shape: [rows, dim] },
      { name: 'y', shape: [rows, dim] },
    ],
    terms: ['loss'],
    build: (o, vars, [x, y]) => {
      const { loss, grads } = stateLossGradients(o, fieldParamsOf(spec, vars), x, y);
      return { terms: loss, grads };
    },
  };
}

/**
 * The state trajectory loss: `rows` trajectories of K + 1 consecutive states h apart, stacked step by
 * step, [(K + 1) rows, dim]; K steps of `method` from the first are compared with the rest.
 */
export function trajectoryStepDefinition(
  spec: FieldLayoutSpec,
  variables: VariableSpec[],
  rows: number,
  dim: number,
  chain: { K: number; method: LatentStep; h: number },
): StepDefinition {
  return {
    name: `state-${spec.kind}-${chain.method}${chain.K}`,
    variables,
    data: [{ name: 'states', shape: [(chain.K + 1) * rows, dim] }],
    terms: ['loss'],
    build: (o, vars, [states]) => {
      const { loss, grads } = trajectoryLossGradients(o, fieldParamsOf(spec, vars), states, chain.K, chain.method, chain.h);
      return { terms: loss, grads };
    },
  };
}

/**
 * The pixel window loss on `count` windows of K + 1 pairs of `width` values: data xAll [(K + 1) count,
 * width] pair by pair, and xHead, its first K blocks whole (the decoder's targets). With `active`,
 * xAll holds only those columns, [(K + 1) count, active.columns.length], and the pairs must be 0 in
 * every other column (models/autoencoder-pass.ts ActiveInputs).
 */
export function windowStepDefinition(
  spec: PixelLayoutSpec,
  conv: ConvAutoencoderSpec | null,
  variables: VariableSpec[],
  window: { K: number; count: number; width: number; active?: ActiveInputs | null },
  loss: WindowLossConfig,
): StepDefinition {
  const { K, count, width, active } = window;
  if (active && (spec.encoder ?? 'mlp') !== 'mlp') throw new Error('active input columns apply to the MLP autoencoder only');
  const paramsOf = <T>(vars: T[]) => {
    const p = pixelParamsOf(spec, conv, vars);
    return active && p.ae.kind === 'mlp' ? { ...p, ae: { ...p.ae, active } } : p;
  };
  return {
    name: `pixel-${spec.kind}-${loss.latentStep}${K}`,
    variables,
    data: [
      { name: 'xAll', shape: [(K + 1) * count, active ? active.columns.length : width] },
      { name: 'xHead', shape: [K * count, width] },
    ],
    terms: ['recon', 'consistency', 'hnn'],
    build: (o, vars, [xAll, xHead]) => windowLossGradients(o, paramsOf(vars), xHead, xAll, K, loss),
  };
}
