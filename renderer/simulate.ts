// The exact simulation source of pixel datasets: a system's exact field integrated with classical
// RK4 at many substeps per frame, accurate far beyond float32 pixels (the pendulum's energy drifts
// ~1e-10 over a trial). Self-contained on purpose: the frames must not depend on the adaptive
// integrators' step choices, and must stay byte-identical for a seed.
import type { System } from '../src/systems/system.ts';

export interface SimulateOptions {
  /** Time between frames. */
  dt: number;
  /** RK4 substeps per frame (64 for the pendulum: step 7.8e-4, local error ~1e-15). */
  substeps: number;
}

/**
 * The states at frames 0..frames-1 from x0 (frame 0 = x0), row-major [frames, dim].
 * Allocation-free inside the loop: datasets call it for every trial.
 */
export function simulateFrames(system: System, x0: ArrayLike<number>, frames: number, o: SimulateOptions): Float64Array {
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`frames must be a positive integer, got ${frames}`);
  const dim = system.dim;
  const f = system.fieldInto;
  const h = o.dt / o.substeps;
  const x = Float64Array.from(x0);
  const tmp = new Float64Array(dim);
  const k1 = new Float64Array(dim);
  const k2 = new Float64Array(dim);
  const k3 = new Float64Array(dim);
  const k4 = new Float64Array(dim);
  const out = new Float64Array(frames * dim);
  out.set(x);
  for (let frame = 1; frame < frames; frame++) {
    for (let s = 0; s < o.substeps; s++) {
      f(0, x, k1);
      for (let i = 0; i < dim; i++) tmp[i] = x[i] + 0.5 * h * k1[i];
      f(0, tmp, k2);
      for (let i = 0; i < dim; i++) tmp[i] = x[i] + 0.5 * h * k2[i];
      f(0, tmp, k3);
      for (let i = 0; i < dim; i++) tmp[i] = x[i] + h * k3[i];
      f(0, tmp, k4);
      for (let i = 0; i < dim; i++) x[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    out.set(x, frame * dim);
  }
  return out;
}
