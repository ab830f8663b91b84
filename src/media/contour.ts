// Marching squares: iso-lines of a scalar sampled on a regular grid.

/** A scalar sampled at xs[i] x ys[j]; z[j * xs.length + i]. */
export interface Grid {
  xs: number[];
  ys: number[];
  z: Float64Array;
}

export function sampleGrid(
  f: (x: number, y: number) => number,
  xRange: [number, number],
  yRange: [number, number],
  nx: number,
  ny: number,
): Grid {
  const xs = Array.from({ length: nx }, (_, i) => xRange[0] + ((xRange[1] - xRange[0]) * i) / (nx - 1));
  const ys = Array.from({ length: ny }, (_, j) => yRange[0] + ((yRange[1] - yRange[0]) * j) / (ny - 1));
  const z = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let v: number;
      try {
        v = f(xs[i], ys[j]);
      } catch {
        v = NaN; // a function undefined somewhere (e.g. a singularity) leaves a hole, not a crash
      }
      z[j * nx + i] = v;
    }
  }
  return { xs, ys, z };
}

/** Segments [x1, y1, x2, y2] (data coordinates) of the level set z = level. */
export function isoLines(g: Grid, level: number): Array<[number, number, number, number]> {
  const { xs, ys, z } = g;
  const nx = xs.length;
  const out: Array<[number, number, number, number]> = [];
  for (let j = 0; j + 1 < ys.length; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      // corners counter-clockwise from bottom-left; cells touching a non-finite value are skipped
      const c = [z[j * nx + i], z[j * nx + i + 1], z[(j + 1) * nx + i + 1], z[(j + 1) * nx + i]];
      if (!c.every(Number.isFinite)) continue;
      const px = [xs[i], xs[i + 1], xs[i + 1], xs[i]];
      const py = [ys[j], ys[j], ys[j + 1], ys[j + 1]];
      const above = c.map((v) => v > level);
      // crossing point on edge e (corner e -> corner e+1), or null
      const cross: Array<[number, number] | null> = [0, 1, 2, 3].map((e) => {
        const a = e;
        const b = (e + 1) % 4;
        if (above[a] === above[b]) return null;
        const t = (level - c[a]) / (c[b] - c[a]);
        return [px[a] + t * (px[b] - px[a]), py[a] + t * (py[b] - py[a])];
      });
      const edges = [0, 1, 2, 3].filter((e) => cross[e] !== null);
      const seg = (e1: number, e2: number) => {
        const p = cross[e1]!;
        const q = cross[e2]!;
        out.push([p[0], p[1], q[0], q[1]]);
      };
      if (edges.length === 2) {
        seg(edges[0], edges[1]);
      } else if (edges.length === 4) {
        // Saddle: the cell centre's side decides which diagonal pair of corners is connected.
        const centreAbove = (c[0] + c[1] + c[2] + c[3]) / 4 > level;
        if (centreAbove === above[0]) {
          seg(0, 1); // cut off corner 1
          seg(2, 3); // cut off corner 3
        } else {
          seg(3, 0); // cut off corner 0
          seg(1, 2); // cut off corner 2
        }
      }
    }
  }
  return out;
}

/** `count` levels evenly spaced strictly inside the finite range of the grid. */
export function autoLevels(z: ArrayLike<number>, count: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, k) => lo + ((hi - lo) * (k + 1)) / (count + 1));
}
