// A trained model as ONNX inference graphs that any ONNX runtime loads: the learned H(x), the field
// dx/dt, the D-HNN's D(x), and a pixel model's encoder and decoder. The weights are constants of the
// graphs; the batch dimension is symbolic (N). Built with the same passes training uses
// (./field-pass.ts, ./autoencoder-pass.ts), recorded through the engine's ONNX lowering.
import { OnnxGraph, type Sym } from '../src/engine/onnx-graph.ts';
import { OnnxOps } from '../src/engine/onnx-ops.ts';
import { decoderPass, encoderPass, CONV_PARAMS } from './autoencoder-pass.ts';
import { dissipationForward, fieldPass, mlpForward } from './field-pass.ts';
import { fieldParamsOf, pixelParamsOf } from './layout.ts';
import { DISSIPATION_NET, dissipationNet, type DissipationForm, type ModelKind } from './kinds.ts';
import type { NamedWeights } from './mlp.ts';
import { convSpecOf, type PixelModelSpec } from './pixel-spec.ts';

/** The nominal batch graphs are recorded at (any batch runs them). */
const NOMINAL_BATCH = 7;

export interface ExportedGraph {
  /** File name, e.g. "field.onnx". */
  file: string;
  description: string;
  input: { name: string; shape: Array<number | 'N'> };
  output: { name: string; shape: Array<number | 'N'> };
  bytes: Uint8Array;
}

/** Variable keys of a tanh MLP in variables() order. */
function mlpKeys(prefix: string, layers: number): string[] {
  return Array.from({ length: layers }, (_, l) => (l + 1 < layers ? [`${prefix}/w${l}`, `${prefix}/b${l}`] : [`${prefix}/w${l}`])).flat();
}

/** The saved tensors in the given order, as constants of the graph. */
function constants(o: OnnxOps, weights: NamedWeights, keys: string[]): Sym[] {
  return keys.map((k) => {
    const w = weights[k];
    if (!w) throw new Error(`the saved weights have no tensor ${k}`);
    return o.constant(Float32Array.from(w.values), w.shape);
  });
}

/** Records one graph: `build` maps the input [N, inputWidth] to the output. */
function graphOf(
  file: string,
  description: string,
  names: [string, string],
  inputWidth: number,
  build: (o: OnnxOps, x: Sym) => Sym,
): ExportedGraph {
  const g = new OnnxGraph(NOMINAL_BATCH);
  const o = new OnnxOps(g);
  const y = build(o, g.input(names[0], [NOMINAL_BATCH, inputWidth]));
  g.output(names[1], y);
  return {
    file,
    description,
    input: { name: names[0], shape: ['N', inputWidth] },
    output: { name: names[1], shape: ['N', ...y.shape.slice(1)] },
    bytes: g.toModel(file.replace(/\.onnx$/, ''), description),
  };
}

/**
 * A state model's graphs: field.onnx always; hamiltonian.onnx for the HNN and D-HNN; dissipation.onnx for
 * the D-HNN: D in its form, as the field uses it (./field-pass.ts dissipationForward; the even form's D_s).
 */
export function dynamicsGraphs(
  spec: { kind: ModelKind; dim: number; hidden: readonly number[]; dissipation?: DissipationForm },
  weights: NamedWeights,
  prefix = '',
): ExportedGraph[] {
  const layers = spec.hidden.length + 1;
  const form = spec.dissipation ?? 'momenta';
  const keys = [...mlpKeys(spec.kind, layers), ...(spec.kind === 'dhnn' ? mlpKeys(dissipationNet(form), layers) : [])];
  const params = (o: OnnxOps) => fieldParamsOf(spec, constants(o, weights, keys));
  const io = (a: string, b: string): [string, string] => [a, b];
  const out = [
    graphOf(
      `${prefix}field.onnx`,
      'dx/dt of the learned model at states x = [q, p]',
      io('x', 'dxdt'),
      spec.dim,
      (o, x) => fieldPass(o, params(o), x).field,
    ),
  ];
  if (spec.kind !== 'baseline')
    out.push(
      graphOf(`${prefix}hamiltonian.onnx`, 'the learned Hamiltonian H(x), x = [q, p]', io('x', 'H'), spec.dim, (o, x) =>
        mlpForward(o, params(o).net, x),
      ),
    );
  if (spec.kind === 'dhnn')
    out.push(
      graphOf(`${prefix}dissipation.onnx`, "the D-HNN's learned dissipation D(x), as its field uses it", io('x', 'D'), spec.dim, (o, x) =>
        dissipationForward(o, params(o).dissipation!, x, form),
      ),
    );
  return out;
}

/** A pixel model's graphs: encoder.onnx (rows -> latent), decoder.onnx (latent -> rows), and its latent model's (latent-*.onnx). */
export function pixelGraphs(spec: PixelModelSpec, input: number, weights: NamedWeights): ExportedGraph[] {
  const conv = convSpecOf(spec);
  const aeKeys = conv ? CONV_PARAMS.map((k) => `ae/${k}`) : Array.from({ length: 8 }, (_, l) => [`ae/w${l + 1}`, `ae/b${l + 1}`]).flat();
  const layers = spec.dynHidden.length + 1;
  const dynKeys = [...mlpKeys(spec.kind, layers), ...(spec.kind === 'dhnn' ? mlpKeys(DISSIPATION_NET, layers) : [])];
  const ae = (o: OnnxOps) => pixelParamsOf(spec, conv, [...constants(o, weights, aeKeys), ...constants(o, weights, dynKeys)]).ae;
  return [
    graphOf(
      'encoder.onnx',
      'frames (a row of the dataset: the context frames, row-major) -> latent z = [q, p]',
      ['frames', 'z'],
      input,
      (o, x) => encoderPass(o, ae(o), x).out,
    ),
    graphOf('decoder.onnx', 'latent z = [q, p] -> frames', ['z', 'frames'], spec.latent, (o, z) => decoderPass(o, ae(o), z).out),
    ...dynamicsGraphs({ kind: spec.kind, dim: spec.latent, hidden: spec.dynHidden }, weights, 'latent-'),
  ];
}
