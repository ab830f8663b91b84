// One command line of hnn in its own worker thread (the entry is the CLI's src/cli/run-thread.ts,
// given by the caller): the caller's event loop stays free to renew the queue's lock and report
// progress while training runs, and the run can be stopped at once (terminate) without touching
// the engine. The thread's output comes back line by line, prefixed with the run's name.
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import { UserError } from '../../util/errors.ts';

export interface ThreadRun {
  /** settles when the command ends: resolves on success, rejects with its error (a UserError stays one) */
  done: Promise<void>;
  /** stops the command now (its files stay as a kill would leave them: runs resume from their checkpoint) */
  stop(): Promise<void>;
}

export function runInThread(entry: string, argv: string[], log: (line: string) => void): ThreadRun {
  const worker = new Worker(pathToFileURL(entry), { workerData: { argv }, stdout: true, stderr: true });
  for (const stream of [worker.stdout, worker.stderr]) createInterface({ input: stream }).on('line', log);
  let stopped = false;
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { ok: boolean; error?: Record<string, string | undefined> }) => {
      settled = true;
      // the command is over: what it may have left running in the thread (pools, timers) goes with it
      void worker.terminate();
      if (m.ok) resolve();
      else reject(rebuild(m.error!));
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(stopped ? 'stopped' : `the thread running hnn ${argv[0]} ended with code ${code} before it reported`));
    });
  });
  return {
    done,
    async stop() {
      stopped = true;
      await worker.terminate();
    },
  };
}

/** The thread's error as the main thread would have thrown it (a UserError stays one line). */
function rebuild(e: Record<string, string | undefined>): Error {
  if (e.name === 'UserError') return new UserError(e.message ?? 'error in a thread');
  const err = Object.assign(new Error(e.message), { code: e.code, syscall: e.syscall, path: e.path });
  err.stack = e.stack;
  return err;
}
