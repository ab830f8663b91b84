#!/usr/bin/env node
// The frames of a generated pixel dataset as one video, trial after trial (frames 1..F-1 of each:
// frame 0 of a training trial is not stored), for `hnn import video ... --trial-frames F-1`
// (docs/IMPORT.md). Grey datasets only.
//   node scripts/dataset-to-video.mjs DATASET OUT.mkv            lossless (FFV1), the frames as 8-bit grey
//   node scripts/dataset-to-video.mjs DATASET OUT.mp4 --degrade  scaled 4x (bicubic), blurred (sigma 1.2), H.264 at CRF 26
// Needs a build (npm run build) and ffmpeg on the PATH.
import { spawn } from 'node:child_process';
import { readDataset } from '../dist/datasets/format.js';

const [dir, out, flag] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: node scripts/dataset-to-video.mjs DATASET OUT.mkv|OUT.mp4 [--degrade]');
  process.exit(2);
}
const { manifest, arrays } = readDataset(dir);
const { trials, frames: F, size: N, channels = 1, frameDt } = manifest.params;
if (channels !== 1) throw new Error('grey datasets only');
const NN = N * N;
const per = F - 3;
const nTest = arrays.testFrames.shape[0];
const bytes = (a) => Uint8Array.from(a, (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${N}x${N}`, '-r', String(1 / frameDt), '-i', '-'];
const encode =
  flag === '--degrade'
    ? ['-vf', `scale=${4 * N}:${4 * N}:flags=bicubic,gblur=sigma=1.2`, '-c:v', 'libx264', '-crf', '26', '-pix_fmt', 'yuv420p']
    : ['-c:v', 'ffv1'];
const ff = spawn('ffmpeg', [...args, ...encode, out], { stdio: ['pipe', 'inherit', 'inherit'] });
const write = (frame) => ff.stdin.write(bytes(frame));
// test trials first (the dataset's first trials), frames 1..F-1 from testFrames
const tf = arrays.testFrames.data;
for (let t = 0; t < nTest; t++) for (let f = 1; f < F; f++) write(tf.subarray((t * F + f) * NN, (t * F + f + 1) * NN));
// training trials: frame k+1 is the first half of sample k; the last sample's next pair holds frames F-2, F-1
const x = arrays.trainPixels.data;
const next = arrays.trainNextPixels.data;
for (let t = 0; t < trials - nTest; t++) {
  for (let k = 0; k < per; k++) write(x.subarray((t * per + k) * 2 * NN, (t * per + k) * 2 * NN + NN));
  const last = (t * per + per - 1) * 2 * NN;
  write(next.subarray(last, last + NN));
  write(next.subarray(last + NN, last + 2 * NN));
}
ff.stdin.end();
ff.on('close', (code) => {
  if (code !== 0) process.exit(code ?? 1);
  console.log(
    `wrote ${out}: ${trials} trials of ${F - 1} frames (${N}x${N})${flag === '--degrade' ? ', scaled 4x, blurred, H.264' : ', lossless'}`,
  );
});
