import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../src/util/errors.ts';
import { composeLayout, composePanels, hasFfmpeg, readVideoInfo, writeVideo, type VideoPanel } from '../src/media/video.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-video-'));
const N = 28;

/** `count` frames with a single bright pixel moving along the diagonal. */
function movingDot(count: number, value = 1): Float32Array[] {
  return Array.from({ length: count }, (_, t) => {
    const f = new Float32Array(N * N);
    const k = t % N;
    f[k * N + k] = value;
    return f;
  });
}

function pixel(frame: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 3;
  return [frame[i], frame[i + 1], frame[i + 2]];
}

describe('composePanels', () => {
  it('lays out panels as n * (size * scale) + gaps wide, label strip + panel high', () => {
    const panels: VideoPanel[] = ['truth', 'baseline', 'HNN'].map((label) => ({ label, frames: movingDot(5) }));
    const v = composePanels(panels, N, { scale: 6, gap: 8 });
    // 28 * 6 = 168 px panels, 2 gaps of 8, a 24 px label strip (font scale 2 for panels >= 120 px)
    expect(v.width).toBe(3 * 168 + 2 * 8);
    expect(v.height).toBe(24 + 168);
    expect(v.frames).toHaveLength(5);
    for (const f of v.frames) expect(f.length).toBe(v.width * v.height * 3);
    expect(composeLayout(3, N, { scale: 6, gap: 8 })).toMatchObject({ panel: 168, labelHeight: 24, width: v.width, height: v.height });
    // the frame counter adds a second strip; small panels use the 1x font (15 px strips)
    expect(composeLayout(3, N, { scale: 6, gap: 8, counter: true }).height).toBe(24 + 168 + 24);
    expect(composeLayout(2, N, { scale: 2, gap: 0 })).toMatchObject({ panel: 56, labelHeight: 15, width: 112, height: 71 });
  });

  it('upscales with nearest neighbour and places each panel after the gap', () => {
    const a = new Float32Array(N * N);
    a[0] = 1; // top-left source pixel
    const b = new Float32Array(N * N);
    b[N * N - 1] = 0.5; // bottom-right source pixel
    const v = composePanels(
      [
        { label: 'a', frames: [a] },
        { label: 'b', frames: [b] },
      ],
      N,
      { scale: 3, gap: 4 },
    );
    const L = composeLayout(2, N, { scale: 3, gap: 4 });
    const f = v.frames[0];
    const top = L.labelHeight;
    for (const [x, y] of [
      [0, 0],
      [2, 2],
      [1, 2],
    ])
      expect(pixel(f, v.width, x, top + y)).toEqual([255, 255, 255]);
    expect(pixel(f, v.width, 3, top)).toEqual([0, 0, 0]);
    const x0 = 84 + 4; // second panel starts after 28 * 3 px and the gap
    expect(pixel(f, v.width, x0 + 83, top + 83)).toEqual([128, 128, 128]);
    expect(pixel(f, v.width, x0 + 81, top + 81)).toEqual([128, 128, 128]);
    expect(pixel(f, v.width, x0 + 80, top + 83)).toEqual([0, 0, 0]);
    // the gap and the label strip are the strip colour; the label has dark ink in it
    expect(pixel(f, v.width, 85, top + 10)).toEqual([255, 255, 255]);
    let ink = 0;
    for (let y = 0; y < top; y++) for (let x = 0; x < 84; x++) if (pixel(f, v.width, x, y)[0] === 0) ink++;
    expect(ink).toBeGreaterThan(5);
  });

  it('smooth upscaling interpolates between source pixels', () => {
    const f = new Float32Array(N * N);
    for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) f[y * N + x] = x / (N - 1);
    const v = composePanels([{ label: 's', frames: [f] }], N, { scale: 4, smooth: true });
    const row = 15 + 40; // a row inside the panel (label strip is 15 px at 112 px panels)
    const values = Array.from({ length: 112 }, (_, x) => pixel(v.frames[0], v.width, x, row)[0]);
    for (let x = 1; x < values.length; x++) expect(values[x]).toBeGreaterThanOrEqual(values[x - 1]);
    expect(new Set(values).size).toBeGreaterThan(60); // nearest would give only 28 levels
  });

  it('holds the last frame of shorter panels, clamps values and draws NaN black', () => {
    const short = movingDot(2, 7); // out-of-range value
    short[1][5] = NaN;
    const v = composePanels(
      [
        { label: 'long', frames: movingDot(6) },
        { label: 'short', frames: short },
      ],
      N,
      { scale: 1, gap: 2 },
    );
    expect(v.frames).toHaveLength(6);
    const top = composeLayout(2, N, { scale: 1, gap: 2 }).labelHeight;
    const x0 = N + 2;
    expect(pixel(v.frames[5], v.width, x0 + 1, top + 1)).toEqual([255, 255, 255]); // frame 1 of "short", held
    expect(pixel(v.frames[5], v.width, x0 + 5, top)).toEqual([0, 0, 0]);
    expect(pixel(v.frames[5], v.width, 5, top + 5)).toEqual([255, 255, 255]); // "long" at frame 5
  });

  it('rejects frames of the wrong size and empty panels', () => {
    expect(() => composePanels([{ label: 'x', frames: [new Float32Array(10)] }], N, { scale: 2 })).toThrow(/expected 28x28/);
    expect(() => composePanels([{ label: 'x', frames: [] }], N, { scale: 2 })).toThrow(/no frames/);
    expect(() => composePanels([], N, { scale: 2 })).toThrow(/at least one panel/);
  });
});

