// Rollout videos: grey N x N frame sequences side by side (truth | baseline | HNN), labelled, as an
// animated GIF (always available) or an MP4 (needs ffmpeg on the PATH).
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { makeDir } from '../util/files.ts';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { dirname, extname } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../util/errors.ts';
import { probeVideoStream } from './ffprobe.ts';
import { drawText, GLYPH_H, textWidth } from './font.ts';
import { writeGif } from './gif.ts';

/** One labelled panel of a rollout video: its frames, [frames, N*N*C] in [0, 1]. */
export interface VideoPanel {
  label: string;
  /** N x N frames, row-major, grey or RGB (channels interleaved), values in [0, 1] (clamped; NaN is drawn black). */
  frames: Float32Array[];
}

export interface ComposeOptions {
  /** Upscale factor: each panel is round(size * scale) pixels square. */
  scale: number;
  /** Pixels between panels (default 8). */
  gap?: number;
  /** Bilinear instead of nearest-neighbour upscaling (default false: crisp pixels). */
  smooth?: boolean;
  /** Add a strip below the panels with "frame i/n" (default false). */
  counter?: boolean;
  /** Values per pixel of the panels' frames: 1 grey (default), 3 RGB. */
  channels?: 1 | 3;
}

export interface ComposedVideo {
  /** RGB frames, 3 bytes per pixel, row-major. */
  frames: Uint8Array[];
  width: number;
  height: number;
}

export interface ComposeLayout {
  /** Side of one upscaled panel. */
  panel: number;
  /** Height of the label strip above the panels (and of the counter strip, if any). */
  labelHeight: number;
  /** Integer scale of the 5x7 bitmap font. */
  fontScale: number;
  width: number;
  height: number;
}

// Every colour is a grey level, so a composed video has at most 256 colours and the GIF palette
// is exact.
const STRIP = 255;
const INK = 0;

/**
 * Geometry of composePanels: width = n * panel + (n - 1) * gap, height = labelHeight + panel
 * (+ labelHeight for the counter strip), where panel = round(size * scale) and
 * labelHeight = 9 * fontScale + 6 with fontScale 2 for panels of at least 120 px, else 1.
 */
export function composeLayout(nPanels: number, size: number, opts: ComposeOptions): ComposeLayout {
  if (!(Number.isInteger(nPanels) && nPanels >= 1)) throw new Error(`composePanels: need at least one panel, got ${nPanels}`);
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`composePanels: size must be a positive integer, got ${size}`);
  if (!(Number.isFinite(opts.scale) && opts.scale > 0)) throw new Error(`composePanels: scale must be positive, got ${opts.scale}`);
  const gap = opts.gap ?? 8;
  if (!(Number.isInteger(gap) && gap >= 0)) throw new Error(`composePanels: gap must be a non-negative integer, got ${gap}`);
  const panel = Math.max(1, Math.round(size * opts.scale));
  const fontScale = panel >= 120 ? 2 : 1;
  const labelHeight = 9 * fontScale + 6;
  return {
    panel,
    labelHeight,
    fontScale,
    width: nPanels * panel + (nPanels - 1) * gap,
    height: labelHeight + panel + (opts.counter ? labelHeight : 0),
  };
}

/** Source coordinate and weight per destination pixel, for one axis of an upscale. */
function axisMap(size: number, out: number, smooth: boolean): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const w = new Float32Array(out);
  for (let d = 0; d < out; d++) {
    if (!smooth) {
      i0[d] = i1[d] = Math.min(size - 1, Math.floor((d * size) / out));
      continue;
    }
    // pixel centres line up: destination centre d + 0.5 maps to source centre s + 0.5
    const s = Math.min(size - 1, Math.max(0, ((d + 0.5) * size) / out - 0.5));
    i0[d] = Math.floor(s);
    i1[d] = Math.min(size - 1, i0[d] + 1);
    w[d] = s - i0[d];
  }
  return { i0, i1, w };
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** Cuts a label to what fits in `maxWidth` pixels. */
function fitLabel(s: string, maxWidth: number, fontScale: number): string {
  let t = s;
  while (t.length > 0 && textWidth(t, fontScale) > maxWidth) t = t.slice(0, -1);
  return t;
}

/**
 * Lays out panels side by side, each upscaled and labelled above. Panels with fewer frames hold
 * their last frame, so the video is as long as the longest panel.
 */
