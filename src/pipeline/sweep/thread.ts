// One command line of hnn in its own child process (the entry is the CLI's src/cli/run-thread.ts,
// given by the caller): the caller's event loop stays free to renew the queue's lock and report
// progress while training runs, and the run can be stopped at once (SIGKILL, as a kill would stop it;
// its files stay resumable) without touching the engine, whose native threads a stopped worker thread
// could take down with the whole process. The child's output comes back line by line. Its garbage
// collector runs on its own thread: a queued run is one core's job (`--concurrency` runs per machine,
// each at its `threads`), and V8's parallel collector would take part of a neighbour's core
// (docs/SWEEPS.md, "Measured").
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { childReport, sendToChild } from '../../util/child-errors.ts';

export interface ThreadRun {
  /** the child's process id (the owner recorded in the lock files it takes) */
  pid: number;
  /** settles when the command ends: resolves on success, rejects with its error (a UserError stays one) */
  done: Promise<void>;
  /** stops the command now (its files stay as a kill would leave them: runs resume from their checkpoint) */
  stop(): Promise<void>;
}

export function runInThread(entry: string, argv: string[], log: (line: string) => void): ThreadRun {
  const child = fork(entry, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [...process.execArgv, '--single-threaded-gc'] });
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', log);
  sendToChild(child, { argv });
  let stopped = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const done = childReport<void>(
    child,
    'error in a run',
    (code, signal) =>
      new Error(stopped ? 'stopped' : `the process running hnn ${argv[0]} ended (${signal ?? `code ${code}`}) before it reported`),
  );
  return {
    pid: child.pid!,
    done,
    async stop() {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
