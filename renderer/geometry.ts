// The pendulum scene: a fixed pivot at the frame centre, a rod to the bob, and the bob, all sized as
// fractions of the frame so any N x N frame shows the same picture. Angles: phi measured from
// hanging straight down; phi > 0 swings the bob to the right. Image rows grow downward.

export interface PendulumGeometry {
  /** Frame side N in pixels. */
  size: number;
  /** Pivot position in pixel coordinates (x right, y down); pixel (row i, col j) covers [j, j+1] x [i, i+1]. */
  pivotX: number;
  pivotY: number;
  /** Distance pivot -> bob centre, pixels. */
  rodLength: number;
  /** Half the rod thickness, pixels (the rod is a capsule around the pivot -> bob segment). */
  rodHalfWidth: number;
  bobRadius: number;
  pivotRadius: number;
  /** Grey levels in [0, 1]; where shapes overlap the brighter one shows (bob over rod). */
  rodIntensity: number;
  bobIntensity: number;
  pivotIntensity: number;
}

/**
 * The default scene, proportioned like the reference's cropped Gym Pendulum: the rod runs from the
 * centre nearly to the edge (bob edge at 0.46 N from the centre, 1 px margin at N = 28), rod grey 0.5.
 * Unlike Gym we draw a bright bob, which makes the angle easy to read from a single frame.
 */
export function defaultGeometry(size = 28): PendulumGeometry {
  if (!Number.isInteger(size) || size < 4) throw new Error(`frame size must be an integer >= 4, got ${size}`);
  return {
    size,
    pivotX: size / 2,
    pivotY: size / 2,
    rodLength: 0.36 * size,
    rodHalfWidth: 0.04 * size,
    bobRadius: 0.1 * size,
    pivotRadius: 0.06 * size,
    rodIntensity: 0.5,
    bobIntensity: 1.0,
    pivotIntensity: 0.5,
  };
}

/** Bob centre in pixel coordinates for angle phi (from hanging down). */
export function bobCentre(phi: number, g: PendulumGeometry): { x: number; y: number } {
  return { x: g.pivotX + g.rodLength * Math.sin(phi), y: g.pivotY + g.rodLength * Math.cos(phi) };
}
