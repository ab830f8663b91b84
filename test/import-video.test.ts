// `hnn import video` (datasets/import-video.ts, datasets/video-frames.ts): a video and a folder of
// its frames give the same dataset; --crop auto finds what moves; the split and normalisation; and
// every bad input refused by the CLI with one line naming the fix, leaving nothing behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { importVideo } from '../datasets/import-video.ts';
import { testTrialSet } from '../datasets/import-states.ts';
import { openFrameSource, autoCrop } from '../datasets/video-frames.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';
import { expectOneLineError, hnn } from './helpers/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'hnn-import-video-'));

/** Videos are read through ffmpeg (.ci/run installs it); without it these tests are reported as skipped. */
const noFfmpeg = spawnSync('ffmpeg', ['-version']).status !== 0 || spawnSync('ffprobe', ['-version']).status !== 0;

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** A small square moving on a grey background: 48 frames of 32x32 at 10 frames/s. */
const MOVING = 'color=c=0x405060:s=32x32:r=10:d=4.8[bg];color=c=0xf0a020:s=6x6:r=10:d=4.8[sq];[bg][sq]overlay=x=10+8*sin(2*t):y=12[out0]';

describe.skipIf(noFfmpeg)('video import', () => {
  test('a lossless video and a folder of its frames give the same arrays; the split is seeded', async () => {
    const dir = tmp();
    ffmpeg(['-f', 'lavfi', '-i', MOVING, '-c:v', 'ffv1', join(dir, 'v.mkv')]);
    mkdirSync(join(dir, 'frames'));
    ffmpeg(['-i', join(dir, 'v.mkv'), join(dir, 'frames', 'f%03d.png')]);
    const opts = { size: 32, trialFrames: 8, background: 'keep' as const, quiet: true };
    const a = await importVideo(join(dir, 'v.mkv'), join(dir, 'a'), opts);
    const b = await importVideo(join(dir, 'frames'), join(dir, 'b'), { ...opts, fps: 10 });
    expect([a.trials, a.frames, a.testTrials, a.channels]).toEqual([6, 8, 1, 3]);
    for (const name of ['trainPixels', 'testFrames']) expect(a.manifest.arrays[name].sha256, name).toBe(b.manifest.arrays[name].sha256);
    expect(a.frameDt).toBeCloseTo(0.1, 12);
    const ds = loadPixelDataset(join(dir, 'a'));
    expect(ds.task.name).toBe('pixel-import');
    expect(ds.data.train.rows).toBe(5 * 5);
    const px = ds.data.train.x;
    expect(px.every((v) => v >= 0 && v <= 1)).toBe(true);
    // frame k+1 | frame k+2 of the first train trial: the second half of row 0 is the first half of row 1
    const w = ds.data.train.x.length / ds.data.train.rows;
    expect(px.subarray(w / 2, w)).toEqual(px.subarray(w, w + w / 2));
    const c = await importVideo(join(dir, 'v.mkv'), join(dir, 'c'), { ...opts, seed: 0 });
    expect(c.manifest.params.testTrials).toEqual(a.manifest.params.testTrials);
    const sets = Array.from({ length: 10 }, (_, s) => [...testTrialSet(6, 0.2, s)].join());
    expect(new Set(sets).size).toBeGreaterThan(1);
    expect((a.manifest.params as { source: { sha256: string } }).source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('--every and --fps choose the frame interval; the manifest records every option and the command', async () => {
    const dir = tmp();
    ffmpeg(['-f', 'lavfi', '-i', MOVING, '-c:v', 'ffv1', join(dir, 'v.mkv')]);
    const every = await importVideo(join(dir, 'v.mkv'), join(dir, 'e'), {
      size: 8,
      every: 2,
      trialFrames: 4,
      quiet: true,
      command: 'hnn import video v.mkv',
    });
    expect([every.trials, every.frames]).toEqual([6, 4]);
    expect(every.frameDt).toBeCloseTo(0.2, 12);
    const fps = await importVideo(join(dir, 'v.mkv'), join(dir, 'f'), { size: 8, fps: 5, trialFrames: 4, quiet: true });
    expect([fps.trials, fps.frameDt]).toEqual([6, 0.2]);
    const p = every.manifest.params as { options: Record<string, unknown>; command: string; framesRead: number };
    expect(p.options).toMatchObject({ every: 2, trialFrames: 4, grey: false, background: 'subtract', crop: null });
    expect(p.command).toBe('hnn import video v.mkv');
    expect(p.framesRead).toBe(24);
  });

  test('--crop auto is the box around what moves; background subtraction leaves it bright on black', async () => {
    const dir = tmp();
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x608040:s=96x96:r=10:d=3[bg];color=c=white:s=8x8:r=10:d=3[sq];[bg][sq]overlay=x=20+10*sin(3*t):y=60[out0]',
      '-c:v',
      'ffv1',
      join(dir, 'v.mkv'),
    ]);
    const box = await autoCrop(await openFrameSource(join(dir, 'v.mkv'), undefined), 1e9);
    // the square sweeps x in [10, 38], y in [60, 68]
    expect(box.x).toBeLessThanOrEqual(10);
    expect(box.x + box.w).toBeGreaterThanOrEqual(38);
    expect(box.y).toBeLessThanOrEqual(60);
    expect(box.y + box.h).toBeGreaterThanOrEqual(68);
    expect(box.w).toBeLessThan(60);
    await importVideo(join(dir, 'v.mkv'), join(dir, 'ds'), { crop: 'auto', grey: true, size: 16, trialFrames: 10, quiet: true });
    const ds = loadPixelDataset(join(dir, 'ds'));
    const f = ds.data.train.x.subarray(0, 256);
    const sorted = Float32Array.from(f).sort();
    expect(sorted[128]).toBeLessThan(0.05); // the background is near 0
    expect(sorted[255]).toBeGreaterThan(0.5); // what moves is bright
  });
});

describe('bad input: one line naming the fix, nothing written', () => {
  test('a video without ffmpeg on the PATH', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.mp4'), 'anything');
    const r = hnn(['import', 'video', join(dir, 'x.mp4'), '--out', join(dir, 'out'), '--trial-frames', '4'], {
      env: { ...process.env, PATH: join(dir, 'no-such-bin') },
    });
    expectOneLineError(
      r,
      /ffmpeg \(ffprobe\) is not on the PATH, and videos are read through it; install ffmpeg, or give a folder of PNG or JPEG frames/,
    );
    expect(readdirSync(dir)).toEqual(['x.mp4']);
  });

  test.skipIf(noFfmpeg).each([
    [
      'a file ffmpeg cannot read',
      (d: string) => (writeFileSync(join(d, 'x.mp4'), 'not a video'), [join(d, 'x.mp4')]),
      /ffmpeg cannot read .*x\.mp4.*give an MP4, WebM or GIF video, or a folder of PNG or JPEG frames/,
    ],
    [
      'a 1-frame video',
      (d: string) => (
        ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10:d=0.1', '-frames:v', '1', join(d, 'x.mp4')]),
        [join(d, 'x.mp4'), '--trial-frames', '4']
      ),
      /gives 1 frame; a pixel dataset needs at least 8/,
    ],
    [
      'a crop outside the frame',
      (d: string) => (
        ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10:d=1', join(d, 'x.mp4')]),
        [join(d, 'x.mp4'), '--crop', '10,10,30,30']
      ),
      /--crop 10,10,30,30 reaches 40,40, outside the 32x32 frame; choose a box within it/,
    ],
    [
      'more than the size limit',
      (d: string) => (
        ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10:d=1', join(d, 'x.mp4')]),
        [join(d, 'x.mp4'), '--max-gb', '0.00001', '--trial-frames', '4']
      ),
      /over the --max-gb 0.00001 limit; take a shorter clip, a smaller --size, --every K, or raise --max-gb/,
    ],
    [
      'one long trial',
      (d: string) => (ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10:d=2', join(d, 'x.mp4')]), [join(d, 'x.mp4')]),
      /one sequence of 20 frames.*--trial-frames F/,
    ],
    [
      'too few frames per trial',
      (d: string) => (
        ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10:d=1', join(d, 'x.mp4')]),
        [join(d, 'x.mp4'), '--trial-frames', '2']
      ),
      /--trial-frames must be an integer >= 4, got 2\n?$/,
    ],
    [
      'an empty frame folder',
      (d: string) => (mkdirSync(join(d, 'frames')), [join(d, 'frames')]),
      /holds no \.png \/ \.jpg \/ \.jpeg frames/,
    ],
  ])('video: %s', (_name, make, pattern) => {
    const dir = tmp();
    const args = (make as (d: string) => string[])(dir);
    const before = readdirSync(dir);
    expectOneLineError(hnn(['import', 'video', ...args, '--out', join(dir, 'out')]), pattern as RegExp);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readdirSync(dir)).toEqual(before);
  });

  test.each([
    [
      'unknown column',
      't,q,p\n0,1,2\n1,2,3\n',
      ['--columns', 'q,x', '--time', 't', '--split', 'time'],
      /unknown column "x".*its columns are t, q, p/,
    ],
    [
      'ragged rows',
      't,q,p\n0,1,2\n1,2\n',
      ['--columns', 'q,p', '--time', 't', '--split', 'time'],
      /line 3 has 2 values, the header has 3 columns; make every row as long as the header/,
    ],
    [
      'NaN',
      't,q,p\n0,1,2\n1,nan,2\n2,1,1\n',
      ['--columns', 'q,p', '--time', 't', '--split', 'time'],
      /column "q" is "nan", not a finite number \(NaN and Inf are refused\)/,
    ],
    ['Inf', 't,q,p\n0,1,2\n1,-Infinity,2\n2,1,1\n', ['--columns', 'q,p', '--time', 't', '--split', 'time'], /column "q" is "-Infinity"/],
    [
      'non-monotonic time',
      't,q,p\n0,1,2\n1,1,2\n1,1,1\n',
      ['--columns', 'q,p', '--time', 't', '--split', 'time'],
      /time does not increase at data row 3 \(trial 0: t = 1, then 1\)/,
    ],
  ])('states: %s', (_name, text, args, pattern) => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.csv'), text as string);
    expectOneLineError(hnn(['import', 'states', join(dir, 'x.csv'), ...(args as string[]), '--out', join(dir, 'out')]), pattern as RegExp);
    expect(readdirSync(dir)).toEqual(['x.csv']);
  });
});
