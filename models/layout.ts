// How a model's flat variable list (its variables() order, the order of saved keys, optimiser state
// and engine buffers) maps onto the structured parameters its passes take. No tensors here: the same
// layout serves tf.Variables, ONNX graph inputs and plain arrays.
import { CONV_PARAMS, type AutoencoderParams, type ConvParamName } from './autoencoder-pass.ts';
import { mlpFromVariables, type FieldParams } from './field-pass.ts';
import type { PixelParams } from './losses.ts';
import type { DissipationForm, ModelKind } from './kinds.ts';
import type { ConvAutoencoderSpec } from './conv-autoencoder.ts';

/** The part of a state model's spec the layout depends on. */
export interface FieldLayoutSpec {
  kind: ModelKind;
  hidden: readonly number[];
  /** The D-HNN's form (default 'momenta'). */
  dissipation?: DissipationForm;
}

/** Which layers of a dynamics MLP have a bias: every hidden layer, not the output. */
function mlpBiases(hidden: readonly number[]): boolean[] {
  return [...hidden.map(() => true), false];
}

/** A state model's structured parameters from its variables (H's or the baseline's, then D's). */
export function fieldParamsOf<T>(spec: FieldLayoutSpec, vars: readonly T[]): FieldParams<T> {
  const biases = mlpBiases(spec.hidden);
  const net = mlpFromVariables(vars, biases);
  const rest = vars.slice(net.used);
  if (spec.kind !== 'dhnn') {
    if (rest.length) throw new Error(`${vars.length} variables for a ${spec.kind} model of ${net.used}`);
    return { kind: spec.kind, net: net.params, dissipation: null };
  }
  const d = mlpFromVariables(rest, biases);
  if (d.used !== rest.length) throw new Error(`${vars.length} variables for a D-HNN of ${net.used + d.used}`);
  return { kind: 'dhnn', net: net.params, dissipation: d.params, form: spec.dissipation ?? 'momenta' };
}

/** The part of a pixel model's spec the layout depends on. */
export interface PixelLayoutSpec {
  kind: ModelKind;
  encoder?: 'mlp' | 'conv';
  dynHidden: readonly number[];
}

/** Variables of the pixel model's autoencoder (16 for either kind). */
export const AUTOENCODER_VARIABLES = 16;

/** A pixel model's structured parameters from its variables (the autoencoder's, then the latent model's). */
export function pixelParamsOf<T>(spec: PixelLayoutSpec, conv: ConvAutoencoderSpec | null, vars: readonly T[]): PixelParams<T> {
  const aeVars = vars.slice(0, AUTOENCODER_VARIABLES);
  let ae: AutoencoderParams<T>;
  if ((spec.encoder ?? 'mlp') === 'mlp') {
    ae = { kind: 'mlp', layers: Array.from({ length: 8 }, (_, l) => ({ w: aeVars[2 * l], b: aeVars[2 * l + 1] })) };
  } else {
    if (!conv) throw new Error('a convolutional autoencoder needs its spec');
    const p = Object.fromEntries(CONV_PARAMS.map((k, i) => [k, aeVars[i]])) as Record<ConvParamName, T>;
    ae = { kind: 'conv', spec: conv, p };
  }
  return { ae, dyn: fieldParamsOf({ kind: spec.kind, hidden: spec.dynHidden }, vars.slice(AUTOENCODER_VARIABLES)) };
}
