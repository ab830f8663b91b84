// Small SVG building blocks for the plots: scales, tick choice, number formatting, text escaping,
// and SVG -> PNG through sharp (its bundled librsvg), so no browser or plotting package is needed.
import sharp from 'sharp';
import { writeFileAtomic } from '../util/files.ts';

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Colour-blind-friendly categorical palette (Tableau 10 order). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Coordinates with 2 decimals keep SVG strings short without visible rounding. */
export function n2(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** A 1-D map from data to pixels, linear or log10. */
export interface Scale {
  (v: number): number;
  domain: [number, number];
  log: boolean;
  /** True when v can be drawn on this scale (finite, and positive on a log scale). */
  ok(v: number): boolean;
}

export function makeScale(domain: [number, number], range: [number, number], log = false): Scale {
  const t = (v: number) => (log ? Math.log10(v) : v);
  const d0 = t(domain[0]);
  const d1 = t(domain[1]);
  const k = (range[1] - range[0]) / (d1 - d0 || 1);
  const s = ((v: number) => range[0] + (t(v) - d0) * k) as Scale;
  s.domain = domain;
  s.log = log;
  s.ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  return s;
}

/** Finite (and, for log axes, positive) extent of some arrays; a sane default when there is none. */
export function extent(arrays: ArrayLike<number>[], log = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return log ? [1, 10] : [0, 1];
  return [lo, hi];
}

/** Widens a domain a little (and a degenerate one a lot) so lines do not sit on the frame. */
export function pad(d: [number, number], log = false, frac = 0.04): [number, number] {
  if (log) {
    let a = Math.log10(d[0]);
    let b = Math.log10(d[1]);
    if (b - a < 1e-9) {
      a -= 0.5;
      b += 0.5;
    }
    const m = (b - a) * frac;
    return [10 ** (a - m), 10 ** (b + m)];
  }
  let [a, b] = d;
  if (b - a < 1e-12 * Math.max(1, Math.abs(a))) {
    const w = Math.abs(a) > 0 ? Math.abs(a) * 0.1 : 1;
    a -= w;
    b += w;
  }
  const m = (b - a) * frac;
  return [a - m, b + m];
}

/** About `count` round tick values (1, 2, 5 x 10^k steps) inside [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // Integer multiples of the step, rounded, so 3 * 0.1 is 0.3 and ends within rounding count.
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i <= Math.floor(hi / step + 1e-9); i++) {
    out.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  }
  return out;
}

/**
 * Log-axis ticks: powers of ten inside [lo, hi] (every k-th when there are many). When that gives
 * fewer than three labels (a range within about a decade), 2 and 5 multiples, then every
 * multiple, are labelled too.
 */
export function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const every = Math.max(1, Math.ceil((b - a + 1) / 8));
  const inRange = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const multiples = (ms: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of ms) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (inRange(v)) out.push(v);
      }
    }
    return out;
  };
  if (b - a + 1 >= 3) {
    const major: number[] = [];
    for (let e = a; e <= b; e += every) major.push(Number(`1e${e}`)); // 10 ** -5 is 9.99e-6 in floating point
    return { major, minor: every === 1 ? multiples([2, 3, 4, 5, 6, 7, 8, 9]) : [] };
  }
  for (const ms of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const major = multiples(ms);
    if (major.length >= 3) return { major, minor: multiples([1, 2, 3, 4, 5, 6, 7, 8, 9]).filter((v) => !major.includes(v)) };
  }
  return { major: linearTicks(lo, hi, 4).filter((v) => v > 0), minor: [] };
}

/** One number: plain decimals for ordinary magnitudes, mantissa-e-exponent otherwise. */
export function fmt(v: number, exp?: boolean): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (!(exp ?? (a < 1e-3 || a >= 1e5))) return Number(v.toPrecision(4)).toString();
  const [m, e] = v.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** Labels for one axis' ticks in a single style, so 50000 does not sit next to 1e5. */
export function fmtTicks(values: number[]): string[] {
  const exp = values.some((v) => v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5));
  return values.map((v) => fmt(v, exp));
}

/** A power of ten as SVG text content, 10 with a raised exponent. */
export function fmtPow10(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) > 1e-9 * v) return esc(fmt(v));
  return `10<tspan dy="-6" font-size="10">${e}</tspan>`;
}

export function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; rotate?: boolean; fill?: string; raw?: boolean } = {},
): string {
  const rot = o.rotate ? ` transform="rotate(-90 ${n2(x)} ${n2(y)})"` : '';
  return `<text x="${n2(x)}" y="${n2(y)}" font-family="${FONT}" font-size="${o.size ?? 12}" text-anchor="${o.anchor ?? 'start'}"${o.weight ? ` font-weight="${o.weight}"` : ''} fill="${o.fill ?? '#222'}"${rot}>${o.raw ? s : esc(s)}</text>`;
}

/**
 * Path data for a polyline through (xs[i], ys[i]), broken wherever a point cannot be drawn
 * (NaN, infinity, non-positive on a log axis) instead of failing or drawing a wild segment.
 */
export function polylinePath(xs: ArrayLike<number>, ys: ArrayLike<number>, sx: Scale, sy: Scale): string {
  const n = Math.min(xs.length, ys.length);
  const parts: string[] = [];
  let pen = false;
  let lx = 0;
  let ly = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (!sx.ok(x) || !sy.ok(y)) {
      pen = false;
      continue;
    }
    // Clamp far-off values so librsvg never sees astronomically large coordinates; clipping hides them.
    const px = Math.max(-1e5, Math.min(1e5, sx(x)));
    const py = Math.max(-1e5, Math.min(1e5, sy(y)));
    // Drop points within a quarter pixel of the last one kept (but keep each run's end): long
    // series (10^5 training steps) then give small SVGs with no visible change.
    const runEnds = i + 1 >= n || !sx.ok(xs[i + 1]) || !sy.ok(ys[i + 1]);
    if (pen && !runEnds && Math.abs(px - lx) < 0.25 && Math.abs(py - ly) < 0.25) continue;
    parts.push(`${pen ? 'L' : 'M'}${n2(px)} ${n2(py)}`);
    pen = true;
    lx = px;
    ly = py;
  }
  return parts.join('');
}

export function svgDoc(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`
  );
}

/** Renders an SVG document to an opaque PNG and writes it atomically. */
export async function writeSvgPng(path: string, svg: string): Promise<void> {
  const png = await sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' }).png({ compressionLevel: 9 }).toBuffer();
  writeFileAtomic(path, png);
}
