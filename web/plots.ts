// Small canvas plots for the page: lines over axes, iso-lines of a function of two variables
// (marching squares of src/media/contour.ts, as the PNG plots use), arrows of a vector field.
import { isoLines, sampleGrid } from '../src/media/contour.ts';

export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Maps data coordinates to the canvas, inside a margin left for the tick labels. */
export class Axes {
  readonly left = 58;
  readonly right = 10;
  readonly top = 22;
  readonly bottom = 26;

  constructor(
    readonly ctx: CanvasRenderingContext2D,
    readonly box: Box,
    readonly logY = false,
  ) {}

  get width(): number {
    return this.ctx.canvas.width - this.left - this.right;
  }

  get height(): number {
    return this.ctx.canvas.height - this.top - this.bottom;
  }

  private fy(y: number): number {
    return this.logY ? Math.log10(y) : y;
  }

  px(x: number): number {
    return this.left + ((x - this.box.x0) / (this.box.x1 - this.box.x0 || 1)) * this.width;
  }

  py(y: number): number {
    const [a, b] = [this.fy(this.box.y0), this.fy(this.box.y1)];
    return this.top + (1 - (this.fy(y) - a) / (b - a || 1)) * this.height;
  }

  /** Frame, ticks and labels. */
  frame(title: string, xLabel: string, yLabel: string): void {
    const { ctx } = this;
    const W = ctx.canvas.width;
    const H = ctx.canvas.height;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = '#999';
    ctx.lineWidth = 1;
    ctx.strokeRect(this.left + 0.5, this.top + 0.5, this.width, this.height);
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(title, this.left, 14);
    ctx.textAlign = 'center';
    ctx.fillText(xLabel, this.left + this.width / 2, H - 4);
    ctx.textAlign = 'right';
    const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : +v.toPrecision(3) + '');
    for (const y of [this.box.y0, this.logY ? Math.sqrt(this.box.y0 * this.box.y1) : (this.box.y0 + this.box.y1) / 2, this.box.y1])
      ctx.fillText(fmt(y), this.left - 4, this.py(y) + 4);
    const ticks: Array<[number, CanvasTextAlign]> = [
      [this.box.x0, 'left'],
      [(this.box.x0 + this.box.x1) / 2, 'center'],
      [this.box.x1, 'right'],
    ];
    for (const [x, align] of ticks) {
      ctx.textAlign = align;
      ctx.fillText(fmt(x), this.px(x), this.top + this.height + 12);
    }
    ctx.textAlign = 'center';
    ctx.save();
    ctx.translate(9, this.top + this.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yLabel, 0, 0);
    ctx.restore();
  }

  clip(): void {
    this.ctx.save();
    this.ctx.beginPath();
    this.ctx.rect(this.left, this.top, this.width, this.height);
    this.ctx.clip();
  }

  unclip(): void {
    this.ctx.restore();
  }
}

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  dashed?: boolean;
}

/** Finite bounds of some series, padded; positive ones for a log axis. */
export function boundsOf(series: Series[], logY = false): Box {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of series)
    for (let i = 0; i < s.y.length; i++) {
      const [x, y] = [s.x[i], s.y[i]];
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) continue;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
  if (!Number.isFinite(x0)) return { x0: 0, x1: 1, y0: logY ? 1e-3 : 0, y1: 1 };
  if (logY) return { x0, x1, y0: y0 / 1.5, y1: y1 * 1.5 };
  const pad = 0.08 * (y1 - y0 || Math.abs(y1) || 1);
  return { x0, x1, y0: y0 - pad, y1: y1 + pad };
}

export function drawSeries(axes: Axes, series: Series[]): void {
  const { ctx } = axes;
  axes.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [5, 3] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.y.length; i++) {
      const ok = Number.isFinite(s.y[i]) && (!axes.logY || s.y[i] > 0);
      if (!ok) {
        pen = false;
        continue;
      }
      const [X, Y] = [axes.px(s.x[i]), axes.py(s.y[i])];
      if (pen) ctx.lineTo(X, Y);
      else ctx.moveTo(X, Y);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  axes.unclip();
  // legend, top right inside the frame
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'right';
  series.forEach((s, i) => {
    const y = axes.top + 14 + 13 * i;
    ctx.fillStyle = s.color;
    ctx.fillText(s.name, axes.left + axes.width - 6, y);
  });
}

