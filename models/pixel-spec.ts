// The shape of a pixel model (its spec) and its autoencoder built from the spec: no file system, so
// the browser page builds the same encoder and decoder from saved weights (web/codec.ts).
import { Autoencoder } from './autoencoder.ts';
import { ConvAutoencoder, type ConvAutoencoderSpec } from './conv-autoencoder.ts';
import type { ModelKind, PixelEncoder } from './kinds.ts';
import type { NamedWeights } from './mlp.ts';

export interface PixelModelSpec {
  kind: ModelKind;
  /** Frame side N: input = 2 N^2 (times 3 for RGB frames). */
  frameSize: number;
  /** Values per pixel: 1 grey (default), 3 RGB. */
  channels?: 1 | 3;
  /** Autoencoder width (200). */
  hidden: number;
  /** Latent size 2k (2). */
  latent: number;
  /** Hidden sizes of the latent MLP ([200, 200]). */
  dynHidden: number[];
  /** The autoencoder: the paper's residual MLP (default) or a convolutional one over the frame stack. */
  encoder?: PixelEncoder;
  /** Frames per input row (default 2, the paper's pair): the stack the encoder sees and the decoder rebuilds. */
  context?: number;
  /** Saved D-HNNs: 'momenta', D acts on dp/dt alone (models/dynamics.ts DISSIPATION_FORM; older ones lack it). */
  dissipation?: 'momenta';
}

/** Frames per input row of a spec (2 unless a context is given). */
export function contextOf(spec: Pick<PixelModelSpec, 'context'>): number {
  return spec.context ?? 2;
}

/** Input length of a spec's rows: context x N^2 x channels. */
export function pixelInputSize(spec: Pick<PixelModelSpec, 'frameSize' | 'channels' | 'context'>): number {
  return contextOf(spec) * spec.frameSize * spec.frameSize * (spec.channels ?? 1);
}

export function checkSpec(spec: PixelModelSpec): number {
  if (spec.latent % 2 !== 0) throw new Error(`latent size must be even (q, p), got ${spec.latent}`);
  const c = contextOf(spec);
  if (!Number.isInteger(c) || c < 2) throw new Error(`context must be an integer of at least 2 frames, got ${c}`);
  return pixelInputSize(spec);
}

export type FrameAutoencoder = Autoencoder | ConvAutoencoder;

/** The convolutional autoencoder's spec of a pixel model (null for the MLP autoencoder). */
export function convSpecOf(spec: PixelModelSpec): ConvAutoencoderSpec | null {
  if ((spec.encoder ?? 'mlp') === 'mlp') return null;
  return { frameSize: spec.frameSize, frames: contextOf(spec), channels: spec.channels ?? 1, hidden: spec.hidden, latent: spec.latent };
}

export function frameAutoencoder(spec: PixelModelSpec, input: number, make: 'init' | NamedWeights, seed = 0): FrameAutoencoder {
  const conv = convSpecOf(spec);
  if (!conv) {
    const s = { input, hidden: spec.hidden, latent: spec.latent };
    return make === 'init' ? Autoencoder.init(s, seed, 'ae') : Autoencoder.fromWeights(s, make, 'ae');
  }
  return make === 'init' ? ConvAutoencoder.init(conv, seed, 'ae') : ConvAutoencoder.fromWeights(conv, make, 'ae');
}
