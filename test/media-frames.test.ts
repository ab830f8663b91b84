import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PNG } from 'pngjs';
import { encodeGif, writeGif } from '../src/media/gif.ts';
import { contactSheet, encodeGreyPng, greyToBytes, SHEET_GRID_LEVEL, writeGreyPng } from '../src/media/png.ts';

/** Walks the GIF block structure: logical screen size, frame count, per-frame delays (cs). */
function parseGif(b: Uint8Array): { version: string; width: number; height: number; frames: number; delays: number[]; loops: boolean } {
  const version = String.fromCharCode(...b.subarray(0, 6));
  const width = b[6] | (b[7] << 8);
  const height = b[8] | (b[9] << 8);
  let i = 13;
  if (b[10] & 0x80) i += 3 * (1 << ((b[10] & 7) + 1)); // global colour table
  const skipSubBlocks = () => {
    while (b[i] !== 0) i += b[i] + 1;
    i++;
  };
  let frames = 0;
  let loops = false;
  const delays: number[] = [];
  for (;;) {
    const tag = b[i++];
    if (tag === 0x3b) break; // trailer
    if (tag === 0x21) {
      const label = b[i++];
      if (label === 0xf9) delays.push(b[i + 2] | (b[i + 3] << 8));
      if (label === 0xff && String.fromCharCode(...b.subarray(i + 1, i + 12)) === 'NETSCAPE2.0') loops = true;
      skipSubBlocks();
    } else if (tag === 0x2c) {
      frames++;
      const packed = b[i + 8];
      i += 9;
      if (packed & 0x80) i += 3 * (1 << ((packed & 7) + 1)); // local colour table
      i++; // LZW minimum code size
      skipSubBlocks();
    } else {
      throw new Error(`bad GIF block 0x${tag?.toString(16)} at ${i - 1}`);
    }
    if (i > b.length) throw new Error('GIF truncated');
  }
  return { version, width, height, frames, delays, loops };
}

describe('gif', () => {
  const w = 7;
  const h = 5;
  const grey = (k: number) => Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + k * 11) % 256);

  it('encodes grey frames: header, size, frame count, delay, exact grey levels', async () => {
    const frames = [grey(0), grey(1), grey(2)];
    const bytes = encodeGif(frames, w, h, { delayMs: 50, channels: 1 });
    const g = parseGif(bytes);
    expect(g.version).toBe('GIF89a');
    expect([g.width, g.height, g.frames]).toEqual([w, h, 3]);
    expect(g.delays).toEqual([5, 5, 5]);
    expect(g.loops).toBe(true);
    const meta = await sharp(bytes, { animated: true }).metadata();
    expect(meta.pages).toBe(3);
    expect(meta.width).toBe(w);
    expect(meta.pageHeight).toBe(h);
    // Decoded pixels equal the input grey levels (256-level grey palette, no quantisation).
    const { data } = await sharp(bytes, { animated: true }).raw().toBuffer({ resolveWithObject: true });
    const ch = data.length / (w * h * 3);
    for (let f = 0; f < 3; f++) {
      for (let p = 0; p < w * h; p++) expect(data[(f * w * h + p) * ch]).toBe(frames[f][p]);
    }
  });

  it('upscales by an integer factor and encodes RGB frames with exact colours', async () => {
    const rgb = (k: number) => Uint8Array.from({ length: w * h * 3 }, (_, i) => ((i % 3 === 0 ? 200 : 30) + k * 7) % 256);
    const frames = [rgb(0), rgb(1)];
    const bytes = encodeGif(frames, w, h, { delayMs: 100, channels: 3, scale: 3 });
    const g = parseGif(bytes);
    expect([g.width, g.height, g.frames]).toEqual([w * 3, h * 3, 2]);
    const { data, info } = await sharp(bytes, { animated: true }).raw().toBuffer({ resolveWithObject: true });
    expect(info.pageHeight).toBe(h * 3);
    const ch = info.channels;
    // pixel (x=4, y=2) of frame 1 in the upscaled image comes from source pixel (1, 0)
    const o = ((1 * h * 3 + 2) * w * 3 + 4) * ch;
    expect([data[o], data[o + 1], data[o + 2]]).toEqual([207, 37, 37]);
  });

  it('quantises RGB frames with more than 256 colours to a valid GIF', async () => {
    const many = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 7) % 256);
    const bytes = encodeGif([many, many], 32, 32, { delayMs: 40, channels: 3 });
    const g = parseGif(bytes);
    expect([g.width, g.height, g.frames]).toEqual([32, 32, 2]);
    expect((await sharp(bytes, { animated: true }).metadata()).pages).toBe(2);
  });

  it('writes atomically and rejects frames of the wrong size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gif-'));
    const path = join(dir, 'sub', 'a.gif');
    const bytes = writeGif(path, [grey(0)], w, h, { delayMs: 20, channels: 1, scale: 2 });
    expect(existsSync(path)).toBe(true);
    expect(Buffer.compare(readFileSync(path), Buffer.from(bytes))).toBe(0);
    expect(() => encodeGif([new Uint8Array(3)], w, h, { delayMs: 20, channels: 1 })).toThrow(/expected 35/);
    expect(() => encodeGif([], w, h, { delayMs: 20, channels: 1 })).toThrow(/no frames/);
  });
});

