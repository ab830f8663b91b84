// Simulation sources for the pendulum scene and the frames they produce: states -> rendered frames.
import { defaultGeometry, type PendulumGeometry } from './geometry.ts';
import { PendulumRasterizer } from './rasterize.ts';
import { FRAME_DT, OMEGA0_SQUARED, simulateExact } from './ode.ts';
import { MATTER_DESCRIPTION, simulateMatter } from './matter.ts';

/** 'ode': the exact ideal pendulum (default). 'matter': matter-js rigid body, NOT energy-conserving. */
export type SceneEngine = 'ode' | 'matter';
export const SCENE_ENGINES: readonly SceneEngine[] = ['ode', 'matter'];

export interface SourceInfo {
  engine: SceneEngine;
  /** True only for the exact ODE: the matter-js solver drains energy. */
  conservative: boolean;
  description: string;
}

export function sourceInfo(engine: SceneEngine): SourceInfo {
  if (engine === 'ode') {
    return {
      engine,
      conservative: true,
      description: `exact ideal pendulum phi'' = -${OMEGA0_SQUARED} sin phi, RK4 with 64 substeps per frame (energy drift < 1e-9 relative per trial)`,
    };
  }
  return {
    engine,
    conservative: false,
    description: `NON-CONSERVATIVE matter-js rigid body: ${MATTER_DESCRIPTION.model}; ${MATTER_DESCRIPTION.units}`,
  };
}

export interface Simulation {
  /** [phi_0, omega_0, phi_1, omega_1, ...], one pair per frame. */
  states: Float64Array;
  /** (E_0 - E_last) / E_0; ~1e-12 for the ODE, a few percent for matter-js. */
  relativeEnergyLoss: number;
}

/** Simulates `frames` frames (FRAME_DT apart, frame 0 = the initial state) with the chosen source. */
export function simulate(engine: SceneEngine, phi0: number, omega0: number, frames: number, dt = FRAME_DT): Simulation {
  if (engine === 'matter') return simulateMatter(phi0, omega0, frames, { dt });
  if (engine !== 'ode') throw new Error(`unknown scene engine "${engine as string}"; use ode or matter`);
  const states = simulateExact(phi0, omega0, frames, { dt });
  const e = (k: number) => 0.5 * states[2 * k + 1] ** 2 + OMEGA0_SQUARED * (1 - Math.cos(states[2 * k]));
  const e0 = e(0);
  return { states, relativeEnergyLoss: e0 > 0 ? (e0 - e(frames - 1)) / e0 : 0 };
}

/** Renders the angle of every state into consecutive N*N frames of `out` from `offset` (allocated if absent). */
export function renderStates(states: Float64Array, rasterizer: PendulumRasterizer, out?: Float32Array, offset = 0): Float32Array {
  const frames = states.length / 2;
  const dst = out ?? new Float32Array(frames * rasterizer.pixels);
  for (let f = 0; f < frames; f++) rasterizer.render(states[2 * f], dst, offset + f * rasterizer.pixels);
  return dst;
}

export interface TrialOptions {
  engine?: SceneEngine;
  size?: number;
  /** Overrides the default geometry for `size`. */
  geometry?: PendulumGeometry;
  /** Subsamples per axis on edge pixels (default 8). */
  samples?: number;
  dt?: number;
}

/**
 * The true frames of a trial from its initial state, for any number of frames: frame k is the
 * pendulum at time k * dt. Datasets record each trial's (phi0, omega0), so this re-renders the truth
 * for rollouts longer than the stored trial (bit-identical to the stored frames for the same options).
 */
export function renderTrial(
  initial: { phi: number; omega: number },
  frames: number,
  opts: TrialOptions = {},
): { frames: Float32Array; states: Float64Array; size: number; relativeEnergyLoss: number } {
  const geometry = opts.geometry ?? defaultGeometry(opts.size ?? 28);
  const sim = simulate(opts.engine ?? 'ode', initial.phi, initial.omega, frames, opts.dt ?? FRAME_DT);
  const raster = new PendulumRasterizer(geometry, { samples: opts.samples });
  return { frames: renderStates(sim.states, raster), states: sim.states, size: geometry.size, relativeEnergyLoss: sim.relativeEnergyLoss };
}
