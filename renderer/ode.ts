// The exact simulation source: the ideal pendulum phi'' = -(g/l) sin phi integrated with classical
// RK4 at many substeps per frame, accurate far beyond float32 pixels (energy drift ~1e-10 over a
// trial). Self-contained on purpose: the frames must not depend on the project's integrators.

/** Gym Pendulum constants: 3g/(2l) with g = 10, l = 1 (uniform rod): phi'' = -15 sin phi. */
export const OMEGA0_SQUARED = 15;
/** Time between frames, as Gym's dt. */
export const FRAME_DT = 0.05;
/** Momentum label used by the reference: p = 0.25 dphi/dt. */
export const MOMENTUM_SCALE = 0.25;

/** Energy per unit moment of inertia: E = omega^2 / 2 + w0^2 (1 - cos phi); conserved exactly by the ODE. */
export function pendulumEnergy(phi: number, omega: number, w2 = OMEGA0_SQUARED): number {
  return 0.5 * omega * omega + w2 * (1 - Math.cos(phi));
}

export interface ExactOptions {
  /** Time between frames (default 0.05). */
  dt?: number;
  /** RK4 substeps per frame (default 64: step 7.8e-4, local error ~1e-15). */
  substeps?: number;
  /** phi'' = -w2 sin phi (default 15). */
  w2?: number;
}

/**
 * Integrates from (phi0, omega0) and returns the state at frames 0..frames-1 as
 * [phi_0, omega_0, phi_1, omega_1, ...] (phi from hanging down, omega = dphi/dt).
 */
export function simulateExact(phi0: number, omega0: number, frames: number, opts: ExactOptions = {}): Float64Array {
  const dt = opts.dt ?? FRAME_DT;
  const n = opts.substeps ?? 64;
  const w2 = opts.w2 ?? OMEGA0_SQUARED;
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`frames must be a positive integer, got ${frames}`);
  const h = dt / n;
  const out = new Float64Array(2 * frames);
  let q = phi0,
    w = omega0;
  out[0] = q;
  out[1] = w;
  for (let f = 1; f < frames; f++) {
    for (let s = 0; s < n; s++) {
      const k1q = w,
        k1w = -w2 * Math.sin(q);
      const k2q = w + 0.5 * h * k1w,
        k2w = -w2 * Math.sin(q + 0.5 * h * k1q);
      const k3q = w + 0.5 * h * k2w,
        k3w = -w2 * Math.sin(q + 0.5 * h * k2q);
      const k4q = w + h * k3w,
        k4w = -w2 * Math.sin(q + h * k3q);
      q += (h / 6) * (k1q + 2 * k2q + 2 * k3q + k4q);
      w += (h / 6) * (k1w + 2 * k2w + 2 * k3w + k4w);
    }
    out[2 * f] = q;
    out[2 * f + 1] = w;
  }
  return out;
}
