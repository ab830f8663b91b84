// A child process's whole life in a sweep: run one command line of hnn (`train` or `generate`, built
// by src/pipeline/sweep/plan.ts from checked options) through the CLI's own command definitions, and
// report success, or the error as the parent can turn it back into one line. It leaves when its
// parent goes (a killed worker leaves no run training behind it).
import { Command } from 'commander';
import { errorRecord, sendToParent, type ErrorRecord } from '../util/child-errors.ts';
import { registerCommands } from './commands.ts';

const ALLOWED = new Set(['train', 'generate']);

type Report = { ok: true } | { ok: false; error: ErrorRecord };

const report = (r: Report) => sendToParent(r);

async function run(argv: string[]): Promise<void> {
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
    await report({ ok: true });
  } catch (e) {
    await report({ ok: false, error: errorRecord(e) });
  }
  process.exit(0);
}

if (!process.send) throw new Error('run-thread is started by a sweep worker (with an IPC channel)');
process.on('disconnect', () => process.exit(1));
process.once('message', (m: { argv: string[] }) => void run(m.argv));
