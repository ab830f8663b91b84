// Where the states of a pixel trial come from. 'ode', the default for every system: its exact field
// integrated with RK4 substeps (renderer/simulate.ts). A task may offer others; the pendulum offers
// 'matter', a matter-js rigid body, which is NOT energy-conserving (datasets made with it say so).
import type { PixelTask } from '../src/tasks/task.ts';
import type { System } from '../src/systems/system.ts';
import { UserError } from '../src/util/errors.ts';
import { MATTER_DESCRIPTION, simulateMatter } from './matter.ts';
import { simulateFrames } from './simulate.ts';

/** Frame timing of a dataset. */
export interface FrameTiming {
  frameDt: number;
  substeps: number;
}

export interface SimulationSource {
  /** False when the source drains energy (its datasets are never "ideal"). */
  conservative: boolean;
  description(task: PixelTask, p: FrameTiming): string;
  /** States of `system` at frames 0..frames-1 from x0, [frames, dim] row-major. */
  simulate(system: System, x0: Float64Array, frames: number, p: FrameTiming): Float64Array;
}

const exact: SimulationSource = {
  conservative: true,
  description: (task, p) => `exact field of ${task.system.description}, RK4 with ${p.substeps} substeps per frame of ${p.frameDt}`,
  simulate: (system, x0, frames, p) => simulateFrames(system, x0, frames, { dt: p.frameDt, substeps: p.substeps }),
};

/** A pendulum as a matter-js body on a distance constraint: needs the system's length and gravity. */
const matter: SimulationSource = {
  conservative: false,
  description: () => `NON-CONSERVATIVE matter-js rigid body: ${MATTER_DESCRIPTION.model}; ${MATTER_DESCRIPTION.units}`,
  simulate(system, x0, frames, p) {
    const { length, gravity } = system.params ?? {};
    if (!(length > 0 && gravity > 0) || system.dim !== 2) {
      throw new UserError(`the matter source simulates pendulums (length and gravity); ${system.name} is not one`);
    }
    return simulateMatter(x0[0], x0[1], frames, { dt: p.frameDt, w2: gravity / length }).states;
  },
};

const SOURCES: Record<string, SimulationSource> = { ode: exact, matter };

/** The sources a task can use: always 'ode', plus those its record offers. */
export function sourceNames(task: PixelTask): string[] {
  return ['ode', ...(task.data.engines ?? []).filter((e) => e in SOURCES)];
}

/** A source bound to a task. */
export interface TaskSource {
  conservative: boolean;
  description: string;
  /** States at frames 0..frames-1 from x0, of the task's system or (random parameters) another of its family. */
  simulate(x0: Float64Array, frames: number, p: FrameTiming, system?: System): Float64Array;
}

export function sourceOf(task: PixelTask, name: string, p: FrameTiming): TaskSource {
  if (!sourceNames(task).includes(name)) {
    throw new UserError(`engine must be one of ${sourceNames(task).join(', ')} for ${task.name}, got "${name}"`);
  }
  const s = SOURCES[name];
  return {
    conservative: s.conservative,
    description: s.description(task, p),
    simulate: (x0, frames, q, system = task.system) => s.simulate(system, x0, frames, q),
  };
}
