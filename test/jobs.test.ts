// Runs trained side by side (src/pipeline/workers.ts) get the bytes the same run gets alone: each job
// trains in its own process, where ONNX Runtime flushes denormals on the thread that runs the step;
// and a session on a thread without that mode is refused (src/engine/ort.ts).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hnn } from './helpers/cli.ts';
import { scratchFolder } from './helpers/scratch.ts';

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
