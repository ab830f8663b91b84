// What a scene is made of. Positions are world coordinates (x right, y up); sizes (radius, half
// width) are fractions of the frame side, so a scene looks the same at every resolution. Shapes are
// listed top-most first. The rasteriser (renderer/) turns them into pixels.

/** An RGB colour, each channel in [0, 1]. */
export type Colour = readonly [number, number, number];

interface Paint {
  /** Grey level in [0, 1] for grey frames: where shapes overlap, the brighter one shows. */
  shade: number;
  /** Colour for RGB frames (default: the grey level on every channel). */
  colour?: Colour;
}

/** A filled disc. */
export interface Disc extends Paint {
  kind: 'disc';
  x: number;
  y: number;
  /** Radius, as a fraction of the frame side. */
  radius: number;
}

/** A segment thickened by a half width (a capsule): rods, and the coils of a spring. */
export interface Rod extends Paint {
  kind: 'rod';
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Half the thickness, as a fraction of the frame side. */
  halfWidth: number;
}

/** What a scene is made of: discs and rods. */
export type Shape = Disc | Rod;

/**
 * The world region a frame shows: `centre` is at the frame's centre and one world unit spans
 * `scale` frame sides (e.g. 0.36: a unit-length pendulum rod reaches 36% of the frame side).
 */
export interface View {
  centre: readonly [number, number];
  scale: number;
}

/**
 * A spring between two points as a zigzag of rods: `coils` full turns, `amplitude` (frame fraction)
 * either side of the axis, straight ends of `lead` (fraction of the length) at both ends.
 */
export function springShapes(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  style: { coils: number; amplitude: number; halfWidth: number; shade: number; colour?: Colour; scale: number; lead?: number },
): Rod[] {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length = Math.hypot(dx, dy) || 1;
  // the amplitude is a frame fraction; in world units it is amplitude / scale, across the axis
  const nx = (-dy / length) * (style.amplitude / style.scale);
  const ny = (dx / length) * (style.amplitude / style.scale);
  const lead = style.lead ?? 0.1;
  const points: Array<[number, number]> = [[x0, y0]];
  const zigs = 2 * style.coils;
  for (let i = 0; i <= zigs; i++) {
    const s = lead + ((1 - 2 * lead) * i) / zigs;
    const side = i === 0 || i === zigs ? 0 : i % 2 === 1 ? 1 : -1;
    points.push([x0 + s * dx + side * nx, y0 + s * dy + side * ny]);
  }
  points.push([x1, y1]);
  const rods: Rod[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    rods.push({
      kind: 'rod',
      x0: a[0],
      y0: a[1],
      x1: b[0],
      y1: b[1],
      halfWidth: style.halfWidth,
      shade: style.shade,
      colour: style.colour,
    });
  }
  return rods;
}
