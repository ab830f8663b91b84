// PNG plots for experiment reports: line plots (loss curves, energy over time), vector fields with
// phase portraits, contour maps of a learned scalar (contour-plot.ts, re-exported here), and planar
// orbits. Each builds a hand-written SVG and renders it with sharp. Points that cannot be drawn (NaN,
// infinity, <= 0 on a log axis) are skipped, so a diverged rollout still gives a readable plot.
import { legend, makeAxes, pixelPoints, type LegendEntry, type Rect } from './axes.ts';
import { extent, n2, pad, PALETTE, polylinePath, svgDoc, text, writeSvgPng } from './svg.ts';
import { checkRange, checkRect, trajectorySvg, type Range } from './plot-shared.ts';

export { contourPlot, viridis, type ContourPlotOptions } from './contour-plot.ts';
export type { Range } from './plot-shared.ts';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
  /** CSS colour; defaults to the palette colour of the series' position. */
  color?: string;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  /** Image size in pixels (default 800 x 500). */
  width?: number;
  height?: number;
}

/** Writes a PNG line plot of the series (linear or log y). */
export async function linePlot(path: string, o: LinePlotOptions): Promise<void> {
  const width = o.width ?? 800;
  const height = o.height ?? 500;
  const logY = !!o.logY;
  const rect: Rect = { x: 84, y: 40, w: width - 84 - 24, h: height - 40 - 62 };
  checkRect(rect, width, height);
  const xd = pad(extent(o.series.map((s) => s.x)), false, 0.02);
  const yd = pad(
    extent(
      o.series.map((s) => finiteY(s, logY)),
      logY,
    ),
    logY,
  );
  const ax = makeAxes(rect, xd, yd, { logY, xLabel: o.xLabel, yLabel: o.yLabel, title: o.title });
  const lines = o.series.map((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = polylinePath(s.x, s.y, ax.sx, ax.sy);
    const dots = isolatedPoints(s.x, s.y, ax.sx.ok, ax.sy.ok)
      .map(([x, y]) => `<circle cx="${n2(ax.sx(x))}" cy="${n2(ax.sy(y))}" r="2" fill="${color}"/>`)
      .join('');
    return (
      (d
        ? `<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`
        : '') + dots
    );
  });
  const entries: LegendEntry[] = o.series.map((s, i) => ({
    name: s.name,
    color: s.color ?? PALETTE[i % PALETTE.length],
    dashed: s.dashed,
  }));
  const pts: Array<[number, number]> = [];
  for (const s of o.series) pixelPoints(s.x, s.y, ax.sx, ax.sy, pts);
  const body = ax.under + `<g clip-path="url(#${ax.clipId})">${lines.join('')}</g>` + ax.over + legend(rect, entries, pts);
  await writeSvgPng(path, svgDoc(width, height, body));
}

/** The y values of a series restricted to points whose x is drawable too (for the y extent). */
function finiteY(s: LineSeries, logY: boolean): number[] {
  const out: number[] = [];
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]) && (!logY || s.y[i] > 0)) out.push(s.y[i]);
  return out;
}

