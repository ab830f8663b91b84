// One set of axes in SVG: frame, grid, ticks, tick labels, axis labels, clip region, legend box.
import { esc, fmtPow10, fmtTicks, linearTicks, logTicks, makeScale, n2, text, type Scale } from './svg.ts';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Axes {
  rect: Rect;
  sx: Scale;
  sy: Scale;
  /** Id of a clipPath covering the plot area (use as clip-path="url(#id)"). */
  clipId: string;
  /** Background, grid and clip definition: draw before the data. */
  under: string;
  /** Frame, ticks and labels: draw after the data. */
  over: string;
}

let clipCounter = 0;

/** Options of makeAxes: log scales, axis labels, title, and whether to draw grid lines (default true). */
export interface AxesOptions {
  logX?: boolean;
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
  title?: string;
  grid?: boolean;
}

/** The SVG pieces being built for one set of axes: what goes under the data and what over it. */
interface Layers {
  rect: Rect;
  grid: boolean;
  under: string[];
  over: string[];
}

/**
 * Axes over `rect` mapping xDomain and yDomain to pixels (y pointing up), with ticks chosen from the
 * rectangle's size. Each call gets a fresh clip id, so several axes can share one SVG document.
 */
export function makeAxes(rect: Rect, xDomain: [number, number], yDomain: [number, number], o: AxesOptions = {}): Axes {
  const sx = makeScale(xDomain, [rect.x, rect.x + rect.w], o.logX);
  const sy = makeScale(yDomain, [rect.y + rect.h, rect.y], o.logY);
  const clipId = `clip${clipCounter++}`;
  const L: Layers = {
    rect,
    grid: o.grid ?? true,
    under: [
      `<defs><clipPath id="${clipId}"><rect x="${n2(rect.x)}" y="${n2(rect.y)}" width="${n2(rect.w)}" height="${n2(rect.h)}"/></clipPath></defs>`,
      `<rect x="${n2(rect.x)}" y="${n2(rect.y)}" width="${n2(rect.w)}" height="${n2(rect.h)}" fill="#ffffff"/>`,
    ],
    over: [],
  };
  const xt = axisTicks(xDomain, !!o.logX, Math.max(2, Math.round(rect.w / 90)));
  const yt = axisTicks(yDomain, !!o.logY, Math.max(2, Math.round(rect.h / 60)));
  // 10^k labels only when every label is a power of ten; mixed 0.2 / 10^-1 reads badly.
  const xPow = !!o.logX && xt.major.every(isPow10);
  const yPow = !!o.logY && yt.major.every(isPow10);
  minorTicks(L, sx, sy, xt.minor, yt.minor);
  const widest = majorTicks(L, sx, sy, xt.major, yt.major, xPow, yPow);
  frameAndLabels(L, o, widest);
  return { rect, sx, sy, clipId, under: L.under.join(''), over: L.over.join('') };
}

/** Light grid lines (under) and 3 px tick marks (over) at the minor tick values, x then y. */
function minorTicks(L: Layers, sx: Scale, sy: Scale, xs: number[], ys: number[]): void {
  const { rect, grid, under, over } = L;
  const bottom = rect.y + rect.h;
  for (const v of xs) {
    const x = sx(v);
    if (grid) under.push(`<line x1="${n2(x)}" y1="${n2(rect.y)}" x2="${n2(x)}" y2="${n2(bottom)}" stroke="#f2f2f2" stroke-width="1"/>`);
    over.push(`<line x1="${n2(x)}" y1="${n2(bottom)}" x2="${n2(x)}" y2="${n2(bottom + 3)}" stroke="#444" stroke-width="1"/>`);
  }
  for (const v of ys) {
    const y = sy(v);
    if (grid)
      under.push(`<line x1="${n2(rect.x)}" y1="${n2(y)}" x2="${n2(rect.x + rect.w)}" y2="${n2(y)}" stroke="#f2f2f2" stroke-width="1"/>`);
    over.push(`<line x1="${n2(rect.x - 3)}" y1="${n2(y)}" x2="${n2(rect.x)}" y2="${n2(y)}" stroke="#444" stroke-width="1"/>`);
  }
}

/**
 * Grid lines (under), 5 px tick marks and labels (over) at the major tick values, x then y; labels
 * as 10^k where xPow / yPow. Returns the widest y label in characters, which places the y-axis label.
 */
function majorTicks(L: Layers, sx: Scale, sy: Scale, xs: number[], ys: number[], xPow: boolean, yPow: boolean): number {
  const { rect, grid, under, over } = L;
  const bottom = rect.y + rect.h;
  const xLabels = fmtTicks(xs);
  const yLabels = fmtTicks(ys);
  xs.forEach((v, k) => {
    const x = sx(v);
    if (grid) under.push(`<line x1="${n2(x)}" y1="${n2(rect.y)}" x2="${n2(x)}" y2="${n2(bottom)}" stroke="#e3e3e3" stroke-width="1"/>`);
    over.push(`<line x1="${n2(x)}" y1="${n2(bottom)}" x2="${n2(x)}" y2="${n2(bottom + 5)}" stroke="#444" stroke-width="1"/>`);
    over.push(text(x, bottom + 18, xPow ? fmtPow10(v) : esc(xLabels[k]), { size: 11, anchor: 'middle', raw: true }));
  });
  let widest = 0;
  ys.forEach((v, k) => {
    const y = sy(v);
    if (grid)
      under.push(`<line x1="${n2(rect.x)}" y1="${n2(y)}" x2="${n2(rect.x + rect.w)}" y2="${n2(y)}" stroke="#e3e3e3" stroke-width="1"/>`);
    over.push(`<line x1="${n2(rect.x - 5)}" y1="${n2(y)}" x2="${n2(rect.x)}" y2="${n2(y)}" stroke="#444" stroke-width="1"/>`);
    const label = yPow ? fmtPow10(v) : esc(yLabels[k]);
    widest = Math.max(widest, yPow ? 4 : yLabels[k].length);
    over.push(text(rect.x - 8, y + 4, label, { size: 11, anchor: 'end', raw: true }));
  });
  return widest;
}

