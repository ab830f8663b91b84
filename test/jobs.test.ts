// Runs trained side by side (src/pipeline/workers.ts) get the bytes the same run gets alone: each job
// trains in its own process, where ONNX Runtime flushes denormals on the thread that runs the step;
// a session on a thread without that mode is refused (src/engine/ort.ts); and a job whose process
// is killed ends the command with one line naming its run.
import { describe, expect, it } from 'vitest';
import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, hnn } from './helpers/cli.ts';
import { scratchFolder } from './helpers/scratch.ts';
import { childReport, sendToChild } from '../src/util/child-errors.ts';

const DIST = join(import.meta.dirname, '..', 'dist', 'src', 'engine');

describe('jobs side by side', () => {
  const root = scratchFolder('hnn-jobs-');

  it('hnn reproduce --jobs 2 trains each run into the bytes hnn train gives it alone', () => {
    const out = join(root, 'table');
    const common = ['--steps', '60', '--quick'];
    const table = hnn([
      'reproduce',
      '--dissipative',
      '--tasks',
      'damped-spring',
      '--models',
      'dhnn',
      '--seeds',
      '2',
      '--jobs',
      '2',
      '--out',
      out,
      ...common,
    ]);
    expect(table.code, table.stderr).toBe(0);
    const alone = join(root, 'alone');
    const train = hnn([
      'train',
      '--task',
      'damped-spring',
      '--model',
      'dhnn',
      '--seed',
      '1',
      '--threads',
      '1',
      '--out',
      alone,
      '--quiet',
      ...common,
    ]);
    expect(train.code, train.stderr).toBe(0);
    // seed 1 is the second job: with jobs as worker threads, it trained without the flush
    const weights = (dir: string) => readFileSync(join(dir, 'model', 'weights.bin'));
    expect(weights(join(out, 'damped-spring', 'seed1', 'dhnn')).equals(weights(alone))).toBe(true);
  });

  // Linux: the job processes are found as the command's children in /proc
  it.runIf(process.platform === 'linux')(
    'a job whose process is killed ends the command with one line naming the run, after the other job finished',
    async () => {
      const out = join(root, 'killed');
      const args = ['reproduce', '--dissipative', '--tasks', 'damped-spring', '--models', 'dhnn', '--seeds', '2', '--jobs', '2'];
      const child = spawn(process.execPath, [BIN, ...args, '--steps', '60', '--quick', '--quiet', '--out', out], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const jobs = () => {
        const listed = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        return listed ? listed.split(' ').map(Number) : [];
      };
      // bounded: 60 s of polling for the two job processes, then kill the later one (seed 1)
      let pids: number[] = [];
      for (let i = 0; i < 1200 && pids.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pids = jobs();
      }
      expect(pids).toHaveLength(2);
      process.kill(Math.max(...pids), 'SIGKILL');
      expect(await exited).toBe(1);
      expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
      expect(stderr).toMatch(
        /^hnn: error: the process training damped-spring dhnn seed 1 was stopped \(SIGKILL\) before it finished \(the system may have run out of memory: try fewer --jobs\); run the command again: it reuses the runs that finished\n$/,
      );
      // the job already running was let finish
      expect(existsSync(join(out, 'damped-spring', 'seed0', 'dhnn', 'metrics.json'))).toBe(true);
      expect(existsSync(join(out, 'damped-spring', 'seed1', 'dhnn', 'metrics.json'))).toBe(false);
    },
    120_000,
  );

  it("a child that cannot read its job (its channel gone) is ended and reported as stopped, not as the parent's write error", async () => {
    // the child closes its channel at once and would otherwise wait for a job forever
    const script = join(root, 'deaf.mjs');
    writeFileSync(script, 'process.disconnect(); setInterval(() => {}, 1000);');
    const child = fork(script, [], { stdio: 'ignore' });
    const report = childReport<never>(child, 'x', (code, signal) => new Error(`ended without a report (${signal ?? code})`));
    await new Promise((resolve) => child.once('disconnect', resolve));
    sendToChild(child, { job: 1 });
    await expect(report).rejects.toThrow(/^ended without a report \(SIGTERM\)$/);
  });

  it('refuses a session on a thread where ONNX Runtime does not flush denormals', () => {
    // the first worker thread makes the process's first session (the mode is set there); the
    // second, created by a main thread that never had it, computes without it
    const script = join(root, 'threads.mjs');
    const job = `
      const { OnnxGraph } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'onnx-graph.js')).href)});
      const { runGraphOnce } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'ort.js')).href)});
      const g = new OnnxGraph(); const a = g.input('a', [1]); g.output('y', g.node('Mul', [a, a], [1]));
      const { parentPort } = await import('node:worker_threads');
      try { const y = await runGraphOnce(g.toModel('t'), { a: { data: Float32Array.of(1e-20), shape: [1] } }); parentPort.postMessage('ran: ' + y.y[0]); }
      catch (e) { parentPort.postMessage('refused: ' + e.message); }`;
    writeFileSync(
      script,
      `import { Worker } from 'node:worker_threads';
       const run = () => new Promise((resolve) => new Worker(${JSON.stringify(job)}, { eval: true }).once('message', resolve));
       console.log(JSON.stringify([await run(), await run()]));`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const [first, second] = JSON.parse(r.stdout) as string[];
    expect(first).toBe('ran: 0'); // 1e-40 flushed
    expect(second).toMatch(/^refused: ONNX Runtime does not flush denormals on this thread.*its own process/);
  });
});
