// Frames of a user's video as N x N bytes: a video file through ffmpeg (MP4, WebM, GIF, anything it
// reads), or a folder of PNG / JPEG images through sharp. A crop box (given, or "auto": the bounding
// box of what moves) is cut from the source frame before it is scaled to N x N.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { probeVideoStream } from '../src/media/ffprobe.ts';
import { UserError } from '../src/util/errors.ts';
import { formatBytes } from '../src/util/memory.ts';
import { startProgress } from '../src/util/progress.ts';

export const FRAME_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A source of frames: its size and rate, and how to read its frames. */
export interface FrameSource {
  kind: 'video' | 'frames';
  width: number;
  height: number;
  /** Frames per second of what `read` returns (a frame folder's is the one given). */
  fps: number;
  /** The frame count read is expected to give (a video's estimate, from its header). */
  estimatedFrames: number;
  /** The source's identity: the file's sha256, or that of the folder's frame files' hashes in order. */
  sha256: string;
  description: Record<string, unknown>;
  /** Frames, each `size` x `size` x channels bytes, cut to `box`, at most `limit` bytes in all. */
  read(box: Box, size: number, channels: 1 | 3, limit: number): Promise<Uint8Array[]>;
}

const UNREADABLE = 'give an MP4, WebM or GIF video, or a folder of PNG or JPEG frames';

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function rate(text: string | undefined): number {
  const [a, b] = String(text ?? '')
    .split('/')
    .map(Number);
  const r = b ? a / b : a;
  return Number.isFinite(r) && r > 0 ? r : NaN;
}

/** Width, height, rate and frame count of the first video stream, from ffprobe. */
function probe(file: string): { width: number; height: number; fps: number; frames: number; codec: string } {
  const r = probeVideoStream(file, 'stream=width,height,r_frame_rate,avg_frame_rate,nb_frames,codec_name:format=duration');
  if (r.error)
    throw new UserError(
      `ffmpeg (ffprobe) is not on the PATH, and videos are read through it; install ffmpeg, or ${UNREADABLE.replace('give an MP4, WebM or GIF video, or', 'give')}`,
    );
  const why = (r.stderr || '').trim().split('\n')[0];
  let info: { streams?: Array<Record<string, string | number>>; format?: { duration?: string } } = {};
  try {
    info = JSON.parse(r.stdout || '{}') as typeof info;
  } catch {
    // reported below
  }
  const s = info.streams?.[0];
  if (r.status !== 0 || !s || !(Number(s.width) > 0))
    throw new UserError(`ffmpeg cannot read ${file}${why ? ` (${why})` : ' (no video stream)'}; ${UNREADABLE}`);
  const fps = rate(String(s.avg_frame_rate)) || rate(String(s.r_frame_rate)) || 25;
  const counted = Number(s.nb_frames);
  const frames = Number.isFinite(counted) && counted > 0 ? counted : Math.round(Number(info.format?.duration ?? 0) * fps);
  return { width: Number(s.width), height: Number(s.height), fps, frames, codec: String(s.codec_name) };
}

/** Runs ffmpeg and returns its raw output; refuses more than `limit` bytes (it stops ffmpeg). */
function ffmpegBytes(args: string[], file: string, limit: number): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let err = '';
    let over = false;
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > limit && !over) {
        over = true;
        child.kill('SIGKILL');
      } else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', () => fail(new UserError(`ffmpeg is not on the PATH; install it, or ${UNREADABLE}`)));
    child.on('close', (code) => {
      if (over)
        fail(
          new UserError(
            `${file} gives more frames than the --max-gb limit allows (${formatBytes(limit)} decoded); take a shorter clip, a smaller --size, --every K, or raise --max-gb`,
          ),
        );
      else if (code !== 0)
        fail(new UserError(`ffmpeg cannot read ${file} (${err.trim().split('\n')[0] || `exit ${code}`}); ${UNREADABLE}`));
      else done(Buffer.concat(chunks));
    });
  });
}

function split(buf: Buffer, frameBytes: number): Uint8Array[] {
  const n = Math.floor(buf.length / frameBytes);
  return Array.from({ length: n }, (_, i) => new Uint8Array(buf.buffer, buf.byteOffset + i * frameBytes, frameBytes));
}

function videoSource(file: string, fpsWanted: number | undefined, sha: string): FrameSource {
  const p = probe(file);
  const fps = fpsWanted ?? p.fps;
  const pre = fpsWanted ? [`fps=${fpsWanted}`] : [];
  return {
    kind: 'video',
    width: p.width,
    height: p.height,
    fps,
    estimatedFrames: Math.round((p.frames * fps) / p.fps),
    sha256: sha,
    description: { codec: p.codec, width: p.width, height: p.height, fps: p.fps, frames: p.frames },
    async read(box, size, channels, limit) {
      const vf = [
        ...pre,
        'format=rgb24',
        `crop=${box.w}:${box.h}:${box.x}:${box.y}`,
        `scale=${size}:${size}:flags=area`,
        `format=${channels === 3 ? 'rgb24' : 'gray'}`,
      ];
      const buf = await ffmpegBytes(['-i', file, '-vf', vf.join(','), '-f', 'rawvideo', '-'], file, limit);
      return split(buf, size * size * channels);
    },
  };
}

