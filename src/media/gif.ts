// Animated GIF encoding (gifenc): grey or RGB frames -> one looping GIF with a global palette.
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../util/files.ts';

// gifenc ships no typings; describe the few functions used here.
type Palette = number[][];
interface GifStream {
  writeFrame(index: Uint8Array, width: number, height: number, opts: { palette?: Palette; delay?: number; repeat?: number }): void;
  finish(): void;
  bytes(): Uint8Array;
}
interface Gifenc {
  GIFEncoder(opts?: { initialCapacity?: number }): GifStream;
  quantize(rgba: Uint8Array, maxColors: number, opts?: { format?: string }): Palette;
  applyPalette(rgba: Uint8Array, palette: Palette, format?: string): Uint8Array;
}
const gifenc = createRequire(import.meta.url)('gifenc') as Gifenc;

export interface GifOptions {
  /** Time each frame is shown, in milliseconds (GIF stores centiseconds: rounded to 10 ms). */
  delayMs: number;
  /** 1: one grey byte per pixel; 3: RGB bytes per pixel. */
  channels: 1 | 3;
  /** Integer nearest-neighbour upscale factor (default 1): 28x28 frames are tiny on screen. */
  scale?: number;
}

const GREY_PALETTE: Palette = Array.from({ length: 256 }, (_, i) => [i, i, i]);

/** Nearest-neighbour integer upscale of an interleaved image with `ch` channels. */
function upscale(src: Uint8Array, width: number, height: number, ch: number, s: number): Uint8Array {
  if (s === 1) return src;
  const W = width * s;
  const out = new Uint8Array(W * height * s * ch);
  for (let y = 0; y < height * s; y++) {
    const sy = (y / s) | 0;
    for (let x = 0; x < W; x++) {
      const si = (sy * width + ((x / s) | 0)) * ch;
      const di = (y * W + x) * ch;
      for (let c = 0; c < ch; c++) out[di + c] = src[si + c];
    }
  }
  return out;
}

/**
 * A global palette for RGB frames: the exact colours when there are at most 256 of them (typical
 * for grey frames with a few coloured labels), otherwise a quantised palette of all frames.
 */
function rgbPalette(frames: Uint8Array[]): { palette: Palette; exact: Map<number, number> | null } {
  const seen = new Map<number, number>();
  for (const f of frames) {
    for (let i = 0; i < f.length; i += 3) {
      const key = (f[i] << 16) | (f[i + 1] << 8) | f[i + 2];
      if (!seen.has(key)) {
        if (seen.size === 256) return { palette: quantizeAll(frames), exact: null };
        seen.set(key, seen.size);
      }
    }
  }
  const palette: Palette = [];
  for (const key of seen.keys()) palette.push([(key >> 16) & 255, (key >> 8) & 255, key & 255]);
  return { palette, exact: seen };
}

function toRgba(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[4 * i] = rgb[3 * i];
    out[4 * i + 1] = rgb[3 * i + 1];
    out[4 * i + 2] = rgb[3 * i + 2];
    out[4 * i + 3] = 255;
  }
  return out;
}

function quantizeAll(frames: Uint8Array[]): Palette {
  // Subsample pixels (fixed stride, deterministic) so long videos stay cheap to quantise.
  const total = frames.reduce((a, f) => a + f.length / 3, 0);
  const stride = Math.max(1, Math.floor(total / 1_000_000));
  const picked: number[] = [];
  let k = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i += 3, k++) if (k % stride === 0) picked.push(f[i], f[i + 1], f[i + 2]);
  }
  return gifenc.quantize(toRgba(Uint8Array.from(picked)), 256, { format: 'rgb565' });
}

/**
 * Encodes frames (all `width` x `height`, row-major, `channels` bytes per pixel) as a looping GIF.
 * Grey frames use a 256-level grey palette, so grey values survive exactly.
 */
export function encodeGif(frames: Uint8Array[], width: number, height: number, opts: GifOptions): Uint8Array {
  const { delayMs, channels } = opts;
  const scale = opts.scale ?? 1;
  if (frames.length === 0) throw new Error('encodeGif: no frames');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new Error(`encodeGif: bad size ${width}x${height}`);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`encodeGif: scale must be a positive integer, got ${scale}`);
  if (channels !== 1 && channels !== 3) throw new Error(`encodeGif: channels must be 1 or 3, got ${channels}`);
  const expected = width * height * channels;
  frames.forEach((f, i) => {
    if (f.length !== expected)
      throw new Error(`encodeGif: frame ${i} has ${f.length} bytes, expected ${expected} (${width}x${height}x${channels})`);
  });
  const W = width * scale;
  const H = height * scale;
  const gif = gifenc.GIFEncoder({ initialCapacity: Math.max(4096, W * H * frames.length) });
  const delay = Math.max(0, Math.round(delayMs));
  let palette: Palette;
  let indexOf: (frame: Uint8Array) => Uint8Array;
  if (channels === 1) {
    palette = GREY_PALETTE;
    indexOf = (f) => f; // grey level = palette index
  } else {
    const p = rgbPalette(frames);
    palette = p.palette;
    const exact = p.exact;
    indexOf = exact
      ? (f) => {
          const idx = new Uint8Array(f.length / 3);
          for (let i = 0; i < idx.length; i++) idx[i] = exact.get((f[3 * i] << 16) | (f[3 * i + 1] << 8) | f[3 * i + 2])!;
          return idx;
        }
      : (f) => gifenc.applyPalette(toRgba(f), palette, 'rgb565');
  }
  frames.forEach((f, i) => {
    const index = indexOf(upscale(f, width, height, channels, scale));
    gif.writeFrame(index, W, H, i === 0 ? { palette, delay, repeat: 0 } : { delay });
  });
  gif.finish();
  return gif.bytes();
}

/** encodeGif, written atomically to `path`. Returns the bytes written. */
export function writeGif(path: string, frames: Uint8Array[], width: number, height: number, opts: GifOptions): Uint8Array {
  const bytes = encodeGif(frames, width, height, opts);
  writeFileAtomic(path, bytes);
  return bytes;
}