export function composePanels(panels: VideoPanel[], size: number, opts: ComposeOptions): ComposedVideo {
  const L = composeLayout(panels.length, size, opts);
  const gap = opts.gap ?? 8;
  const ch = opts.channels ?? 1;
  checkPanelFrames(panels, size, ch);
  const nFrames = Math.max(...panels.map((p) => p.frames.length));
  const { width, height, panel: P, labelHeight, fontScale } = L;
  const map = axisMap(size, P, !!opts.smooth);
  const base = labelledBase(panels, L, gap);
  const textY = Math.floor((labelHeight - GLYPH_H * fontScale) / 2);
  const frames: Uint8Array[] = [];
  for (let t = 0; t < nFrames; t++) {
    const img = base.slice();
    panels.forEach((p, k) => {
      const src = p.frames[Math.min(t, p.frames.length - 1)];
      drawPanel(img, width, k * (P + gap), labelHeight, src, size, ch, map);
    });
    if (opts.counter) {
      const s = fitLabel(`frame ${t + 1}/${nFrames}`, width, fontScale);
      drawText(img, width, height, Math.floor((width - textWidth(s, fontScale)) / 2), labelHeight + P + textY, s, fontScale, [
        INK,
        INK,
        INK,
      ]);
    }
    frames.push(img);
  }
  return { frames, width, height };
}

/** Throws unless every panel has at least one frame and every frame size x size x ch values. */
function checkPanelFrames(panels: VideoPanel[], size: number, ch: number): void {
  panels.forEach((p, k) => {
    if (p.frames.length === 0) throw new Error(`composePanels: panel ${k} ("${p.label}") has no frames`);
    p.frames.forEach((f, i) => {
      if (f.length !== size * size * ch)
        throw new Error(`composePanels: panel ${k} frame ${i} has ${f.length} values, expected ${size}x${size}x${ch}`);
    });
  });
}

/** The parts every frame shares (strips, gaps, the panels' labels centred above them), drawn once and copied into each frame. */
function labelledBase(panels: VideoPanel[], L: ComposeLayout, gap: number): Uint8Array {
  const { width, height, panel: P, labelHeight, fontScale } = L;
  const base = new Uint8Array(width * height * 3).fill(STRIP);
  const textY = Math.floor((labelHeight - GLYPH_H * fontScale) / 2);
  panels.forEach((p, k) => {
    const x0 = k * (P + gap);
    const label = fitLabel(p.label, P, fontScale);
    drawText(base, width, height, x0 + Math.floor((P - textWidth(label, fontScale)) / 2), textY, label, fontScale, [INK, INK, INK]);
  });
  return base;
}

/**
 * Upscales one N x N frame `src` (ch values per pixel) into the RGB image `img` of the given width,
 * its top-left corner at (x0, y0), through the per-axis map (nearest or bilinear); the panel's side
 * is the map's length.
 */
function drawPanel(
  img: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  src: Float32Array,
  size: number,
  ch: number,
  map: ReturnType<typeof axisMap>,
): void {
  const P = map.i0.length;
  for (let y = 0; y < P; y++) {
    const r0 = map.i0[y] * size;
    const r1 = map.i1[y] * size;
    const wy = map.w[y];
    let o = ((y0 + y) * width + x0) * 3;
    for (let x = 0; x < P; x++, o += 3) {
      const c0 = map.i0[x];
      const c1 = map.i1[x];
      const wx = map.w[x];
      if (ch === 1) {
        const top = src[r0 + c0] + wx * (src[r0 + c1] - src[r0 + c0]);
        const bot = src[r1 + c0] + wx * (src[r1 + c1] - src[r1 + c0]);
        img[o] = img[o + 1] = img[o + 2] = toByte(top + wy * (bot - top));
        continue;
      }
      for (let q = 0; q < 3; q++) {
        const at = (r: number, c: number) => src[(r + c) * 3 + q];
        const top = at(r0, c0) + wx * (at(r0, c1) - at(r0, c0));
        const bot = at(r1, c0) + wx * (at(r1, c1) - at(r1, c0));
        img[o + q] = toByte(top + wy * (bot - top));
      }
    }
  }
}