/** Drawable points with no drawable neighbour: a path would not show them, so they get a dot. */
function isolatedPoints(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  okX: (v: number) => boolean,
  okY: (v: number) => boolean,
): Array<[number, number]> {
  const n = Math.min(xs.length, ys.length);
  const ok = (i: number) => i >= 0 && i < n && okX(xs[i]) && okY(ys[i]);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) if (ok(i) && !ok(i - 1) && !ok(i + 1)) out.push([xs[i], ys[i]]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vector fields with phase portraits

export interface Trajectory2D {
  q: ArrayLike<number>;
  p: ArrayLike<number>;
  name?: string;
}

export interface FieldPanel {
  name: string;
  field: (q: number, p: number) => [number, number] | ArrayLike<number>;
  trajectories?: Trajectory2D[];
}

export interface VectorFieldPlotOptions {
  title: string;
  panels: FieldPanel[];
  qRange: Range;
  pRange: Range;
  /** Arrows per axis (default 15). */
  grid?: number;
  xLabel?: string;
  yLabel?: string;
  /** Side of each square panel's plot area in pixels (default 400). */
  panelSize?: number;
}

const ARROW_COLOR = '#4c6a92';

/** Writes a PNG of a 2-D vector field as arrows (learned against true fields of one-degree-of-freedom systems). */
export async function vectorFieldPlot(path: string, o: VectorFieldPlotOptions): Promise<void> {
  const size = o.panelSize ?? 400;
  const grid = Math.max(2, Math.round(o.grid ?? 15));
  checkRange('qRange', o.qRange);
  checkRange('pRange', o.pRange);
  const left = 66;
  const right = 18;
  const top = 72;
  const bottom = 62;
  const pw = left + size + right;
  const width = pw * o.panels.length;
  const height = top + size + bottom;
  const parts: string[] = [text(width / 2, 26, o.title, { size: 16, anchor: 'middle', weight: 'bold' })];
  o.panels.forEach((panel, k) => {
    const rect: Rect = { x: k * pw + left, y: top, w: size, h: size };
    const ax = makeAxes(rect, o.qRange, o.pRange, { xLabel: o.xLabel ?? 'q', yLabel: o.yLabel ?? 'p', title: panel.name, grid: false });
    const arrows = quiver(panel.field, o.qRange, o.pRange, grid, ax);
    const entries: LegendEntry[] = [];
    const trajs = (panel.trajectories ?? []).map((t, i) => {
      const color = PALETTE[(i + 1) % PALETTE.length]; // palette[0] is close to the arrow colour
      if (t.name) entries.push({ name: t.name, color });
      return trajectorySvg(t.q, t.p, ax.sx, ax.sy, color);
    });
    const pts: Array<[number, number]> = [];
    for (const t of panel.trajectories ?? []) pixelPoints(t.q, t.p, ax.sx, ax.sy, pts);
    parts.push(ax.under, `<g clip-path="url(#${ax.clipId})">${arrows}${trajs.join('')}</g>`, ax.over, legend(rect, entries, pts));
  });
  await writeSvgPng(path, svgDoc(width, height, parts.join('')));
}

/** Arrows on a grid, lengths proportional to |field| with the longest filling most of a cell. */
function quiver(field: FieldPanel['field'], qr: Range, pr: Range, grid: number, ax: ReturnType<typeof makeAxes>): string {
  const pts: Array<[number, number, number, number]> = []; // pixel x, y, and pixel-space dx, dy
  let maxLen = 0;
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const q = qr[0] + ((qr[1] - qr[0]) * (i + 0.5)) / grid;
      const p = pr[0] + ((pr[1] - pr[0]) * (j + 0.5)) / grid;
      let v: ArrayLike<number>;
      try {
        v = field(q, p);
      } catch {
        continue;
      }
      // Direction in pixels: the data-to-pixel map may stretch q and p differently, and flips p.
      const dx = v[0] * (ax.rect.w / (qr[1] - qr[0]));
      const dy = -v[1] * (ax.rect.h / (pr[1] - pr[0]));
      if (!Number.isFinite(dx) || !Number.isFinite(dy)) continue;
      const len = Math.hypot(dx, dy);
      maxLen = Math.max(maxLen, len);
      pts.push([ax.sx(q), ax.sy(p), dx, dy]);
    }
  }
  if (!(maxLen > 0)) return '';
  const cell = Math.min(ax.rect.w, ax.rect.h) / grid;
  const k = (0.9 * cell) / maxLen;
  const out: string[] = [];
  for (const [x, y, dx, dy] of pts) {
    const ux = dx * k;
    const uy = dy * k;
    const len = Math.hypot(ux, uy);
    if (len < 0.5) continue;
    // centre the arrow on its grid point, as matplotlib's quiver(pivot='middle') does
    const x0 = x - ux / 2;
    const y0 = y - uy / 2;
    const x1 = x + ux / 2;
    const y1 = y + uy / 2;
    const h = Math.min(7, Math.max(2.5, 0.35 * len));
    const bx = -ux / len;
    const by = -uy / len;
    const lx = x1 + h * bx - 0.5 * h * by;
    const ly = y1 + h * by + 0.5 * h * bx;
    const rx = x1 + h * bx + 0.5 * h * by;
    const ry = y1 + h * by - 0.5 * h * bx;
    out.push(
      `<line x1="${n2(x0)}" y1="${n2(y0)}" x2="${n2(x1 + 0.6 * h * bx)}" y2="${n2(y1 + 0.6 * h * by)}" stroke="${ARROW_COLOR}" stroke-width="1.3"/>`,
    );
    out.push(`<path d="M${n2(x1)} ${n2(y1)}L${n2(lx)} ${n2(ly)}L${n2(rx)} ${n2(ry)}Z" fill="${ARROW_COLOR}"/>`);
  }
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Planar orbits