describe('grey png', () => {
  it('writes an 8-bit greyscale PNG whose pixels decode to round(255 v)', () => {
    const w = 5,
      h = 3;
    const px = Float32Array.from({ length: w * h }, (_, i) => i / (w * h - 1));
    const bytes = encodeGreyPng(px, w, h);
    expect(
      Array.from(bytes.subarray(1, 4))
        .map((c) => String.fromCharCode(c))
        .join(''),
    ).toBe('PNG');
    expect(bytes[25]).toBe(0); // IHDR colour type 0 = greyscale
    expect(bytes[24]).toBe(8); // bit depth
    const img = PNG.sync.read(Buffer.from(bytes));
    expect([img.width, img.height]).toEqual([w, h]);
    for (let i = 0; i < w * h; i++) expect(img.data[4 * i]).toBe(Math.round(255 * px[i]));
  });

  it('clamps out-of-range values, accepts bytes, and writes atomically', () => {
    expect(Array.from(greyToBytes(Float32Array.from([-1, 0, 0.5, 1, 2, NaN])))).toEqual([0, 0, 128, 255, 255, 0]);
    const dir = mkdtempSync(join(tmpdir(), 'png-'));
    const path = join(dir, 'x', 'g.png');
    writeGreyPng(path, Uint8Array.from([0, 64, 128, 255]), 2, 2);
    const img = PNG.sync.read(readFileSync(path));
    expect([0, 1, 2, 3].map((i) => img.data[4 * i])).toEqual([0, 64, 128, 255]);
    expect(() => encodeGreyPng(new Float32Array(5), 2, 2)).toThrow(/5 values for a 2x2/);
  });
});

describe('contact sheet', () => {
  it('tiles frames row by row with 1-pixel separators, upscaled by an integer factor', () => {
    const size = 3;
    const frames = [0.1, 0.2, 0.3, 0.4, 0.5].map((v) => new Float32Array(size * size).fill(v));
    frames[1][size * 2 + 1] = 1; // frame 1, row 2, col 1
    const { pixels, width, height } = contactSheet(frames, size, 3, 2);
    const tile = size * 2;
    expect(width).toBe(3 * (tile + 1) + 1);
    expect(height).toBe(2 * (tile + 1) + 1);
    expect(pixels.length).toBe(width * height);
    const at = (x: number, y: number) => pixels[y * width + x];
    expect(at(0, 0)).toBe(SHEET_GRID_LEVEL);
    expect(at(1, 1)).toBeCloseTo(0.1, 6); // frame 0 top-left
    expect(at(1 + tile + 1, 1)).toBeCloseTo(0.2, 6); // frame 1
    expect(at(1 + 2 * (tile + 1), 1)).toBeCloseTo(0.3, 6); // frame 2
    expect(at(1, 1 + tile + 1)).toBeCloseTo(0.4, 6); // frame 3 starts row 2
    expect(at(1 + tile, 1)).toBe(SHEET_GRID_LEVEL); // separator column
    // the bright pixel of frame 1 covers a 2x2 block at tile offset (2, 4)
    const ox = 1 + tile + 1,
      oy = 1;
    for (const [dx, dy] of [
      [2, 4],
      [3, 4],
      [2, 5],
      [3, 5],
    ])
      expect(at(ox + dx, oy + dy)).toBe(1);
    expect(at(ox + 4, oy + 4)).toBeCloseTo(0.2, 6);
    // the empty sixth cell is blank
    expect(at(1 + 2 * (tile + 1), 1 + tile + 1)).toBe(0);
    const png = PNG.sync.read(Buffer.from(encodeGreyPng(pixels, width, height)));
    expect([png.width, png.height]).toEqual([width, height]);
  });

  it('rejects frames of the wrong size and bad layouts', () => {
    expect(() => contactSheet([new Float32Array(8)], 3, 2)).toThrow(/expected 3x3/);
    expect(() => contactSheet([], 3, 2)).toThrow(/no frames/);
    expect(() => contactSheet([new Float32Array(9)], 3, 0)).toThrow(/cols/);
    expect(() => contactSheet([new Float32Array(9)], 3, 1, 1.5)).toThrow(/scale/);
  });
});
