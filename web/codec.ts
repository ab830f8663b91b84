// The one place the page builds a pixel model from saved weights. It needs only the autoencoder
// (models/pixel-spec.ts: MLP or convolutional, as the spec says) in tensors: the latent fields run in
// float64 from the same weights (models/f64.ts, through src/eval/pixel.ts). models/pixel.ts itself
// cannot come into the page while it imports the Node file-system side of the artifacts (models/io.ts).
import type { NamedWeights } from '../models/mlp.ts';
import type { PixelTopology } from '../models/pixel.ts';
import { checkSpec, frameAutoencoder } from '../models/pixel-spec.ts';
import type { PixelCodec } from '../src/eval/pixel.ts';

/** models/pixel.ts's PIXEL_MODEL_FORMAT (test/browser.test.ts checks they agree). */
export const PIXEL_MODEL_FORMAT = 'hnn-ts/pixel-model';

export interface PageCodec extends PixelCodec {
  dispose(): void;
}

/** Encoder and decoder of a saved pixel model, as PixelModel's encode and decode (the same layers and weights). */
export function pixelCodec(topology: PixelTopology, weights: NamedWeights): PageCodec {
  const input = checkSpec(topology);
  const ae = frameAutoencoder(topology, input, weights);
  return {
    input,
    spec: topology,
    encode: (x) => ae.encode(x),
    decode: (z) => ae.decode(z),
    dispose: () => ae.dispose(),
  };
}