async function framesSource(dir: string, fps: number | undefined, quiet: boolean): Promise<FrameSource> {
  const files = readdirSync(dir)
    .filter((f) => (FRAME_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((f) => join(dir, f));
  if (files.length === 0) throw new UserError(`${dir} holds no ${FRAME_EXTENSIONS.join(' / ')} frames; ${UNREADABLE}`);
  const sizes = await Promise.all(files.slice(0, 1).map((f) => sharp(f).metadata()));
  const width = sizes[0].width ?? 0;
  const height = sizes[0].height ?? 0;
  const hash = createHash('sha256');
  for (const f of files) hash.update(createHash('sha256').update(readFileSync(f)).digest());
  return {
    kind: 'frames',
    width,
    height,
    fps: fps ?? 30,
    estimatedFrames: files.length,
    sha256: hash.digest('hex'),
    description: { frames: files.length, width, height, first: files[0], last: files[files.length - 1] },
    async read(box, size, channels, limit) {
      const out: Uint8Array[] = [];
      const progress = startProgress(files.length, 'reading frames', quiet);
      for (const [i, f] of files.entries()) {
        if ((out.length + 1) * size * size * channels > limit)
          throw new UserError(
            `${dir} gives more frames than the --max-gb limit allows (${formatBytes(limit)} decoded); use fewer frames, a smaller --size, --every K, or raise --max-gb`,
          );
        out.push(await frameBytes(f, width, height, box, size, channels));
        progress.update(i + 1);
      }
      progress.stop();
      return out;
    },
  };
}

async function frameBytes(file: string, width: number, height: number, box: Box, size: number, channels: 1 | 3): Promise<Uint8Array> {
  let img = sharp(file);
  const m = await img.metadata();
  if (m.width !== width || m.height !== height)
    throw new UserError(`${file} is ${m.width}x${m.height}, the first frame ${width}x${height}; give frames of one size`);
  img = img.removeAlpha().extract({ left: box.x, top: box.y, width: box.w, height: box.h }).resize(size, size, { fit: 'fill' });
  if (channels === 1) img = img.toColourspace('b-w');
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`${file}: decoded ${info.channels} channels, expected ${channels}`);
  return new Uint8Array(data);
}

/** The frames of `path`: a video file, or a folder of frame images. */
export async function openFrameSource(path: string, fps: number | undefined, quiet = false): Promise<FrameSource> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`${path} does not exist; ${UNREADABLE}`);
  }
  if (stat.isDirectory()) return framesSource(path, fps, quiet);
  return videoSource(path, fps, await fileSha256(path));
}

/** Parses --crop "x,y,w,h" and checks it lies within the frame. */
export function parseCrop(text: string, width: number, height: number): Box {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== 4 || v.some((n) => !Number.isInteger(n)) || v[0] < 0 || v[1] < 0 || v[2] < 1 || v[3] < 1)
    throw new UserError(`--crop must be x,y,w,h (integers, w and h >= 1) or "auto", got "${text}"`);
  const [x, y, w, h] = v;
  if (x + w > width || y + h > height)
    throw new UserError(
      `--crop ${text} reaches ${x + w},${y + h}, outside the ${width}x${height} frame; choose a box within it, or --crop auto`,
    );
  return { x, y, w, h };
}

/**
 * The bounding box of what moves: pixels whose standard deviation over time (at a reduced size)
 * stands out of the noise, i.e. exceeds the median by a fifth of the way to the 99.5th percentile;
 * padded by a tenth and made square (within the frame).
 */
export async function autoCrop(src: FrameSource, limit: number): Promise<Box> {
  const a = Math.max(16, Math.min(160, Math.max(src.width, src.height)));
  const sx = src.width / a;
  const sy = src.height / a;
  const frames = await src.read({ x: 0, y: 0, w: src.width, h: src.height }, a, 1, limit);
  if (frames.length < 2) throw new UserError('--crop auto needs at least two frames to see what moves; give --crop x,y,w,h');
  const n = a * a;
  const sum = new Float64Array(n);
  const sq = new Float64Array(n);
  for (const f of frames)
    for (let i = 0; i < n; i++) {
      sum[i] += f[i];
      sq[i] += f[i] * f[i];
    }
  const std = Float64Array.from(sum, (s, i) => Math.sqrt(Math.max(0, sq[i] / frames.length - (s / frames.length) ** 2)));
  const sorted = Float64Array.from(std).sort();
  const median = sorted[n >> 1];
  const high = sorted[Math.floor(0.995 * (n - 1))];
  const threshold = median + 0.2 * (high - median);
  let [x0, y0, x1, y1] = [a, a, -1, -1];
  for (let i = 0; i < n; i++) {
    if (!(std[i] > threshold) || high - median < 2) continue;
    const x = i % a;
    const y = Math.floor(i / a);
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  if (x1 < 0) throw new UserError('--crop auto: nothing moves in the frames; give --crop x,y,w,h');
  // back to source pixels, padded by a tenth, square, within the frame
  const side = Math.min(Math.max((x1 - x0 + 1) * sx, (y1 - y0 + 1) * sy) * 1.2, src.width, src.height);
  const cx = ((x0 + x1 + 1) / 2) * sx;
  const cy = ((y0 + y1 + 1) / 2) * sy;
  const w = Math.max(1, Math.round(side));
  const x = Math.min(Math.max(0, Math.round(cx - w / 2)), src.width - w);
  const y = Math.min(Math.max(0, Math.round(cy - w / 2)), src.height - w);
  return { x, y, w, h: w };
}
