// PNG export (pngjs, 8-bit greyscale or RGB) and contact sheets of many small frames.
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../util/files.ts';

/** Float grey levels in [0, 1] -> bytes 0..255 (rounded, clamped). Byte input is returned as is. */
export function greyToBytes(pixels: Float32Array | Uint8Array): Uint8Array {
  if (pixels instanceof Uint8Array) return pixels;
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i] * 255;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); // NaN -> 0
  }
  return out;
}

/** Encodes a width x height row-major grey image (floats in [0, 1] or bytes) as an 8-bit greyscale PNG. */
export function encodeGreyPng(pixels: Float32Array | Uint8Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) throw new Error(`grey PNG: ${pixels.length} values for a ${width}x${height} image`);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(greyToBytes(pixels));
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
}

/** Encodes a grey (channels 1) or RGB (channels 3, interleaved) image of floats in [0, 1] or bytes as an 8-bit PNG. */
export function encodePng(pixels: Float32Array | Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  if (channels === 1) return encodeGreyPng(pixels, width, height);
  if (pixels.length !== width * height * 3) throw new Error(`RGB PNG: ${pixels.length} values for a ${width}x${height}x3 image`);
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(greyToBytes(pixels));
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
}

/** encodeGreyPng written atomically to path. */
export function writeGreyPng(path: string, pixels: Float32Array | Uint8Array, width: number, height: number): void {
  writeFileAtomic(path, encodeGreyPng(pixels, width, height));
}

/** Grey level of the 1-pixel lines between tiles, so frame borders stay visible on a 0 background. */
export const SHEET_GRID_LEVEL = 0.25;

/**
 * Tiles square size x size frames (`channels` values per pixel, interleaved) into a grid with `cols`
 * columns, each frame upscaled by an integer `scale` (nearest neighbour, default 1), with 1-pixel
 * separator lines between and around tiles.
 */
export function contactSheet(
  frames: Float32Array[],
  size: number,
  cols: number,
  scale = 1,
  channels: 1 | 3 = 1,
): { pixels: Float32Array; width: number; height: number } {
  if (frames.length === 0) throw new Error('contactSheet: no frames');
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`contactSheet: cols must be a positive integer, got ${cols}`);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`contactSheet: scale must be a positive integer, got ${scale}`);
  frames.forEach((f, i) => {
    if (f.length !== size * size * channels)
      throw new Error(`contactSheet: frame ${i} has ${f.length} values, expected ${size}x${size}x${channels}`);
  });
  const c = Math.min(cols, frames.length);
  const rows = Math.ceil(frames.length / c);
  const tile = size * scale;
  const width = c * (tile + 1) + 1;
  const height = rows * (tile + 1) + 1;
  const ch = channels;
  const pixels = new Float32Array(width * height * ch).fill(SHEET_GRID_LEVEL);
  frames.forEach((f, k) => {
    const ox = 1 + (k % c) * (tile + 1);
    const oy = 1 + Math.floor(k / c) * (tile + 1);
    for (let y = 0; y < tile; y++) {
      const src = Math.floor(y / scale) * size;
      const dst = (oy + y) * width + ox;
      for (let x = 0; x < tile; x++) for (let q = 0; q < ch; q++) pixels[(dst + x) * ch + q] = f[(src + Math.floor(x / scale)) * ch + q];
    }
  });
  // Empty cells of the last row are blank (0), not grid colour.
  for (let k = frames.length; k < rows * c; k++) {
    const ox = 1 + (k % c) * (tile + 1);
    const oy = 1 + Math.floor(k / c) * (tile + 1);
    for (let y = 0; y < tile; y++) pixels.fill(0, ((oy + y) * width + ox) * ch, ((oy + y) * width + ox + tile) * ch);
  }
  return { pixels, width, height };
}
