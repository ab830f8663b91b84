// The energy evaluation's settings for a state task: its initial states (drawn from the task's
// sampler with their own seed, apart from the dataset's), time span, points and tolerances.
import { Rng } from '../src/util/rng.ts';
import type { System } from '../src/systems/system.ts';
import type { SimulatedEnergyEval, StateTask } from '../src/tasks/task.ts';
import { buildMeasured, linspace, stateTaskOf, type TaskRef } from './state.ts';

/** Everything the energy metric of a state task needs: the system, the times, the tolerances and the initial states. */
export interface EnergyEvalSettings {
  task: string;
  /** the system whose energy is compared (and whose field makes the truth, when simulated) */
  system: System;
  /** the seed the initial states were drawn from */
  seed: number;
  t0: number;
  t1: number;
  points: number;
  rtol: number;
  atol: number;
  /** output times: evenly spaced on [t0, t1], or the measured test time stamps */
  tEval: Float64Array;
  /** the energy compared along true and predicted trajectories */
  energy: (x: Float64Array) => number;
  initialStates: Float64Array[];
  /** measured tasks only: the measured states at tEval, row-major [points, dim] (the "true" trajectory) */
  measured?: Float64Array;
  /** simulated tasks: where the initial states come from (the task's energy.states) */
  states?: SimulatedEnergyEval['states'];
}

/**
 * Initial states for the energy metric. 'box': `count` states, each coordinate uniform in +-[0.2, 1.0)
 * (magnitude U(0.2, 1), random sign), from Rng(seed).fork("energy-eval"). 'sampler': the system's own
 * sampler run with seeds seed, seed + 1, ... (default 0..14).
 */
export function energyEvalStates(task: StateTask, spec: SimulatedEnergyEval, seed = 0): Float64Array[] {
  const { count } = spec;
  const dim = task.system.dim;
  if (spec.states === 'sampler') return Array.from({ length: count }, (_, i) => task.system.sampleInitial(new Rng(seed + i)));
  const rng = new Rng(seed).fork('energy-eval');
  return Array.from({ length: count }, () => {
    const x = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      const magnitude = rng.range(0.2, 1.0);
      x[i] = rng.uniform() < 0.5 ? -magnitude : magnitude;
    }
    return x;
  });
}

/**
 * The energy-evaluation settings of a task. For measured data: start at the first test point,
 * report at the test time stamps, and compare with the energy of the measured states (`measured`).
 * `sizes` changes the simulated protocol (fewer states, looser tolerances: `hnn train --eval`).
 */
export function energyEvalConfig(ref: TaskRef, seed = 0, sizes: Partial<SimulatedEnergyEval> = {}): EnergyEvalSettings {
  const task = stateTaskOf(ref);
  const system = task.system;
  const energy = (x: Float64Array) => system.energy(x);
  if (task.data.source === 'measured') {
    const spec = task.energy;
    const ds = buildMeasured(task, task.data, seed);
    return {
      task: task.name,
      system,
      seed,
      t0: ds.testT[0],
      t1: ds.testT[ds.testRows - 1],
      points: ds.testRows,
      rtol: spec.rtol,
      atol: spec.atol,
      tEval: ds.testT,
      energy,
      initialStates: [ds.testX.slice(0, ds.dim)],
      measured: ds.testX,
    };
  }
  const spec = { ...(task.energy as SimulatedEnergyEval), ...sizes };
  return {
    task: task.name,
    system,
    seed,
    t0: 0,
    t1: spec.t1,
    points: spec.points,
    rtol: spec.rtol,
    atol: spec.atol,
    tEval: linspace(0, spec.t1, spec.points),
    energy,
    initialStates: energyEvalStates(task, spec, seed),
    states: spec.states,
  };
}
