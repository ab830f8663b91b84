// The `hnn` command. Every failure ends with one line on stderr, `hnn: error: ...`, naming the
// problem and the fix, and a non-zero exit (2 for bad input, 1 for a stopped job or an internal error); never a
// stack trace for the user's mistakes.
import { Command, CommanderError } from 'commander';
import { StoppedError, UserError } from '../util/errors.ts';
import { fileSystemMessage } from '../util/fs-errors.ts';
import { registerCommands } from './commands.ts';
import { packageVersions } from '../util/versions.ts';

export async function main(argv: string[]): Promise<void> {
  guardPipes();
  const program = new Command('hnn')
    .description('Hamiltonian Neural Networks: datasets, training, evaluation, rollouts and the paper table')
    .version(packageVersions()['hnn-ts'] ?? 'unknown', '-V, --version', 'print the version')
    // commander's own messages ("error: unknown option ...") get the same prefix and stay on one line
    .configureOutput({ outputError: (str, write) => write(`hnn: ${str.trim()} (see \`hnn --help\`)\n`) })
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed its one-line message (or the help / version)
    return e.exitCode === 0 ? 0 : 2;
  }
  const cause = e instanceof Error && e.cause instanceof UserError ? e.cause : e;
  if (cause instanceof UserError || cause instanceof StoppedError) {
    process.stderr.write(`hnn: error: ${cause.message}\n`);
    return cause instanceof UserError ? 2 : 1;
  }
  const fs = fileSystemMessage(cause);
  if (fs) {
    process.stderr.write(`hnn: error: ${fs}\n`);
    return 2;
  }
  process.stderr.write(`hnn: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

/** A reader that closes our output early (`hnn ... | head`) ends the command with one line, not a crash. */
function guardPipes(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stderr.write('hnn: error: standard output was closed by its reader (EPIPE); the command stopped\n');
    process.exit(141);
  });
}
