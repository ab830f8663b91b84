// The `hnn` command. Bad input ends with a one-line message and a non-zero exit, no stack trace.
import { Command, CommanderError, Option } from 'commander';
import { UserError } from '../util/errors.ts';
import { registerCommands } from './commands.ts';
import { packageVersions } from '../util/versions.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hnn')
    .description('Hamiltonian Neural Networks: datasets, training, evaluation, rollouts and the paper table')
    .showHelpAfterError('(run `hnn --help` for usage)')
    .version(packageVersions()['hnn-ts'] ?? 'unknown', '-V, --version', 'print the version')
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed its one-line message (or the help / version)
    return e.exitCode === 0 ? 0 : 2;
  }
  const cause = e instanceof Error && e.cause instanceof UserError ? e.cause : e;
  if (cause instanceof UserError) {
    process.stderr.write(`hnn: error: ${cause.message}\n`);
    return 2;
  }
  process.stderr.write(`hnn: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

export { Option };
