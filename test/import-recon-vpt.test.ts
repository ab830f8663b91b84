// The VPT of the dynamics alone on imported frames (src/eval/imported.ts): rollouts scored against the
// model's own reconstructions of the true frames, with a codec whose arithmetic is known by hand.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { reconstructFrames, scoreImportedRollout } from '../src/eval/imported.ts';
import type { PixelCodec } from '../src/eval/pixel.ts';

const NN = 3; // values per frame
const C = 2; // frames per encoder row
const OFFSET = 0.1; // the decoder's bias: every reconstruction misses every value by 0.1

/** encode: the row itself (latent = input); decode: the latent plus OFFSET. */
const codec = {
  input: C * NN,
  spec: { latent: C * NN, context: C },
  encode: (x: tf.Tensor2D) => x,
  decode: (z: tf.Tensor2D) => tf.add(z, OFFSET),
} as unknown as PixelCodec;

/** frames f = 0..4 of values (f + 1) * (1, 2, 3) / 10 */
const FRAMES = 5;
const truth = Float32Array.from({ length: FRAMES * NN }, (_, i) => ((Math.floor(i / NN) + 1) * ((i % NN) + 1)) / 10);

describe('imported pixel rollouts against their reconstructions', () => {
  it('reconstructs frame f from the row starting at f, and the last frame from the last row', () => {
    const recon = reconstructFrames(codec, truth, FRAMES);
    for (let i = 0; i < truth.length; i++) expect(recon[i]).toBeCloseTo(truth[i] + OFFSET, 6);
    expect(() => reconstructFrames(codec, truth, 1)).toThrow(/needs 2 frames per encoder row, got 1/);
  });

  it('a rollout through the true rows is valid throughout against the reconstructions, not against the frames', () => {
    // latent of rollout frame f: the true row [frame f | frame f+1] (the last one repeats frame 4)
    const z = new Float64Array(FRAMES * C * NN);
    for (let f = 0; f < FRAMES; f++)
      for (let j = 0; j < C * NN; j++) z[f * C * NN + j] = truth[Math.min(f * NN + j, truth.length - NN + (j % NN))];
    // from frame 3 on the rollout leaves the truth by 0.5 in every value
    for (let i = 3 * C * NN; i < z.length; i++) z[i] += 0.5;
    const scored = scoreImportedRollout(codec, { z, reached: FRAMES }, truth, FRAMES);
    // against the frames: (0.1)^2 / mean(truth_0^2) = 0.01 / (0.01 * 14 / 3) = 0.214 > 0.025 from frame 0
    expect(scored.errors[0]).toBeCloseTo(0.01 / ((0.01 * 14) / 3), 5);
    expect(scored.vpt).toBe(0);
    // against the reconstructions: 0 until frame 3, then 0.25 / mean(truth_3^2)
    expect(scored.vptRecon).toBe(3);
    expect(scored.reconMse).toBeCloseTo(OFFSET ** 2, 6);
  });
});
