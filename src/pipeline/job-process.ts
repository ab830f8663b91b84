// A job process's whole life (./workers.ts): receive one job of ./jobs.ts, run it with its own
// TensorFlow.js backend and ONNX Runtime, and report the result, or the error in a form the parent can
// turn back into a one-line message. It leaves when its parent goes (no run trains on without it).
import { errorRecord, sendToParent, type ErrorRecord } from '../util/child-errors.ts';
import { JOBS, type JobName } from './jobs.ts';

interface JobMessage {
  name: JobName;
  args: [never];
  systemFile?: string;
}

type Report = { ok: true; result: unknown } | { ok: false; error: ErrorRecord };

const report = (r: Report) => sendToParent(r);

async function run({ name, args, systemFile }: JobMessage): Promise<void> {
  try {
    // a user's tasks are known by name in this process too
    if (systemFile) await (await import('../tasks/system-file.ts')).registerSystemFile(systemFile);
    await report({ ok: true, result: await JOBS[name](...args) });
  } catch (e) {
    await report({ ok: false, error: errorRecord(e) });
  }
  process.exit(0);
}

process.once('disconnect', () => process.exit(1));
process.once('message', (m: JobMessage) => void run(m));
