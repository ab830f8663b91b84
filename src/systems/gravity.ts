/**
 * N bodies in the plane under Newtonian gravity, no softening (the paper's two- and three-body tasks).
 *
 *   H = sum_i |p_i|^2 / (2 m_i) - sum_{i<j} G m_i m_j / |q_i - q_j|
 *   dq_i/dt = p_i / m_i,   dp_i/dt = -sum_{j != i} G m_i m_j (q_i - q_j) / |q_i - q_j|^3
 *
 * State layout (4n values): [qx_1..qx_n, qy_1..qy_n, px_1..px_n, py_1..py_n].
 */
import type { Rng } from '../util/rng.ts';
import type { Shape } from './scene.ts';
import { buildSystem, type System } from './system.ts';

const BODY_COLOURS: ReadonlyArray<readonly [number, number, number]> = [
  [0.95, 0.35, 0.25],
  [0.3, 0.6, 0.95],
  [0.35, 0.85, 0.4],
  [0.9, 0.8, 0.3],
];

export interface GravityOptions {
  name: string;
  description: string;
  masses: readonly number[];
  G?: number;
  sample(rng: Rng): Float64Array;
  /** World half-extent the frames show. */
  extent: number;
  /** Radius of the heaviest body's disc as a fraction of the frame side (default 0.07); lighter bodies scale by cbrt(mass). */
  discRadius?: number;
}

/** N bodies under Newtonian gravity in the plane (the two- and three-body tasks' systems). */
export function gravitySystem(o: GravityOptions): System {
  const n = o.masses.length;
  const G = o.G ?? 1;
  const m = o.masses;
  const coordinates = [...m.map((_, i) => `qx${i + 1}`), ...m.map((_, i) => `qy${i + 1}`)];
  return buildSystem({
    name: o.name,
    description: o.description,
    coordinates,
    hamiltonian(x) {
      // kinetic terms in layout order, then the pairs: the order the tasks' energies were always summed in
      let twiceKinetic = 0;
      for (let c = 0; c < 2 * n; c++) twiceKinetic += (x[2 * n + c] * x[2 * n + c]) / m[c % n];
      let potential = 0;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) potential -= (G * m[i] * m[j]) / Math.hypot(x[i] - x[j], x[n + i] - x[n + j]);
      }
      return twiceKinetic / 2 + potential;
    },
    gradient(x, out) {
      out.fill(0, 0, 2 * n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const dx = x[i] - x[j];
          const dy = x[n + i] - x[n + j];
          const r2 = dx * dx + dy * dy;
          const inv3 = 1 / (r2 * Math.sqrt(r2));
          const s = G * m[i] * m[j];
          out[i] += s * dx * inv3;
          out[j] -= s * dx * inv3;
          out[n + i] += s * dy * inv3;
          out[n + j] -= s * dy * inv3;
        }
      }
      for (let c = 0; c < 2 * n; c++) out[2 * n + c] = x[2 * n + c] / m[c % n];
    },
    sample: o.sample,
    bodies: (x) => Array.from({ length: n }, (_, i) => [x[i], x[n + i]] as [number, number]),
    view: { centre: [0, 0], scale: 0.5 / o.extent },
    scene: (x) =>
      Array.from({ length: n }, (_, i): Shape => ({
        kind: 'disc',
        x: x[i],
        y: x[n + i],
        radius: (o.discRadius ?? 0.07) * Math.cbrt(m[i] / Math.max(...m)),
        shade: 1 - (0.4 * i) / Math.max(1, n - 1),
        colour: BODY_COLOURS[i % BODY_COLOURS.length],
      })),
  });
}
