// A worker thread's whole life: run one job of src/pipeline/jobs.ts with its own TensorFlow.js backend
// and report the result, or the error in a form the main thread can turn back into a one-line message.
import { parentPort, workerData } from 'node:worker_threads';
import { JOBS, type JobName } from '../pipeline/jobs.ts';

const { name, args, systemFile } = workerData as { name: JobName; args: [never]; systemFile?: string };
try {
  // a user's tasks are known by name in this thread too
  if (systemFile) await (await import('../tasks/system-file.ts')).registerSystemFile(systemFile);
  const result = await JOBS[name](...args);
  parentPort!.postMessage({ ok: true, result });
} catch (e) {
  const err = e as Error & { code?: string; syscall?: string; path?: string };
  parentPort!.postMessage({
    ok: false,
    error: { name: err.name, message: err.message, stack: err.stack, code: err.code, syscall: err.syscall, path: err.path },
  });
}
