// Contour maps of a scalar function over a rectangle (a learned Hamiltonian in the latent plane),
// with a colour bar of the levels and optional trajectories on top. Built as SVG, rendered with sharp.
import { legend, makeAxes, pixelPoints, type LegendEntry, type Rect } from './axes.ts';
import { autoLevels, isoLines, sampleGrid } from './contour.ts';
import { n2, PALETTE, svgDoc, text, writeSvgPng } from './svg.ts';
import { checkRange, checkRect, trajectorySvg, type Range } from './plot-shared.ts';

/** What contourPlot draws and how. */
export interface ContourPlotOptions {
  title: string;
  f: (x: number, y: number) => number;
  xRange: Range;
  yRange: Range;
  /** Number of evenly spaced levels (default 12), or the level values themselves. */
  levels?: number | number[];
  /** Trajectories drawn on top, e.g. an encoded rollout in the latent plane. */
  overlay?: Array<{ x: ArrayLike<number>; y: ArrayLike<number>; name?: string }>;
  xLabel: string;
  yLabel: string;
  /** Samples per axis for marching squares (default 100). */
  resolution?: number;
  width?: number;
  height?: number;
}

const BAR_W = 16;

/** Writes a PNG of the contours of a scalar function over a rectangle (e.g. a learned H), with optional curves on top. */
export async function contourPlot(path: string, o: ContourPlotOptions): Promise<void> {
  const width = o.width ?? 640;
  const height = o.height ?? 560;
  const rect: Rect = { x: 80, y: 44, w: width - 80 - 100, h: height - 44 - 62 };
  checkRect(rect, width, height);
  checkRange('xRange', o.xRange);
  checkRange('yRange', o.yRange);
  const res = Math.max(8, Math.round(o.resolution ?? 100));
  const g = sampleGrid(o.f, o.xRange, o.yRange, res, res);
  const levels = Array.isArray(o.levels) ? [...o.levels].filter(Number.isFinite).sort((a, b) => a - b) : autoLevels(g.z, o.levels ?? 12);
  const ax = makeAxes(rect, o.xRange, o.yRange, { xLabel: o.xLabel, yLabel: o.yLabel, title: o.title, grid: false });
  const lo = levels[0] ?? 0;
  const hi = levels[levels.length - 1] ?? 1;
  const colorOf = (v: number) => viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const lines = levels.map((lev) => {
    const segs = isoLines(g, lev);
    if (segs.length === 0) return '';
    const d = segs.map(([x1, y1, x2, y2]) => `M${n2(ax.sx(x1))} ${n2(ax.sy(y1))}L${n2(ax.sx(x2))} ${n2(ax.sy(y2))}`).join('');
    return `<path d="${d}" fill="none" stroke="${colorOf(lev)}" stroke-width="1.6" stroke-linecap="round"/>`;
  });
  const entries: LegendEntry[] = [];
  const overlays = (o.overlay ?? []).map((t, i) => {
    const color = i === 0 ? '#d62728' : PALETTE[(i + 3) % PALETTE.length];
    if (t.name) entries.push({ name: t.name, color });
    return trajectorySvg(t.x, t.y, ax.sx, ax.sy, color, 2.2);
  });
  const pts: Array<[number, number]> = [];
  for (const t of o.overlay ?? []) pixelPoints(t.x, t.y, ax.sx, ax.sy, pts);
  const body =
    ax.under +
    `<g clip-path="url(#${ax.clipId})">${lines.join('')}${overlays.join('')}</g>` +
    ax.over +
    colourBar(rect, levels, colorOf) +
    legend(rect, entries, pts);
  await writeSvgPng(path, svgDoc(width, height, body));
}

/**
 * The colour bar right of the plot area: one band per level (lowest at the bottom), framed, with
 * at most about 8 labels. Labels carry enough significant digits that neighbouring ones differ,
 * since levels may sit close together. Empty when there are no levels.
 */
function colourBar(rect: Rect, levels: number[], colorOf: (v: number) => string): string {
  if (levels.length === 0) return '';
  const bar: string[] = [];
  const bx = rect.x + rect.w + 22;
  const bh = rect.h / levels.length;
  levels.forEach((lev, k) => {
    const y = rect.y + rect.h - (k + 1) * bh;
    bar.push(`<rect x="${n2(bx)}" y="${n2(y)}" width="${BAR_W}" height="${n2(bh + 0.5)}" fill="${colorOf(lev)}"/>`);
  });
  bar.push(`<rect x="${n2(bx)}" y="${n2(rect.y)}" width="${BAR_W}" height="${n2(rect.h)}" fill="none" stroke="#444" stroke-width="1"/>`);
  const every = Math.max(1, Math.ceil(levels.length / 8));
  const spacing = levels.length > 1 ? Math.abs(levels[levels.length - 1] - levels[0]) / (levels.length - 1) : 0;
  const magnitude = Math.max(...levels.map(Math.abs));
  const digits = spacing > 0 && magnitude > 0 ? Math.min(8, Math.max(3, Math.ceil(Math.log10(magnitude / (spacing * every))) + 2)) : 3;
  levels.forEach((lev, k) => {
    if (k % every !== 0 && k !== levels.length - 1) return;
    const y = rect.y + rect.h - (k + 0.5) * bh;
    bar.push(text(bx + BAR_W + 5, y + 4, String(Number(lev.toPrecision(digits))), { size: 10 }));
  });
  return bar.join('');
}

/** Viridis colour map, piecewise linear through 9 of its stops; t in [0, 1]. */
export function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
