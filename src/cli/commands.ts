// The subcommands of `hnn`, one module each, registered in the order `hnn --help` lists them. Only
// modules without tensors load here (the registry, the option names): `hnn --help` must answer fast,
// and every pipeline loads in its command's action.
import type { Command } from 'commander';
import { registerBench } from './bench.ts';
import { registerExport } from './export.ts';
import { registerGenerate } from './generate.ts';
import { registerImport } from './import.ts';
import { registerInit } from './init.ts';
import { registerReproduce } from './reproduce.ts';
import { registerRollout } from './rollout.ts';
import { registerServe } from './serve.ts';
import { registerStart } from './start.ts';
import { registerSweepCommands } from './sweep.ts';
import { registerTasks } from './tasks.ts';
import { registerTrain } from './train.ts';
import { registerWeb } from './web.ts';
import { registerWorkerCommand } from './worker.ts';

export function registerCommands(program: Command): void {
  registerInit(program);
  registerExport(program);
  registerSweepCommands(program);
  registerWorkerCommand(program);
  registerTasks(program);
  registerImport(program);
  registerGenerate(program);
  registerTrain(program);
  registerReproduce(program);
  registerRollout(program);
  registerStart(program);
  registerBench(program);
  registerWeb(program);
  registerServe(program);
}
