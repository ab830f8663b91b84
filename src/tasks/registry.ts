// Every task the project knows, in one list. Adding a system is one new file under src/systems/
// (its definition and its task records) plus one line here that lists its tasks.
import { UserError } from '../util/errors.ts';
import { dampedSpringTask, pixelSpringTask, springTask } from '../systems/spring.ts';
import {
  dampedPendulumTask,
  pendulumTask,
  pixelDampedPendulumTask,
  pixelPendulumTask,
  realPendulumMidpointTask,
  realPendulumTask,
} from '../systems/pendulum.ts';
import { pixelTwoBodyTask, twoBodyTask } from '../systems/two-body.ts';
import { threeBodyTask } from '../systems/three-body.ts';
import { doublePendulumTask, pixelDoublePendulumTask } from '../systems/double-pendulum.ts';
import type { PixelTask, StateTask, Suite, Task } from './task.ts';

export const TASKS: readonly Task[] = [
  springTask,
  pendulumTask,
  dampedPendulumTask,
  realPendulumTask,
  twoBodyTask,
  threeBodyTask,
  pixelPendulumTask,
  pixelSpringTask,
  pixelTwoBodyTask,
  doublePendulumTask,
  pixelDoublePendulumTask,
  dampedSpringTask,
  realPendulumMidpointTask,
  pixelDampedPendulumTask,
];

export const TASK_NAMES: readonly string[] = TASKS.map((t) => t.name);

/** The tasks of a table (`hnn reproduce`'s default is 'paper'). */
export function suiteTasks(suite: Suite): Task[] {
  return TASKS.filter((t) => t.suites.includes(suite));
}

export function stateTasks(): StateTask[] {
  return TASKS.filter((t): t is StateTask => t.kind === 'state');
}

export function pixelTasks(): PixelTask[] {
  return TASKS.filter((t): t is PixelTask => t.kind === 'pixel');
}

/** A task by name; an unknown name is a UserError listing the valid ones. */
export function getTask(name: string): Task {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new UserError(`unknown task "${name}"; choose one of ${TASK_NAMES.join(', ')}`);
  return task;
}

export function getStateTask(name: string): StateTask {
  const task = getTask(name);
  if (task.kind !== 'state')
    throw new UserError(
      `task "${name}" is a pixel task; choose one of ${stateTasks()
        .map((t) => t.name)
        .join(', ')}`,
    );
  return task;
}

export function getPixelTask(name: string): PixelTask {
  const task = getTask(name);
  if (task.kind !== 'pixel')
    throw new UserError(
      `task "${name}" is a state task; choose one of ${pixelTasks()
        .map((t) => t.name)
        .join(', ')}`,
    );
  return task;
}