/** Iso-lines of f over the box, `levels` levels between the grid's own quantiles. */
export function drawContours(axes: Axes, f: (x: number, y: number) => number, levels = 14, n = 32): void {
  const { box, ctx } = axes;
  const grid = sampleGrid(f, [box.x0, box.x1], [box.y0, box.y1], n, n);
  const finite = Array.from(grid.z)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (finite.length < 4) return;
  axes.clip();
  ctx.lineWidth = 1;
  for (let l = 1; l <= levels; l++) {
    const level = finite[Math.floor((l / (levels + 1)) * (finite.length - 1))];
    ctx.strokeStyle = `hsl(${220 - (180 * l) / levels}, 55%, 62%)`;
    ctx.beginPath();
    for (const [x1, y1, x2, y2] of isoLines(grid, level)) {
      ctx.moveTo(axes.px(x1), axes.py(y1));
      ctx.lineTo(axes.px(x2), axes.py(y2));
    }
    ctx.stroke();
  }
  axes.unclip();
}

/** Arrows of a 2-D field on an n x n grid, scaled so the longest is one cell. */
export function drawArrows(axes: Axes, fields: Array<{ f: (x: number, y: number) => [number, number]; color: string }>, n = 13): void {
  const { box, ctx } = axes;
  const xs = Array.from({ length: n }, (_, i) => box.x0 + ((i + 0.5) * (box.x1 - box.x0)) / n);
  const ys = Array.from({ length: n }, (_, j) => box.y0 + ((j + 0.5) * (box.y1 - box.y0)) / n);
  const values = fields.map(({ f }) => xs.flatMap((x) => ys.map((y) => [x, y, ...f(x, y)])));
  const longest = Math.max(
    ...values[0].map(([, , u, v]) => Math.hypot(u / (box.x1 - box.x0), v / (box.y1 - box.y0))).filter(Number.isFinite),
    1e-12,
  );
  const cell = 0.9 / n / longest;
  axes.clip();
  fields.forEach(({ color }, k) => {
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.3;
    for (const [x, y, u, v] of values[k]) {
      if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
      const [X0, Y0] = [axes.px(x), axes.py(y)];
      const [X1, Y1] = [axes.px(x + u * cell * (box.x1 - box.x0)), axes.py(y + v * cell * (box.y1 - box.y0))];
      const a = Math.atan2(Y1 - Y0, X1 - X0);
      ctx.beginPath();
      ctx.moveTo(X0, Y0);
      ctx.lineTo(X1, Y1);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(X1, Y1);
      ctx.lineTo(X1 - 5 * Math.cos(a - 0.4), Y1 - 5 * Math.sin(a - 0.4));
      ctx.lineTo(X1 - 5 * Math.cos(a + 0.4), Y1 - 5 * Math.sin(a + 0.4));
      ctx.fill();
    }
  });
  axes.unclip();
}

/** A frame of values in [0, 1] (grey, or RGB channels last) drawn scaled up, pixels kept sharp. */
export class FrameView {
  private readonly small: HTMLCanvasElement;
  private readonly image: ImageData;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly size: number,
    readonly channels: 1 | 3,
  ) {
    this.small = document.createElement('canvas');
    this.small.width = this.small.height = size;
    this.image = new ImageData(size, size);
  }

  draw(values: ArrayLike<number>, offset: number): void {
    const px = this.image.data;
    const c = this.channels;
    for (let i = 0; i < this.size * this.size; i++) {
      for (let k = 0; k < 3; k++) px[4 * i + k] = 255 * values[offset + i * c + (c === 3 ? k : 0)]; // clamped by the array
      px[4 * i + 3] = 255;
    }
    this.small.getContext('2d')!.putImageData(this.image, 0, 0);
    const ctx = this.canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.small, 0, 0, this.canvas.width, this.canvas.height);
  }
}
