// Problem 2 of the reliability issue: nothing hangs. A NaN reaching the RK45 solver used to loop
// forever (a NaN step size never fails the minimum-step check); one NaN in a dataset, a dataset
// without training rows, or a loss weight of 1e39 led there. Each must now end within 10 s with
// one line, and the solvers must fail fast on non-finite values and honour their step limits.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { solveIvp } from '../src/integrate/rk45.ts';
import { integrateFixed as rk4 } from '../src/integrate/rk4.ts';
import { editArray } from './helpers/datasets.ts';
import { BIN, expectOneLineError, hnn } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-hang-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const train = (data: string, out: string, ...more: string[]) =>
  hnn([
    'train',
    '--task',
    'spring',
    '--model',
    'hnn',
    '--steps',
    '20',
    '--data',
    data,
    '--out',
    join(root, out),
    '--quiet',
    '--backend',
    'cpu',
    ...more,
  ]);

describe('the solvers fail fast', () => {
  it('RK45 refuses a NaN initial state and a field that turns NaN, quickly and by name', () => {
    const t0 = performance.now();
    expect(() => solveIvp((_t, x) => Float64Array.of(x[1], -x[0]), [0, 10], Float64Array.of(NaN, 1))).toThrow(
      /initial state is not finite/,
    );
    const blowUp = (t: number, x: Float64Array) => (t > 1 ? Float64Array.of(NaN, NaN) : Float64Array.of(x[1], -x[0]));
    expect(() => solveIvp(blowUp, [0, 10], Float64Array.of(1, 0))).toThrow(
      /the solution became non-finite at t = 0\.9|the solution became non-finite at t = 1/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('RK45 counts rejected steps towards its limit', () => {
    // a field whose error estimate is never small: every step is rejected until the limit
    let calls = 0;
    const rough = (_t: number, x: Float64Array) => {
      calls++;
      return Float64Array.of(calls % 2 ? 1e6 : -1e6, x[0]);
    };
    expect(() => solveIvp(rough, [0, 1], Float64Array.of(0, 0), { maxSteps: 50, rtol: 1e-12, atol: 1e-12 })).toThrow(
      /gave up after 50 steps|step size fell below/,
    );
    expect(calls).toBeLessThan(50 * 7 + 10);
  });

  it('fixed-step integrators stop at the first non-finite state', () => {
    expect(() => rk4((_t, x) => Float64Array.of(x[0] * x[0]), Float64Array.of(1), 0, 0.5, 1000)).toThrow(/non-finite at step/);
  });
});

describe('bad inputs end within 10 s with one line', () => {
  const good = join(root, 'spring');
  it('a NaN in a state dataset', () => {
    expect(hnn(['generate', 'spring', '--out', good]).code).toBe(0);
    const bad = join(root, 'nan');
    expect(hnn(['generate', 'spring', '--out', bad]).code).toBe(0);
    editArray(bad, 'trainX', (d, shape) => {
      d[17] = NaN;
      return { data: d, shape };
    });
    expectOneLineError(train(bad, 'o-nan'), /trainX\.npy holds a non-finite value \(NaN\) at flat index 17/);
    const inf = join(root, 'inf');
    expect(hnn(['generate', 'spring', '--out', inf]).code).toBe(0);
    editArray(inf, 'testDx', (d, shape) => {
      d[3] = Infinity;
      return { data: d, shape };
    });
    expectOneLineError(train(inf, 'o-inf'), /testDx\.npy holds a non-finite value \(Infinity\)/);
  });

  it('a dataset with zero training rows', () => {
    const empty = join(root, 'no-rows');
    expect(hnn(['generate', 'spring', '--out', empty]).code).toBe(0);
    for (const name of ['trainX', 'trainDx']) editArray(empty, name, () => ({ data: new Float64Array(0), shape: [0, 2] }));
    editArray(empty, 'trainT', () => ({ data: new Float64Array(0), shape: [0] }));
    expectOneLineError(train(empty, 'o-empty'), /0 train and 750 test rows; training and evaluation need at least one of each/);
  });

  it('a loss weight that overflows float32', () => {
    expectOneLineError(
      hnn(['train', '--task', 'pixel-pendulum', '--consistency-weight', '1e39', '--out', join(root, 'o-w')]),
      /--consistency-weight must be a number in \[0, 1000000\], got "1e39"/,
    );
  });
});

describe('a signal stops a training run', () => {
  // Training steps are synchronous: before the loop gave the event loop a turn, Ctrl-C and SIGTERM
  // waited for the whole run (measured: SIGTERM 6 s into a 3000-step spring run ended it 105 s later,
  // after the last step). Now the run stops at once, leaves no lock and no finished-looking result.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during training ends the run within the bound, with the signal's exit code`, async () => {
      const out = join(root, `signal-${signal}`);
      const child = spawn(
        process.execPath,
        [BIN, 'train', '--task', 'spring', '--model', 'hnn', '--steps', '1000000', '--out', out, '--quiet'],
        {
          stdio: 'ignore',
        },
      );
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        child.on('exit', (code) => resolve({ code, at: performance.now() })),
      );
      // the log's first step record: training is under way
      const started = performance.now();
      while (!existsSync(join(out, 'log.jsonl')) || !readFileSync(join(out, 'log.jsonl'), 'utf8').includes('"step"')) {
        if (performance.now() - started > 60_000) throw new Error('the run did not start within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const sent = performance.now();
      child.kill(signal);
      const { code, at } = await exited;
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      // a million steps take hours: ending here means the signal was handled during training
      expect((at - sent) / 1000).toBeLessThan(30);
      expect(existsSync(join(out, 'metrics.json'))).toBe(false);
      expect(existsSync(`${out}.lock`)).toBe(false);
    }, 120_000);
  }
});
