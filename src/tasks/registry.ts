// Every task the project knows, in one list. A system's file under src/systems/ holds its physics
// and its drawing; its task records live in ./builtin/, one module per system family, and this list
// names them. Adding a system is its system file, its task module, and its tasks' entries here.
import { UserError } from '../util/errors.ts';
import { didYouMean } from '../util/options.ts';
import { dampedSpringGridTask, dampedSpringTask, pixelSpringTask, springTask } from './builtin/spring.ts';
import {
  dampedPendulumTask,
  pendulumTask,
  pixelDampedPendulumTask,
  pixelPendulumTask,
  realPendulumMidpointTask,
  realPendulumTask,
} from './builtin/pendulum.ts';
import { pixelTwoBodyTask, twoBodyTask } from './builtin/two-body.ts';
import { threeBodyTask } from './builtin/three-body.ts';
import { doublePendulumTask, pixelDoublePendulumTask } from './builtin/double-pendulum.ts';
import { cartPendulumTask, pixelCartPendulumTask } from './builtin/cart-pendulum.ts';
import type { PixelTask, StateTask, Suite, Task } from './task.ts';

/** The built-in tasks, in the order `hnn tasks` lists them. */
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
  dampedSpringGridTask,
  realPendulumMidpointTask,
  pixelDampedPendulumTask,
  cartPendulumTask,
  pixelCartPendulumTask,
];

/** The built-in tasks' names. */
export const TASK_NAMES: readonly string[] = TASKS.map((t) => t.name);

/** Tasks of users' system files (`--system FILE`), added by registerTasks for this process. */
const USER_TASKS: Task[] = [];

/**
 * Makes tasks known by name to every command and pipeline of this process (a user's system file:
 * src/tasks/system-file.ts). A name a built-in task already has is refused; registering the same
 * task record again is a no-op, another record under a registered name replaces it.
 */
export function registerTasks(tasks: readonly Task[]): void {
  for (const t of tasks) {
    if (TASKS.some((b) => b.name === t.name))
      throw new UserError(`task name "${t.name}" is a built-in task's; give your system another name`);
    const at = USER_TASKS.findIndex((u) => u.name === t.name);
    if (at >= 0) USER_TASKS[at] = t;
    else USER_TASKS.push(t);
  }
}

/** Every task known now: the built-in ones, then those registered from system files. */
export function allTasks(): readonly Task[] {
  return [...TASKS, ...USER_TASKS];
}

/** The tasks of a table (`hnn reproduce`'s default is 'paper'). */
export function suiteTasks(suite: Suite): Task[] {
  return TASKS.filter((t) => t.suites.includes(suite));
}

/** The state tasks known now (built-in and registered). */
export function stateTasks(): StateTask[] {
  return allTasks().filter((t): t is StateTask => t.kind === 'state');
}

/** The pixel tasks known now (built-in and registered). */
export function pixelTasks(): PixelTask[] {
  return allTasks().filter((t): t is PixelTask => t.kind === 'pixel');
}

/** A task by name; an unknown name is a UserError listing the valid ones. */
export function getTask(name: string): Task {
  const task = allTasks().find((t) => t.name === name);
  if (!task) {
    const names = allTasks().map((t) => t.name);
    throw new UserError(
      `unknown task "${name}"${didYouMean(name, names)}; choose one of ${names.join(', ')}, or load your own with --system FILE`,
    );
  }
  return task;
}

/** A state task by name; a pixel task's name or an unknown one is a UserError. */
export function getStateTask(name: string): StateTask {
  return getTaskOfKind(name, 'state', stateTasks);
}

/** A pixel task by name; a state task's name or an unknown one is a UserError. */
export function getPixelTask(name: string): PixelTask {
  return getTaskOfKind(name, 'pixel', pixelTasks);
}

/** A task of one kind by name; a task of the other kind is a UserError listing `ofKind`'s names. */
function getTaskOfKind<K extends Task['kind']>(name: string, kind: K, ofKind: () => Task[]): Extract<Task, { kind: K }> {
  const task = getTask(name);
  if (task.kind !== kind)
    throw new UserError(
      `task "${name}" is a ${task.kind} task; choose one of ${ofKind()
        .map((t) => t.name)
        .join(', ')}`,
    );
  return task as Extract<Task, { kind: K }>;
}
