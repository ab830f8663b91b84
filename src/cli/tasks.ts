// `hnn tasks [--system FILE]`: one line per task (name, kind, description), then the import tasks.
import type { Command } from 'commander';
import { TASKS } from '../tasks/registry.ts';
import { systemOption, useSystemFile } from './system.ts';

const IMPORT_TASK_LINES = [
  ['state-import', 'state', 'your trajectories: `hnn import states FILE --out DIR`, then `hnn train --data DIR` (docs/IMPORT.md)'],
  ['pixel-import', 'pixel', 'your video: `hnn import video FILE --out DIR`, then `hnn train --data DIR` (docs/IMPORT.md)'],
] as const;

export function registerTasks(program: Command): void {
  program
    .command('tasks')
    .description('list the tasks (systems and their experiments)')
    .addOption(systemOption())
    .action(async (o: { system?: string }) => {
      const fromFile = await useSystemFile(o.system);
      for (const t of [...TASKS, ...fromFile]) console.log(`${t.name.padEnd(18)} ${t.kind.padEnd(5)}  ${t.description}`);
      for (const [name, kind, what] of IMPORT_TASK_LINES) console.log(`${name.padEnd(18)} ${kind.padEnd(5)}  ${what}`);
    });
}
