// Dragging a body of any system to a new start. Systems describe how a state looks (scene(x): discs
// and rods), not how a picture maps back to a state, so the pose is found numerically: the positions
// q that bring the grabbed disc to the pointer, by damped least squares on the disc's position as a
// function of q (finite-difference Jacobian). The minimum-norm step moves only the coordinates the
// disc depends on: a pendulum's angle, a spring's extension, one body of two, both angles of a
// double pendulum for its outer bob. No DOM here.
import type { Disc, View } from '../src/systems/scene.ts';
import type { System } from '../src/systems/system.ts';

function discsOf(system: System, x: Float64Array): Disc[] {
  return system.scene!(x).filter((s): s is Disc => s.kind === 'disc');
}

/** World position of disc `index` (among the scene's discs) at positions q, momenta from x. */
function discAt(system: System, x: Float64Array, q: Float64Array, index: number): [number, number] {
  const s = Float64Array.from(x);
  s.set(q, 0);
  const d = discsOf(system, s)[index];
  return [d.x, d.y];
}

/** 2 x k Jacobian of the disc's position in q, row-major, by central differences. */
function jacobian(system: System, x: Float64Array, q: Float64Array, index: number): Float64Array {
  const k = q.length;
  const J = new Float64Array(2 * k);
  const h = 1e-6;
  for (let j = 0; j < k; j++) {
    const up = Float64Array.from(q);
    const down = Float64Array.from(q);
    up[j] += h;
    down[j] -= h;
    const [ax, ay] = discAt(system, x, up, index);
    const [bx, by] = discAt(system, x, down, index);
    J[j] = (ax - bx) / (2 * h);
    J[k + j] = (ay - by) / (2 * h);
  }
  return J;
}

/** Pixel (frame units, y down) to world coordinates: the inverse of renderer/rasterize.ts toPixels. */
export function toWorld(view: View, size: number, px: number, py: number): [number, number] {
  const s = view.scale * size;
  return [view.centre[0] + (px - size / 2) / s, view.centre[1] - (py - size / 2) / s];
}

/**
 * The disc a pointer at world (wx, wy) grabs: the nearest one that moves with q, if the pointer is
 * within its radius plus `slack` (frame fractions); null otherwise.
 */
export function grab(system: System, view: View, x: Float64Array, wx: number, wy: number, slack = 0.08): number | null {
  const q = x.subarray(0, system.dof);
  let best: number | null = null;
  let bestDistance = Infinity;
  discsOf(system, x).forEach((d, i) => {
    const J = jacobian(system, x, Float64Array.from(q), i);
    if (!J.some((v) => Math.abs(v) > 1e-9)) return; // a fixed disc (a pivot)
    const distance = Math.hypot(d.x - wx, d.y - wy) * view.scale; // in frame fractions
    if (distance <= d.radius + slack && distance < bestDistance) [best, bestDistance] = [i, distance];
  });
  return best;
}

/**
 * The state whose disc `index` is nearest to world (wx, wy), starting from x: the momenta are kept,
 * or set to zero with `atRest` (a body let go from the hand).
 */
export function poseTo(system: System, x: Float64Array, index: number, wx: number, wy: number, atRest: boolean): Float64Array {
  const k = system.dof;
  const q = Float64Array.from(x.subarray(0, k));
  for (let it = 0; it < 50; it++) {
    const [px, py] = discAt(system, x, q, index);
    const rx = wx - px;
    const ry = wy - py;
    if (Math.hypot(rx, ry) < 1e-12) break;
    const J = jacobian(system, x, q, index);
    // dq = J^T (J J^T + lambda I)^-1 r: the minimum-norm damped step
    let a = 0,
      b = 0,
      d = 0;
    for (let j = 0; j < k; j++) {
      a += J[j] * J[j];
      b += J[j] * J[k + j];
      d += J[k + j] * J[k + j];
    }
    const lambda = 1e-6 * (a + d) + 1e-12;
    a += lambda;
    d += lambda;
    const det = a * d - b * b;
    const u = (d * rx - b * ry) / det;
    const v = (a * ry - b * rx) / det;
    let norm = 0;
    const dq = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      dq[j] = J[j] * u + J[k + j] * v;
      norm += dq[j] * dq[j];
    }
    // at most half a unit per iteration: an angle does not jump across the circle
    const cap = Math.min(1, 0.5 / Math.sqrt(norm || 1));
    let moved = false;
    for (let j = 0; j < k; j++) {
      const next = q[j] + cap * dq[j];
      if (next !== q[j]) moved = true;
      q[j] = next;
    }
    if (!moved) break;
  }
  const out = Float64Array.from(x);
  out.set(q, 0);
  if (atRest) out.fill(0, k);
  return out;
}
