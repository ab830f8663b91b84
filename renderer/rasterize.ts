// Anti-aliased rasteriser for any scene of discs and rods (src/systems/scene.ts). Each pixel's value
// is the area-weighted value of the pixel square the shapes cover. Grey frames: where shapes overlap
// the brighter one shows (never a sum above 1). Colour frames: the top-most shape shows.
// Speed: only pixels in the shapes' bounding box are visited; a pixel whose centre is more than half
// a pixel diagonal inside or outside every shape is resolved from exact signed distances, and only
// the pixels an edge crosses are supersampled (S x S regular grid, default 8 x 8).
import type { Colour, Shape, View } from '../src/systems/scene.ts';

const HALF_DIAGONAL = Math.SQRT1_2;

/** A disc or capsule (a segment thickened by radius r) in pixel coordinates: a disc has a = b. */
interface Capsule {
  ax: number;
  ay: number;
  dx: number; // b - a
  dy: number;
  invLen2: number; // 1 / |b - a|^2, or 0 for a disc
  r: number;
  r2: number;
  shade: number;
  colour: Colour;
}

export interface RasterOptions {
  /** Subsamples per axis for edge pixels (default 8: 64 samples, mean area error about 0.006). */
  samples?: number;
  /** 1: grey frames; 3: RGB frames (channels last). */
  channels?: 1 | 3;
}

/**
 * World (x right, y up) to pixel coordinates (x right, y down; pixel (row i, col j) covers
 * [j, j+1] x [i, i+1]): the view's centre lands on the frame's centre.
 */
export function toPixels(
  view: View,
  size: number,
): { x: (wx: number) => number; y: (wy: number) => number; length: (fraction: number) => number } {
  const s = view.scale * size;
  const c = size / 2;
  const [cx, cy] = view.centre;
  return { x: (wx) => c + s * (wx - cx), y: (wy) => c - s * (wy - cy), length: (fraction) => fraction * size };
}

/** The anti-aliased rasteriser of scenes: shapes in world coordinates -> an N x N frame (grey or RGB, values in [0, 1]). */
export class Rasterizer {
  readonly channels: 1 | 3;
  /** Values per frame: size * size * channels. */
  readonly values: number;
  private readonly sub: Float64Array; // subsample offsets within a pixel, per axis
  private readonly edge: Capsule[] = [];

  constructor(
    readonly size: number,
    opts: RasterOptions = {},
  ) {
    const s = opts.samples ?? 8;
    if (!Number.isInteger(size) || size < 4) throw new Error(`frame size must be an integer >= 4, got ${size}`);
    if (!Number.isInteger(s) || s < 1 || s > 64) throw new Error(`samples per axis must be an integer in 1..64, got ${s}`);
    this.channels = opts.channels ?? 1;
    this.values = size * size * this.channels;
    this.sub = Float64Array.from({ length: s }, (_, k) => (k + 0.5) / s);
  }

  /** The scene's shapes in pixel coordinates, without the invisible ones. */
  private capsules(shapes: readonly Shape[], view: View): Capsule[] {
    const p = toPixels(view, this.size);
    const out: Capsule[] = [];
    for (const sh of shapes) {
      const colour = sh.colour ?? [sh.shade, sh.shade, sh.shade];
      if (sh.kind === 'disc') {
        const r = p.length(sh.radius);
        out.push({ ax: p.x(sh.x), ay: p.y(sh.y), dx: 0, dy: 0, invLen2: 0, r, r2: r * r, shade: sh.shade, colour });
      } else {
        const ax = p.x(sh.x0);
        const ay = p.y(sh.y0);
        const dx = p.x(sh.x1) - ax;
        const dy = p.y(sh.y1) - ay;
        const len2 = dx * dx + dy * dy;
        const r = p.length(sh.halfWidth);
        out.push({ ax, ay, dx, dy, invLen2: len2 > 0 ? 1 / len2 : 0, r, r2: r * r, shade: sh.shade, colour });
      }
    }
    const visible = out.filter((c) => c.r > 0 && (this.channels === 3 ? c.colour.some((v) => v > 0) : c.shade > 0));
    // Grey: brightest first (stable for ties), so the first shape found covering a point decides it.
    // Colour: the given order, top-most first.
    return this.channels === 1 ? visible.sort((a, b) => b.shade - a.shade) : visible;
  }

  /**
   * Draws the shapes (world coordinates, seen through `view`) into out[offset .. offset + values),
   * row-major (channels last), on a background of 0. Allocates a new frame when out is not given.
   */
  render(shapes: readonly Shape[], view: View, out?: Float32Array, offset = 0): Float32Array {
    const frame = out ?? new Float32Array(this.values);
    if (offset < 0 || offset + this.values > frame.length)
      throw new Error(`render: frame at offset ${offset} does not fit in ${frame.length} values`);
    frame.fill(0, offset, offset + this.values);
    const caps = this.capsules(shapes, view);
    if (caps.length === 0) return frame;
    const box = this.bounds(caps);
    if (this.channels === 1) this.renderGrey(caps, box, frame, offset);
    else this.renderColour(caps, box, frame, offset);
    return frame;
  }

