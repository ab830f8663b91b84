// The task of a dataset folder: for an imported dataset, the record its manifest describes
// (src/tasks/imported.ts); for a generated one, the registry's task of its kind.
import { existsSync } from 'node:fs';
import { UserError } from '../src/util/errors.ts';
import { parseExpression } from '../src/util/expression.ts';
import { getTask } from '../src/tasks/registry.ts';
import { importedPixelTask, importedStateTask, isImportTaskName, PIXEL_IMPORT, STATE_IMPORT } from '../src/tasks/imported.ts';
import type { PixelTask, StateTask, Task } from '../src/tasks/task.ts';
import { readManifest, type DatasetManifest } from './format.ts';

/** What an imported state dataset's manifest records of its energy. */
export interface ImportedEnergy {
  expression: string;
  /** The names the expression may use for each state coordinate, in state order. */
  variables: string[][];
}

/** The energy function of a recorded expression: x (state order) -> value. */
export function energyFunction(e: ImportedEnergy): (x: Float64Array) => number {
  const expr = parseExpression(e.expression, e.variables.flat());
  return (x) => {
    const values: Record<string, number> = {};
    e.variables.forEach((names, i) => names.forEach((n) => (values[n] = x[i])));
    return expr.evaluate(values);
  };
}

function param<T>(m: DatasetManifest, key: string): T {
  const v = m.params[key];
  if (v === undefined) throw new UserError(`this ${m.kind} manifest lacks params.${key}; import the data again`);
  return v as T;
}

/** The task of an imported dataset's manifest, or null when the dataset is not imported. */
export function importedTaskOf(m: DatasetManifest): Task | null {
  if (!isImportTaskName(m.kind)) return null;
  if (m.kind === STATE_IMPORT) {
    const energy = m.params.energy as ImportedEnergy | null | undefined;
    return importedStateTask({
      coordinates: param<string[]>(m, 'coordinates'),
      ...(energy ? { energy: energyFunction(energy), energyText: energy.expression } : {}),
    });
  }
  if (m.kind !== PIXEL_IMPORT) throw new Error(`unhandled import kind ${m.kind}`);
  return importedPixelTask({
    dof: param<number>(m, 'dof'),
    trials: param<number>(m, 'trials'),
    frames: param<number>(m, 'frames'),
    size: param<number>(m, 'size'),
    frameDt: param<number>(m, 'frameDt'),
  });
}

/** The task of a dataset manifest: imported, or the registry's. */
export function taskOfManifest(m: DatasetManifest): Task {
  return importedTaskOf(m) ?? getTask(m.kind);
}

/** The task of the dataset folder `dir` (for `hnn train --data DIR` without --task). */
export function taskOfDataset(dir: string): Task {
  if (!existsSync(dir)) throw new UserError(`dataset folder not found: ${dir}; create it with \`hnn generate\` or \`hnn import\``);
  return taskOfManifest(readManifest(dir));
}

/**
 * The task of a run: `name` from the registry, or (for the import tasks, which have no fixed shape)
 * the one its dataset describes, which must then be given and be of that kind.
 */
export function resolveRunTask(name: string, dataDir?: string): Task {
  if (!isImportTaskName(name)) return getTask(name);
  if (!dataDir) throw new UserError(`the ${name} task trains on an imported dataset: pass --data DIR (made by \`hnn import\`)`);
  const task = taskOfDataset(dataDir);
  if (task.name !== name) throw new UserError(`dataset ${dataDir} holds task "${task.name}", not "${name}"; pass a ${name} dataset`);
  return task;
}

export function asStateTask(t: Task): StateTask {
  if (t.kind !== 'state') throw new UserError(`task "${t.name}" is a pixel task, where a state task is needed`);
  return t;
}

export function asPixelTask(t: Task): PixelTask {
  if (t.kind !== 'pixel') throw new UserError(`task "${t.name}" is a state task, where a pixel task is needed`);
  return t;
}
