// The tasks of imported data (`hnn import states`, `hnn import video`): ordinary task records, built
// from what a dataset's manifest says (its coordinates, frames, frame interval) rather than listed in
// the registry, since each import has its own shape. They train with the paper's protocols; there is
// no true field to simulate and no scene to render, so their systems refuse both, and their energy
// is known only where the user gave an expression.
import { buildSystem, type System } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import { PAPER_STATE_QUICK, pixelTaskDefaults, STATE_TRAIN_DEFAULTS } from './defaults.ts';
import type { PixelTask, StateTask, Task } from './task.ts';

export const STATE_IMPORT = 'state-import';
export const PIXEL_IMPORT = 'pixel-import';
/** The tasks of imported datasets, which `hnn train` takes with --data. */
export const IMPORT_TASK_NAMES = [STATE_IMPORT, PIXEL_IMPORT] as const;

export function isImportTaskName(name: string): boolean {
  return (IMPORT_TASK_NAMES as readonly string[]).includes(name);
}

/** True for a task built from an imported dataset. */
export function isImportedTask(task: Task): boolean {
  return task.kind === 'state' ? task.data.source === 'imported' : task.imported === true;
}

/** The system of imported data: named coordinates, H only when the user gave one, no field. */
function importedSystem(coordinates: readonly string[], energy?: (x: Float64Array) => number, description?: string): System {
  return buildSystem({
    name: 'imported',
    description: description ?? 'imported data (no known Hamiltonian)',
    coordinates,
    hamiltonian: (x) => {
      if (!energy) throw new UserError('this imported dataset has no energy expression; import it again with --energy "..."');
      return energy(x);
    },
    gradient: () => {
      throw new Error('an imported system has no known field: its data come from a file, not a simulation');
    },
  });
}

export interface ImportedStateSpec {
  /** Names of the positions (the momenta follow them in the state). */
  coordinates: readonly string[];
  /** The user's energy of a state, where given (`--energy`). */
  energy?: (x: Float64Array) => number;
  /** Its text, for descriptions. */
  energyText?: string;
}

/** The task of an imported state dataset: the paper's state protocol (task 1) on the user's data. */
export function importedStateTask(spec: ImportedStateSpec): StateTask {
  const description = spec.energyText ? `imported data, energy ${spec.energyText}` : 'imported data (no known Hamiltonian)';
  return {
    kind: 'state',
    name: STATE_IMPORT,
    suites: [],
    description: 'trajectories imported with `hnn import states`',
    system: importedSystem(spec.coordinates, spec.energy, description),
    data: { source: 'imported' },
    train: STATE_TRAIN_DEFAULTS,
    // scipy's default tolerances, as the measured real pendulum's rollouts
    energy: { rtol: 1e-3, atol: 1e-6 },
    quick: PAPER_STATE_QUICK,
  };
}

export interface ImportedPixelSpec {
  /** Degrees of freedom the latent space gets (2 per degree). */
  dof: number;
  trials: number;
  frames: number;
  size: number;
  frameDt: number;
}

/** The task of an imported pixel dataset: the project's default pixel protocol on the user's frames. */
export function importedPixelTask(spec: ImportedPixelSpec): PixelTask {
  const coordinates = Array.from({ length: spec.dof }, (_, i) => (spec.dof === 1 ? 'q' : `q${i + 1}`));
  return {
    kind: 'pixel',
    name: PIXEL_IMPORT,
    suites: [],
    description: 'frames imported with `hnn import video`',
    system: importedSystem(coordinates),
    data: {
      trials: spec.trials,
      frames: spec.frames,
      size: spec.size,
      frameDt: spec.frameDt,
      substeps: 0,
      testFraction: pixelTaskDefaults.data.testFraction,
      sample: () => {
        throw new UserError('an imported pixel task has no initial states to draw; import frames with `hnn import video`');
      },
      sampling: { source: 'imported frames' },
      samples: 1,
    },
    train: pixelTaskDefaults.train,
    // a rollout shows trial frames 1..R: at most the trial's frames less one
    evaluation: {
      ...pixelTaskDefaults.evaluation,
      rolloutFrames: Math.min(pixelTaskDefaults.evaluation.rolloutFrames, spec.frames - 1),
      periodCoordinate: null,
    },
    quick: pixelTaskDefaults.quick,
    imported: true,
  };
}
