// What the plot modules (plot.ts, contour-plot.ts) share: the data range type and the checks of a
// plot's requested geometry, and the trajectory mark drawn over fields, contours and orbits.
import type { Rect } from './axes.ts';
import { makeScale, n2, polylinePath } from './svg.ts';

/** A data interval [lo, hi] on one axis. */
export type Range = [number, number];

/** Throws when the plot area left by the margins is under 40 px on a side (the image is too small). */
export function checkRect(r: Rect, width: number, height: number): void {
  if (!(r.w >= 40 && r.h >= 40)) throw new Error(`plot size ${width}x${height} is too small`);
}

/** Throws unless `r` is a finite interval with lo < hi; `name` is the option named in the message. */
export function checkRange(name: string, r: Range): void {
  if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[1] > r[0]))
    throw new Error(`${name} must be [lo, hi] with lo < hi, got [${r[0]}, ${r[1]}]`);
}

/**
 * A trajectory line with a hollow circle at its first drawable point and a filled one at its last;
 * empty when no segment is drawable.
 */
export function trajectorySvg(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  sx: ReturnType<typeof makeScale>,
  sy: ReturnType<typeof makeScale>,
  color: string,
  width = 2,
): string {
  const d = polylinePath(xs, ys, sx, sy);
  if (!d) return '';
  const n = Math.min(xs.length, ys.length);
  let first = -1;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (sx.ok(xs[i]) && sy.ok(ys[i])) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const mark = (i: number, fill: string) =>
    `<circle cx="${n2(sx(xs[i]))}" cy="${n2(sy(ys[i]))}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`;
  return (
    `<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"/>` +
    mark(first, '#ffffff') +
    mark(last, color)
  );
}