describe('writeVideo', () => {
  const panels: VideoPanel[] = [
    { label: 'truth', frames: movingDot(12) },
    { label: 'HNN', frames: movingDot(12, 0.6) },
  ];
  const video = composePanels(panels, N, { scale: 4, counter: true });
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('writes a GIF that reads back with the frame count, size and pixels', async () => {
    const path = join(dir, 'sub', 'rollout.gif');
    await writeVideo(path, video, { fps: 10 });
    expect(await readVideoInfo(path)).toEqual({ frames: 12, width: video.width, height: video.height });
    // grey levels use an exact palette: frame 3 decodes to the composed pixels
    const { data } = await sharp(path, { page: 3 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.compare(data, Buffer.from(video.frames[3]))).toBe(0);
  });

  it('writes an MP4 when ffmpeg is on the PATH (and refuses with the install hint otherwise)', async () => {
    const path = join(dir, 'rollout.mp4');
    if (!hasFfmpeg()) {
      await expect(writeVideo(path, video, { fps: 25 })).rejects.toThrow(/apt-get install -y ffmpeg/);
      return;
    }
    await writeVideo(path, video, { fps: 25 });
    const info = await readVideoInfo(path);
    expect(info).toEqual({ frames: 12, width: video.width + (video.width % 2), height: video.height + (video.height % 2) });
  });

  it('pads odd-sized MP4 frames to even dimensions', async () => {
    const odd = composePanels([{ label: 'odd', frames: movingDot(3) }], N, { scale: 1 }); // 28 x 43
    expect(odd.height % 2).toBe(1);
    const path = join(dir, 'odd.mp4');
    if (!hasFfmpeg()) {
      await expect(writeVideo(path, odd, { fps: 5 })).rejects.toThrow(/ffmpeg/);
      return;
    }
    await writeVideo(path, odd, { fps: 5 });
    expect(await readVideoInfo(path)).toEqual({ frames: 3, width: 28, height: 44 });
  });

  it('explains how to get ffmpeg when an MP4 is asked for without it', async () => {
    process.env.PATH = join(dir, 'no-such-bin'); // hides ffmpeg whether or not it is installed
    expect(hasFfmpeg()).toBe(false);
    const path = join(dir, 'missing.mp4');
    const err = await writeVideo(path, video, { fps: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('apt-get install -y ffmpeg');
    expect(msg).toContain('brew install ffmpeg');
    expect(msg).toContain('.gif');
    expect(existsSync(path)).toBe(false);
    // a GIF still works without ffmpeg
    await writeVideo(join(dir, 'no-ffmpeg.gif'), video, { fps: 10 });
    expect((await readVideoInfo(join(dir, 'no-ffmpeg.gif'))).frames).toBe(12);
  });

  it('rejects unknown formats, bad fps and missing files with user errors', async () => {
    await expect(writeVideo(join(dir, 'x.avi'), video, { fps: 10 })).rejects.toThrow(/use \.gif or \.mp4/);
    await expect(writeVideo(join(dir, 'x.gif'), video, { fps: 0 })).rejects.toBeInstanceOf(UserError);
    await expect(readVideoInfo(join(dir, 'nope.gif'))).rejects.toThrow(/video not found/);
  });
});
