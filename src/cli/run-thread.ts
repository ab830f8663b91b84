// A worker thread's whole life in a sweep: run one command line of hnn (`train` or `generate`,
// built by src/pipeline/sweep/plan.ts from checked options) through the CLI's own command
// definitions, and report success, or the error as the main thread can turn it back into one line.
import { parentPort, workerData } from 'node:worker_threads';
import { Command } from 'commander';
import { registerCommands } from './commands.ts';

const { argv } = workerData as { argv: string[] };
const ALLOWED = new Set(['train', 'generate']);
try {
  if (!ALLOWED.has(argv[0])) throw new Error(`a sweep runs only hnn train and hnn generate, not ${String(argv[0])}`);
  let commanderMessage = '';
  const program = new Command('hnn')
    .exitOverride()
    .configureOutput({ writeErr: (s) => (commanderMessage += s), outputError: (s) => (commanderMessage += s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (commanderMessage) throw Object.assign(new Error(commanderMessage.trim()), { name: 'UserError' });
    throw e;
  }
  parentPort!.postMessage({ ok: true });
} catch (e) {
  const err = e as Error & { code?: string; syscall?: string; path?: string };
  parentPort!.postMessage({
    ok: false,
    error: { name: err.name, message: err.message, stack: err.stack, code: err.code, syscall: err.syscall, path: err.path },
  });
}
