// A user's system file, for `--system FILE` on the command line (and for any command that takes
// tasks, e.g. a sweep: loadSystemFile returns the tasks, registerSystemFile also makes them known by
// name). Two kinds of file:
//
//   .json / .yaml / .yml: one system as data (validated by systemFileSchema; see docs/YOUR-SYSTEM.md):
//       name, description, q, p, H (an expression), params, friction, sampler (ranges, energy band),
//       state (defineStateTask's options), pixel (definePixelTask's options, or false for none)
//     gives the state task <name> and the pixel task pixel-<name> (drawn by the default scene);
//   .js / .mjs: a compiled ES module; every export that is a task (defineStateTask /
//     definePixelTask) is taken as it is, and every export that is a System (defineSystem) gives
//     the state task <name> (energy states from its sampler) and, where the default scene can
//     draw it, the pixel task pixel-<name>.
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { defineSystem, samplerSchema } from '../systems/define.ts';
import { layoutProblem, defaultLayout } from '../systems/default-scene.ts';
import type { System } from '../systems/system.ts';
import { UserError } from '../util/errors.ts';
import { parseOptions } from '../util/options.ts';
import { definePixelTask, defineStateTask } from './define.ts';
import { registerTasks } from './registry.ts';
import { pixelTaskOptionsSchema, stateTaskOptionsSchema } from './schema.ts';
import type { Task } from './task.ts';

/** The data form of a system file (.json / .yaml). */
export const systemFileSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  q: z.array(z.string()).min(1),
  p: z.array(z.string()).min(1).optional(),
  H: z.string().min(1),
  params: z.record(z.string(), z.number()).optional(),
  friction: z.number().min(0).max(100).optional(),
  sampler: samplerSchema,
  /** defineStateTask's options; energy.states defaults to 'sampler' here (the file's own states). */
  state: stateTaskOptionsSchema.omit({ name: true }).optional(),
  /** definePixelTask's options, or false for no pixel task. */
  pixel: z.union([pixelTaskOptionsSchema.omit({ name: true }), z.literal(false)]).optional(),
});

/** A system file's contents (the schema above). */
export type SystemFile = z.input<typeof systemFileSchema>;

/** The tasks of a system file's data: the state task, and the pixel task unless `pixel: false`. */
export function tasksOfSystemData(data: unknown, where: string): Task[] {
  const f = parseOptions(systemFileSchema, data, where);
  const system = defineSystem({
    name: f.name,
    description: f.description,
    q: f.q,
    p: f.p,
    H: f.H,
    params: f.params,
    friction: f.friction,
    sampler: f.sampler,
  });
  const state = defineStateTask(system, { ...f.state, energy: { states: 'sampler', ...f.state?.energy } });
  if (f.pixel === false) return [state];
  return [state, definePixelTask(system, f.pixel ?? {})];
}

function isTask(v: unknown): v is Task {
  return !!v && typeof v === 'object' && ((v as Task).kind === 'state' || (v as Task).kind === 'pixel') && 'system' in v && 'train' in v;
}

function isSystem(v: unknown): v is System {
  return !!v && typeof v === 'object' && typeof (v as System).field === 'function' && typeof (v as System).dim === 'number';
}

/** The tasks a module's exports give (see the header). */
function tasksOfModule(mod: Record<string, unknown>, path: string): Task[] {
  const tasks: Task[] = Object.values(mod).filter(isTask);
  for (const s of Object.values(mod).filter(isSystem)) {
    if (tasks.some((t) => t.system.name === s.name)) continue;
    tasks.push(defineStateTask(s, { energy: { states: 'sampler' } }));
    if ((s.scene && s.view) || layoutProblem(defaultLayout(s.dof), s.dof) === null) tasks.push(definePixelTask(s));
  }
  if (tasks.length === 0)
    throw new UserError(`${path} exports no system or task; export the result of defineSystem, defineStateTask or definePixelTask`);
  const names = tasks.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UserError(`${path} gives two tasks named "${twice}"; give one of them another name`);
  return tasks;
}

/** Reads a system file (see the header) and returns its tasks. Any problem is a UserError naming the file. */
export async function loadSystemFile(file: string): Promise<Task[]> {
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  if (ext === '.js' || ext === '.mjs') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${path}: ${e.message}`);
      throw new UserError(`cannot load ${path}: ${(e as Error).message}; it must be a compiled ES module (tsc it first)`);
    }
    return tasksOfModule(mod, path);
  }
  if (!['.json', '.yaml', '.yml'].includes(ext))
    throw new UserError(`system file ${path}: give a .json, .yaml, .yml, .js or .mjs file (a .ts file: compile it with tsc first)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read system file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path`);
  }
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UserError(`system file ${path} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  return tasksOfSystemData(data, `system file ${path}`);
}

/** Loads a system file and registers its tasks (getTask finds them by name); returns them. */
export async function registerSystemFile(file: string): Promise<Task[]> {
  const tasks = await loadSystemFile(file);
  registerTasks(tasks);
  return tasks;
}