export interface OrbitPanel {
  name: string;
  bodies: Array<{ x: ArrayLike<number>; y: ArrayLike<number>; name?: string }>;
}

export interface OrbitPlotOptions {
  title: string;
  panels: OrbitPanel[];
  /** Side of each square panel's plot area in pixels (default 380). */
  panelSize?: number;
  /**
   * true: one equal-aspect range for all panels; false: a range fitted to each panel. Default:
   * shared unless one panel's extent is over 3x another's (a diverged rollout would otherwise
   * shrink the others to a dot).
   */
  sharedRange?: boolean;
}

/** Writes a PNG of bodies' orbits in the plane, one trajectory per series. */
export async function orbitPlot(path: string, o: OrbitPlotOptions): Promise<void> {
  const size = o.panelSize ?? 380;
  const left = 66;
  const right = 18;
  const top = 72;
  const bottom = 62;
  const pw = left + size + right;
  const width = pw * Math.max(1, o.panels.length);
  const height = top + size + bottom;
  const all = o.panels.flatMap((p) => p.bodies);
  const spans = o.panels.map((p) => {
    const [xd] = squareDomains(extent(p.bodies.map((b) => b.x)), extent(p.bodies.map((b) => b.y)));
    return xd[1] - xd[0];
  });
  const shared = o.sharedRange ?? Math.max(...spans, 0) <= 3 * Math.min(...spans, Infinity);
  const parts: string[] = [text(width / 2, 26, o.title, { size: 16, anchor: 'middle', weight: 'bold' })];
  o.panels.forEach((panel, k) => {
    const bodies = shared ? all : panel.bodies;
    const [xd, yd] = squareDomains(extent(bodies.map((b) => b.x)), extent(bodies.map((b) => b.y)));
    const rect: Rect = { x: k * pw + left, y: top, w: size, h: size };
    const ax = makeAxes(rect, xd, yd, { xLabel: 'x', yLabel: 'y', title: panel.name });
    const entries: LegendEntry[] = [];
    const lines = panel.bodies.map((b, i) => {
      const color = PALETTE[i % PALETTE.length];
      entries.push({ name: b.name ?? `body ${i + 1}`, color });
      return trajectorySvg(b.x, b.y, ax.sx, ax.sy, color, 1.8);
    });
    const pts: Array<[number, number]> = [];
    for (const b of panel.bodies) pixelPoints(b.x, b.y, ax.sx, ax.sy, pts);
    parts.push(ax.under, `<g clip-path="url(#${ax.clipId})">${lines.join('')}</g>`, ax.over, k === 0 ? legend(rect, entries, pts) : '');
  });
  await writeSvgPng(path, svgDoc(width, height, parts.join('')));
}

/** Padded x and y domains of equal length, so circles look like circles in a square panel. */
function squareDomains(xe: Range, ye: Range): [Range, Range] {
  const half = Math.max(xe[1] - xe[0], ye[1] - ye[0], 1e-9) * 0.54;
  const cx = (xe[0] + xe[1]) / 2;
  const cy = (ye[0] + ye[1]) / 2;
  return [
    [cx - half, cx + half],
    [cy - half, cy + half],
  ];
}