  /** Bounding box of all shapes, in whole pixels clipped to the frame. */
  private bounds(caps: Capsule[]): { i0: number; i1: number; j0: number; j1: number } {
    const N = this.size;
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (const s of caps) {
      x0 = Math.min(x0, s.ax - s.r, s.ax + s.dx - s.r);
      x1 = Math.max(x1, s.ax + s.r, s.ax + s.dx + s.r);
      y0 = Math.min(y0, s.ay - s.r, s.ay + s.dy - s.r);
      y1 = Math.max(y1, s.ay + s.r, s.ay + s.dy + s.r);
    }
    return {
      j0: Math.max(0, Math.floor(x0)),
      j1: Math.min(N - 1, Math.ceil(x1) - 1),
      i0: Math.max(0, Math.floor(y0)),
      i1: Math.min(N - 1, Math.ceil(y1) - 1),
    };
  }

  // hot-loop twin of renderer/rasterize.ts:renderColour: the same pixel and sub-sample loops with
  // another rule inside (the brightest covering shape wins, shapes sorted by shade, one value per
  // pixel); one loop for both would test the channel count or call the rule per sub-sample.
  private renderGrey(
    shapes: Capsule[],
    box: { i0: number; i1: number; j0: number; j1: number },
    frame: Float32Array,
    offset: number,
  ): void {
    const N = this.size;
    const ns = shapes.length;
    const sub = this.sub;
    const S = sub.length;
    const inv = 1 / (S * S);
    const edge = this.edge;
    for (let i = box.i0; i <= box.i1; i++) {
      const cy = i + 0.5;
      const row = offset + i * N;
      for (let j = box.j0; j <= box.j1; j++) {
        const cx = j + 0.5;
        let base = 0;
        let ne = 0;
        for (let k = 0; k < ns; k++) {
          const s = shapes[k];
          if (s.shade <= base) break; // the rest are no brighter than what already covers the pixel
          const d = signedDistance(s, cx, cy);
          if (d <= -HALF_DIAGONAL) {
            base = s.shade; // the whole pixel square is inside this shape
            break;
          }
          if (d < HALF_DIAGONAL) edge[ne++] = s;
        }
        if (ne === 0) {
          frame[row + j] = base;
          continue;
        }
        let sum = 0;
        for (let a = 0; a < S; a++) {
          const py = i + sub[a];
          for (let b = 0; b < S; b++) {
            const px = j + sub[b];
            let v = base;
            for (let k = 0; k < ne; k++) {
              const s = edge[k];
              if (s.shade <= v) break;
              if (contains(s, px, py)) {
                v = s.shade;
                break;
              }
            }
            sum += v;
          }
        }
        frame[row + j] = sum * inv;
      }
    }
  }

  // hot-loop twin of renderer/rasterize.ts:renderGrey: the same pixel and sub-sample loops with
  // another rule inside (the top-most covering shape wins, three channels summed per sub-sample);
  // one loop for both would test the channel count or call the rule per sub-sample.
  private renderColour(
    shapes: Capsule[],
    box: { i0: number; i1: number; j0: number; j1: number },
    frame: Float32Array,
    offset: number,
  ): void {
    const N = this.size;
    const sub = this.sub;
    const S = sub.length;
    const inv = 1 / (S * S);
    const edge = this.edge;
    for (let i = box.i0; i <= box.i1; i++) {
      const cy = i + 0.5;
      for (let j = box.j0; j <= box.j1; j++) {
        const cx = j + 0.5;
        const at = offset + 3 * (i * N + j);
        // shapes touching the pixel, top-most first, down to the first that covers it whole
        let under: Capsule | null = null;
        let ne = 0;
        for (const s of shapes) {
          const d = signedDistance(s, cx, cy);
          if (d <= -HALF_DIAGONAL) {
            under = s;
            break;
          }
          if (d < HALF_DIAGONAL) edge[ne++] = s;
        }
        if (ne === 0) {
          if (under) for (let c = 0; c < 3; c++) frame[at + c] = under.colour[c];
          continue;
        }
        let r = 0,
          g = 0,
          b = 0;
        for (let a = 0; a < S; a++) {
          const py = i + sub[a];
          for (let q = 0; q < S; q++) {
            const px = j + sub[q];
            let hit: Capsule | null = under;
            for (let k = 0; k < ne; k++) {
              if (contains(edge[k], px, py)) {
                hit = edge[k];
                break;
              }
            }
            if (hit) {
              r += hit.colour[0];
              g += hit.colour[1];
              b += hit.colour[2];
            }
          }
        }
        frame[at] = r * inv;
        frame[at + 1] = g * inv;
        frame[at + 2] = b * inv;
      }
    }
  }
}

/** Exact Euclidean signed distance from (px, py) to the capsule (negative inside). */
function signedDistance(s: Capsule, px: number, py: number): number {
  const qx = px - s.ax,
    qy = py - s.ay;
  let t = (qx * s.dx + qy * s.dy) * s.invLen2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = qx - t * s.dx,
    ey = qy - t * s.dy;
  return Math.sqrt(ex * ex + ey * ey) - s.r;
}

function contains(s: Capsule, px: number, py: number): boolean {
  const qx = px - s.ax,
    qy = py - s.ay;
  let t = (qx * s.dx + qy * s.dy) * s.invLen2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = qx - t * s.dx,
    ey = qy - t * s.dy;
  return ex * ex + ey * ey <= s.r2;
}