function commandWorks(cmd: string): boolean {
  const r = spawnSync(cmd, ['-version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

let ffmpegChecked: { path: string | undefined; works: boolean } | null = null;

/** True when `ffmpeg` runs from the PATH (checked again whenever PATH changes; a check spawns ffmpeg, about 0.3 s). */
export function hasFfmpeg(): boolean {
  const path = process.env.PATH;
  if (ffmpegChecked === null || ffmpegChecked.path !== path) ffmpegChecked = { path, works: commandWorks('ffmpeg') };
  return ffmpegChecked.works;
}

const FFMPEG_HELP =
  'install ffmpeg (Debian/Ubuntu: `apt-get install -y ffmpeg`; macOS: `brew install ffmpeg`), ' +
  'or write a .gif instead, which needs no ffmpeg';

/**
 * Writes a composed video: .gif always, .mp4 through ffmpeg (H.264-compatible yuv420p, padded to
 * even dimensions). The file appears under its final name only once complete.
 */
export async function writeVideo(path: string, video: ComposedVideo, opts: { fps: number }): Promise<void> {
  const { fps } = opts;
  if (!(Number.isFinite(fps) && fps > 0)) throw new UserError(`fps must be a positive number, got ${fps}`);
  if (video.frames.length === 0) throw new Error('writeVideo: no frames');
  const ext = extname(path).toLowerCase();
  if (ext === '.gif') {
    // Browsers show GIF delays under 20 ms as 100 ms; cap the speed instead of slowing it 5x.
    writeGif(path, video.frames, video.width, video.height, { delayMs: Math.max(20, 1000 / fps), channels: 3 });
    return;
  }
  if (ext === '.mp4') {
    if (!hasFfmpeg()) throw new UserError(`writing ${path} needs ffmpeg, which is not on the PATH: ${FFMPEG_HELP}`);
    await ffmpegMp4(path, video, fps);
    return;
  }
  throw new UserError(`unsupported video format "${ext || '(none)'}" for ${path}: use .gif or .mp4`);
}

/** Pipes the frames to ffmpeg as raw RGB into a temporary file, renamed to `path` once ffmpeg succeeds. */
async function ffmpegMp4(path: string, video: ComposedVideo, fps: number): Promise<void> {
  makeDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  const child = spawn('ffmpeg', mp4Args(video, fps, tmp), { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  const closed = done.then(
    () => undefined,
    () => undefined,
  );
  // If ffmpeg exits early, writes fail with EPIPE; the exit code and stderr explain why.
  child.stdin.on('error', () => {});
  try {
    await writeFrames(child, video, closed);
  } catch (e) {
    child.kill();
    await done.catch(() => -1);
    rmSync(tmp, { force: true });
    throw e;
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`ffmpeg failed (exit ${code}) writing ${path}: ${stderr.trim()}`);
  }
  renameSync(tmp, path);
}

/** ffmpeg's arguments: raw rgb24 frames of the video's size on stdin at fps, an MP4 at `out`. */
function mp4Args(video: ComposedVideo, fps: number, out: string): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${video.width}x${video.height}`,
    '-r',
    String(fps),
    '-i',
    '-',
    // yuv420p (what players expect) needs even width and height
    '-vf',
    'pad=ceil(iw/2)*2:ceil(ih/2)*2',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    out,
  ];
}

/**
 * Writes the frames to ffmpeg's stdin, waiting for drain under back-pressure and stopping early if
 * ffmpeg has exited (`closed` settles then). Throws on a frame of the wrong size.
 */
async function writeFrames(
  child: ChildProcessByStdio<Writable, null, Readable>,
  video: ComposedVideo,
  closed: Promise<void>,
): Promise<void> {
  for (const f of video.frames) {
    if (f.length !== video.width * video.height * 3)
      throw new Error(`writeVideo: frame has ${f.length} bytes, expected ${video.width}x${video.height}x3`);
    if (!child.stdin.write(f)) await Promise.race([once(child.stdin, 'drain').catch(() => undefined), closed]);
    if (child.exitCode !== null) break;
  }
}

export interface VideoInfo {
  frames: number;
  width: number;
  height: number;
}

/** Frame count and frame size of a .gif (via sharp) or .mp4 (via ffprobe) file. */
export async function readVideoInfo(path: string): Promise<VideoInfo> {
  if (!existsSync(path)) throw new UserError(`video not found: ${path}`);
  const ext = extname(path).toLowerCase();
  if (ext === '.gif') {
    const m = await sharp(path, { animated: true }).metadata();
    return { frames: m.pages ?? 1, width: m.width ?? 0, height: m.pageHeight ?? m.height ?? 0 };
  }
  if (ext === '.mp4') {
    if (!commandWorks('ffprobe'))
      throw new UserError(`reading ${path} needs ffprobe (part of ffmpeg), which is not on the PATH: ${FFMPEG_HELP}`);
    const r = probeVideoStream(path, 'stream=nb_read_frames,width,height', true);
    if (r.status !== 0) throw new UserError(`ffprobe cannot read ${path}: ${(r.stderr || '').trim()}`);
    const s = (JSON.parse(r.stdout) as { streams?: Array<{ nb_read_frames?: string; width?: number; height?: number }> }).streams?.[0];
    if (!s) throw new UserError(`${path} has no video stream`);
    return { frames: Number(s.nb_read_frames ?? 0), width: s.width ?? 0, height: s.height ?? 0 };
  }
  throw new UserError(`unsupported video format "${ext || '(none)'}" for ${path}: use .gif or .mp4`);
}
