// Whether a trained pixel model learned anything, on the test split: its latent step against a latent
// that stays still, and its reconstruction against the training split's mean pair. A model that fails
// either has rollout metrics that measure nothing it learned (src/eval/derivative.ts: againstReference).
import type { PixelSplit } from '../../datasets/pixel-load.ts';
import { againstReference, type AgainstNoMotion } from './derivative.ts';

/** Why the rollout metrics of a pixel model whose latent does not beat a still one mean nothing. */
export const STILL_LATENT_REASON = 'a latent that barely moves keeps its energy by construction';

/** Why the rollout metrics of a pixel model whose reconstruction does not beat the mean pair mean nothing. */
export const MEAN_FRAME_REASON = 'latents that carry no more of the frames than their mean say nothing of the state';

/** The reconstruction beside that of the training split's mean pair, for every test row. */
export interface AgainstMeanFrame {
  /** the mean pair's reconstruction loss */
  meanFrameLoss: number;
  /** the model's reconstruction loss over the mean pair's */
  ratio: number;
  /** false when the reconstruction is not clearly better than the mean pair's (AgainstNoMotion.learned) */
  learned: boolean;
}

export interface PixelAgainstTrivial {
  /** the latent term (pair k+1's encoding against the model's step from pair k's) against z_{k+1} = z_k */
  againstNoMotion: AgainstNoMotion;
  againstMeanFrame: AgainstMeanFrame;
}

/**
 * `terms` holds the model's per-row latent (`hnn`) and reconstruction terms on `test`
 * (splitSampleLosses); `z` and `zNext` the encodings of its rows and of their successors, [rows, d];
 * `train` gives the mean pair.
 */
export function pixelAgainstTrivial(
  terms: { hnn: Float64Array; recon: Float64Array },
  z: Float64Array,
  zNext: Float64Array,
  d: number,
  test: PixelSplit,
  train: PixelSplit,
): PixelAgainstTrivial {
  const still = new Float64Array(test.rows);
  for (let r = 0; r < test.rows; r++) {
    for (let j = r * d; j < (r + 1) * d; j++) still[r] += (zNext[j] - z[j]) ** 2 / d;
  }
  const motion = againstReference(terms.hnn, still);
  const frame = againstReference(terms.recon, meanPairLosses(test, train));
  return {
    againstNoMotion: { noMotionLoss: motion.referenceLoss, ratio: motion.ratio, learned: motion.learned },
    againstMeanFrame: { meanFrameLoss: frame.referenceLoss, ratio: frame.ratio, learned: frame.learned },
  };
}

/** Per test row, the mean squared difference from the training split's mean pair (the reconstruction's units). */
export function meanPairLosses(test: PixelSplit, train: PixelSplit): Float64Array {
  const w = train.x.length / train.rows;
  const mean = new Float64Array(w);
  for (let r = 0; r < train.rows; r++) for (let i = 0; i < w; i++) mean[i] += train.x[r * w + i];
  for (let i = 0; i < w; i++) mean[i] /= train.rows;
  const out = new Float64Array(test.rows);
  for (let r = 0; r < test.rows; r++) {
    let s = 0;
    for (let i = 0; i < w; i++) s += (test.x[r * w + i] - mean[i]) ** 2;
    out[r] = s / w;
  }
  return out;
}
