// Anti-aliased rasteriser for the pendulum scene: each pixel's grey level is the intensity-weighted
// area of the pixel square the shapes cover (overlaps take the brightest shape, never a sum > 1).
// Speed: only pixels in the shapes' bounding box are visited; a pixel whose centre is more than half
// a pixel diagonal inside or outside every shape is resolved from exact signed distances, and only
// the pixels an edge crosses are supersampled (S x S regular grid, default 8 x 8).
import { bobCentre, type PendulumGeometry } from './geometry.ts';

const HALF_DIAGONAL = Math.SQRT1_2;

/** A disc or capsule (a segment thickened by radius r): a disc is a capsule with a = b. */
interface Shape {
  part: 'bob' | 'rod' | 'pivot';
  ax: number;
  ay: number;
  dx: number; // b - a
  dy: number;
  invLen2: number; // 1 / |b - a|^2, or 0 for a disc
  r: number;
  r2: number;
  intensity: number;
}

export interface RasterOptions {
  /** Subsamples per axis for edge pixels (default 8: 64 samples, mean area error about 0.006). */
  samples?: number;
}

export class PendulumRasterizer {
  readonly size: number;
  readonly pixels: number;
  private readonly sub: Float64Array; // subsample offsets within a pixel, per axis
  private readonly shapes: Shape[];
  private readonly edge: Shape[] = [];

  constructor(
    readonly geometry: PendulumGeometry,
    opts: RasterOptions = {},
  ) {
    const s = opts.samples ?? 8;
    if (!Number.isInteger(s) || s < 1 || s > 64) throw new Error(`samples per axis must be an integer in 1..64, got ${s}`);
    this.size = geometry.size;
    this.pixels = geometry.size * geometry.size;
    this.sub = Float64Array.from({ length: s }, (_, k) => (k + 0.5) / s);
    const g = geometry;
    const mk = (part: Shape['part'], r: number, intensity: number): Shape => ({
      part,
      ax: g.pivotX,
      ay: g.pivotY,
      dx: 0,
      dy: 0,
      invLen2: 0,
      r,
      r2: r * r,
      intensity,
    });
    // Brightest first (stable for ties): the first shape found covering a point decides its intensity.
    this.shapes = [
      mk('bob', g.bobRadius, g.bobIntensity),
      mk('rod', g.rodHalfWidth, g.rodIntensity),
      mk('pivot', g.pivotRadius, g.pivotIntensity),
    ]
      .filter((sh) => sh.intensity > 0 && sh.r > 0)
      .sort((a, b) => b.intensity - a.intensity);
  }

  /** Places the moving shapes for angle phi. */
  private pose(phi: number): void {
    const g = this.geometry;
    const b = bobCentre(phi, g);
    for (const sh of this.shapes) {
      if (sh.part === 'bob') {
        sh.ax = b.x;
        sh.ay = b.y;
      } else if (sh.part === 'rod') {
        sh.dx = b.x - g.pivotX;
        sh.dy = b.y - g.pivotY;
        const len2 = sh.dx * sh.dx + sh.dy * sh.dy;
        sh.invLen2 = len2 > 0 ? 1 / len2 : 0;
      }
    }
  }

  /**
   * Draws the pendulum at angle phi into out[offset .. offset + N*N) (row-major, background 0).
   * Allocates a new frame when out is not given.
   */
  render(phi: number, out?: Float32Array, offset = 0): Float32Array {
    const N = this.size;
    const frame = out ?? new Float32Array(this.pixels);
    if (offset < 0 || offset + this.pixels > frame.length)
      throw new Error(`render: frame at offset ${offset} does not fit in ${frame.length} values`);
    frame.fill(0, offset, offset + this.pixels);
    this.pose(phi);
    const shapes = this.shapes;
    const ns = shapes.length;
    if (ns === 0) return frame;
    // Bounding box of all shapes, in whole pixels.
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (const s of shapes) {
      x0 = Math.min(x0, s.ax - s.r, s.ax + s.dx - s.r);
      x1 = Math.max(x1, s.ax + s.r, s.ax + s.dx + s.r);
      y0 = Math.min(y0, s.ay - s.r, s.ay + s.dy - s.r);
      y1 = Math.max(y1, s.ay + s.r, s.ay + s.dy + s.r);
    }
    const j0 = Math.max(0, Math.floor(x0)),
      j1 = Math.min(N - 1, Math.ceil(x1) - 1);
    const i0 = Math.max(0, Math.floor(y0)),
      i1 = Math.min(N - 1, Math.ceil(y1) - 1);
    const sub = this.sub;
    const S = sub.length;
    const inv = 1 / (S * S);
    const edge = this.edge;
    for (let i = i0; i <= i1; i++) {
      const cy = i + 0.5;
      const row = offset + i * N;
      for (let j = j0; j <= j1; j++) {
        const cx = j + 0.5;
        let base = 0;
        let ne = 0;
        for (let k = 0; k < ns; k++) {
          const s = shapes[k];
          if (s.intensity <= base) break; // the rest are no brighter than what already covers the pixel
          const d = signedDistance(s, cx, cy);
          if (d <= -HALF_DIAGONAL) {
            base = s.intensity; // the whole pixel square is inside this shape
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
              if (s.intensity <= v) break;
              if (contains(s, px, py)) {
                v = s.intensity;
                break;
              }
            }
            sum += v;
          }
        }
        frame[row + j] = sum * inv;
      }
    }
    return frame;
  }
}

/** Exact Euclidean signed distance from (px, py) to the capsule (negative inside). */
function signedDistance(s: Shape, px: number, py: number): number {
  const qx = px - s.ax,
    qy = py - s.ay;
  let t = (qx * s.dx + qy * s.dy) * s.invLen2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = qx - t * s.dx,
    ey = qy - t * s.dy;
  return Math.sqrt(ex * ex + ey * ey) - s.r;
}

function contains(s: Shape, px: number, py: number): boolean {
  const qx = px - s.ax,
    qy = py - s.ay;
  let t = (qx * s.dx + qy * s.dy) * s.invLen2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = qx - t * s.dx,
    ey = qy - t * s.dy;
  return ex * ex + ey * ey <= s.r2;
}

/** One frame at angle phi with the given geometry (convenience; reuse a PendulumRasterizer in loops). */
export function renderPendulum(phi: number, geometry: PendulumGeometry, opts: RasterOptions = {}): Float32Array {
  return new PendulumRasterizer(geometry, opts).render(phi);
}
