// A scene for any system of up to two bodies, so a user's system renders to pixels without drawing
// code. Two layouts:
//
//   'plane': one disc per coordinate pair, (q_1, q_2) and (q_3, q_4): a body moving in the plane
//            (2 or 4 coordinates);
//   'line':  one disc per coordinate, each on its own horizontal track: q_i is the disc's x, the
//            tracks are spaced apart in y (1 or 2 coordinates).
//
// The first body is bright (shade 1, red), the second dimmer (shade 0.6, blue), so a grey frame
// still tells them apart. The view is fitted to the positions a few trajectories reach (`fitView`).
import type { Colour, Shape, View } from './scene.ts';

/** How the default scene places its discs. */
export type SceneLayout = 'plane' | 'line';

/** The scene layouts, for validation and help texts. */
export const SCENE_LAYOUTS: readonly SceneLayout[] = ['plane', 'line'];

/** Disc radius as a fraction of the frame side (2.8 px at 28 x 28, as the two-body task's). */
export const DEFAULT_DISC_RADIUS = 0.1;

const PAINT: ReadonlyArray<{ shade: number; colour: Colour }> = [
  { shade: 1, colour: [0.95, 0.3, 0.2] },
  { shade: 0.6, colour: [0.2, 0.45, 0.95] },
];

/** The layout a system of `dof` coordinates gets by default: 'plane' for 2 or 4, 'line' for 1. */
export function defaultLayout(dof: number): SceneLayout {
  return dof % 2 === 0 ? 'plane' : 'line';
}

/** Refuses a layout that cannot draw `dof` coordinates as at most two bodies (a one-line reason), else null. */
export function layoutProblem(layout: SceneLayout, dof: number): string | null {
  if (layout === 'plane' && !(dof === 2 || dof === 4))
    return `the 'plane' scene draws 2 or 4 coordinates (one or two bodies in the plane), the system has ${dof}`;
  if (layout === 'line' && !(dof === 1 || dof === 2))
    return `the 'line' scene draws 1 or 2 coordinates (one disc each on a track), the system has ${dof}`;
  return null;
}

/** Track spacing of the 'line' layout in world units, relative to the view's half width. */
const TRACK = 0.5;

/** World positions of the bodies of a state (the discs' centres), given the view's half width. */
export function bodyPositions(layout: SceneLayout, dof: number, x: Float64Array, halfWidth = 1): Array<[number, number]> {
  if (layout === 'plane') return Array.from({ length: dof / 2 }, (_, b) => [x[2 * b], x[2 * b + 1]] as [number, number]);
  const tracks = dof === 1 ? [0] : [TRACK * halfWidth, -TRACK * halfWidth];
  return tracks.map((y, i) => [x[i], y] as [number, number]);
}

/** The scene function of a layout: one disc per body, top-most first. */
export function defaultScene(layout: SceneLayout, dof: number, view: View): (x: Float64Array) => Shape[] {
  const half = 0.5 / view.scale;
  return (x) =>
    bodyPositions(layout, dof, x, half).map(([bx, by], i) => ({ kind: 'disc', x: bx, y: by, radius: DEFAULT_DISC_RADIUS, ...PAINT[i] }));
}

/**
 * A view that shows every position of `states` (row-major [n, 2 dof]) with a disc's radius to
 * spare: centred on the middle of their extent, one half width covering the farthest one. For the
 * 'line' layout the vertical extent is the tracks', so only x counts.
 */
export function fitView(layout: SceneLayout, dof: number, states: Float64Array): View {
  const dim = 2 * dof;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let r = 0; r * dim < states.length; r++) {
    const x = states.subarray(r * dim, (r + 1) * dim);
    for (const [bx, by] of bodyPositions(layout, dof, x)) {
      if (!Number.isFinite(bx) || !Number.isFinite(by)) continue;
      [x0, x1] = [Math.min(x0, bx), Math.max(x1, bx)];
      if (layout === 'plane') [y0, y1] = [Math.min(y0, by), Math.max(y1, by)];
    }
  }
  if (!Number.isFinite(x0)) [x0, x1] = [-1, 1];
  if (layout === 'line' || !Number.isFinite(y0)) [y0, y1] = [0, 0];
  const centre: [number, number] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const reach = Math.max(x1 - x0, y1 - y0, 1e-6) / 2;
  // the half width (world) holds the reach plus one disc radius, itself a fraction of the side:
  // reach * scale + radius <= 0.5  =>  scale = (0.5 - radius) / reach
  const scale = (0.5 - DEFAULT_DISC_RADIUS * 1.1) / reach;
  return { centre, scale };
}