/** The frame, then the axis labels (the y label clear of tick labels `widest` characters wide) and the title. */
function frameAndLabels(L: Layers, o: AxesOptions, widest: number): void {
  const { rect, over } = L;
  const bottom = rect.y + rect.h;
  over.push(
    `<rect x="${n2(rect.x)}" y="${n2(rect.y)}" width="${n2(rect.w)}" height="${n2(rect.h)}" fill="none" stroke="#444" stroke-width="1"/>`,
  );
  if (o.xLabel) over.push(text(rect.x + rect.w / 2, bottom + 38, o.xLabel, { size: 13, anchor: 'middle' }));
  if (o.yLabel) {
    const lx = rect.x - 16 - widest * 6.5;
    over.push(text(lx, rect.y + rect.h / 2, o.yLabel, { size: 13, anchor: 'middle', rotate: true }));
  }
  if (o.title) over.push(text(rect.x + rect.w / 2, rect.y - 10, o.title, { size: 14, anchor: 'middle', weight: 'bold' }));
}

function isPow10(v: number): boolean {
  return v > 0 && Math.abs(v - 10 ** Math.round(Math.log10(v))) <= 1e-9 * v;
}

function axisTicks(d: [number, number], log: boolean, count: number): { major: number[]; minor: number[] } {
  const lo = Math.min(d[0], d[1]);
  const hi = Math.max(d[0], d[1]);
  if (log) return logTicks(lo, hi);
  return { major: linearTicks(lo, hi, count), minor: [] };
}

export interface LegendEntry {
  name: string;
  color: string;
  dashed?: boolean;
  marker?: boolean;
}

/**
 * A legend box in the corner of the plot area that covers the fewest of `points` (pixel positions
 * of the drawn data), top-right when nothing is known or on a tie.
 */
export function legend(rect: Rect, entries: LegendEntry[], points: Array<[number, number]> = []): string {
  if (entries.length === 0) return '';
  const rowH = 18;
  const longest = Math.max(...entries.map((e) => e.name.length));
  const w = Math.min(rect.w - 8, 44 + longest * 7);
  const h = entries.length * rowH + 8;
  const corners: Array<[number, number]> = [
    [rect.x + rect.w - w - 8, rect.y + 8],
    [rect.x + 8, rect.y + 8],
    [rect.x + rect.w - w - 8, rect.y + rect.h - h - 8],
    [rect.x + 8, rect.y + rect.h - h - 8],
  ];
  let best = corners[0];
  let bestCount = Infinity;
  for (const c of corners) {
    let count = 0;
    for (const [px, py] of points) if (px >= c[0] - 4 && px <= c[0] + w + 4 && py >= c[1] - 4 && py <= c[1] + h + 4) count++;
    if (count < bestCount) {
      best = c;
      bestCount = count;
    }
  }
  const [x0, y0] = best;
  const out = [
    `<rect x="${n2(x0)}" y="${n2(y0)}" width="${n2(w)}" height="${h}" fill="#ffffff" fill-opacity="0.85" stroke="#bbbbbb" stroke-width="1"/>`,
  ];
  entries.forEach((e, i) => {
    const y = y0 + 4 + rowH * i + rowH / 2;
    if (e.marker) out.push(`<circle cx="${n2(x0 + 19)}" cy="${n2(y)}" r="4" fill="${e.color}"/>`);
    else
      out.push(
        `<line x1="${n2(x0 + 8)}" y1="${n2(y)}" x2="${n2(x0 + 30)}" y2="${n2(y)}" stroke="${e.color}" stroke-width="2.5"${e.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    out.push(text(x0 + 36, y + 4, e.name, { size: 12 }));
  });
  return out.join('');
}

/**
 * Pixel positions of the drawable points of a curve, plus points along each segment so a long
 * straight segment through a corner still counts as covering it.
 */
export function pixelPoints(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  sx: Scale,
  sy: Scale,
  out: Array<[number, number]> = [],
): Array<[number, number]> {
  const n = Math.min(xs.length, ys.length);
  const stride = Math.max(1, Math.floor(n / 4000));
  let prev: [number, number] | null = null;
  for (let i = 0; i < n; i += stride) {
    if (!sx.ok(xs[i]) || !sy.ok(ys[i])) {
      prev = null;
      continue;
    }
    const p: [number, number] = [sx(xs[i]), sy(ys[i])];
    if (prev) {
      const steps = Math.min(50, Math.floor(Math.hypot(p[0] - prev[0], p[1] - prev[1]) / 10));
      for (let k = 1; k < steps; k++) out.push([prev[0] + ((p[0] - prev[0]) * k) / steps, prev[1] + ((p[1] - prev[1]) * k) / steps]);
    }
    out.push(p);
    prev = p;
  }
  return out;
}
