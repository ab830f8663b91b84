// `hnn import states` (datasets/import-states.ts): the real pendulum through a CSV gives the built-in
// task's arrays bit for bit; finite differences, the seeded split, the energy expression, and every
// bad input refused with its one-line error and nothing written.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { zipSync } from 'fflate';
import { buildStateDataset, loadStateDataset } from '../datasets/state.ts';
import { parseMeasured } from '../datasets/measured.ts';
import { importStates } from '../datasets/import-states.ts';
import { taskOfDataset } from '../datasets/import-task.ts';
import { encodeNpy } from '../src/util/npy.ts';
import { parseExpression } from '../src/util/expression.ts';
import { UserError } from '../src/util/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'hnn-import-states-'));

function bits(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

describe('the real pendulum through a CSV', () => {
  test('gives the built-in real-pendulum arrays byte for byte', () => {
    const d = parseMeasured(readFileSync(join(import.meta.dirname, '..', 'data', 'real_pend_h_1.txt'), 'latin1'));
    const dir = tmp();
    const csv = join(dir, 'real.csv');
    // String(x) is the shortest text that parses back to the same float64
    const lines = ['trial,t,q,p', ...Array.from({ length: d.rows }, (_, i) => `${d.trial[i]},${d.t[i]},${d.q[i]},${d.p[i]}`)];
    writeFileSync(csv, lines.join('\n') + '\n');
    const out = join(dir, 'ds');
    importStates(csv, out, { columns: ['q', 'p'], time: 't', trial: 'trial', split: 'time', testFraction: 0.2 });
    const mine = loadStateDataset(out);
    const builtIn = buildStateDataset('real-pendulum', 0);
    for (const k of ['trainX', 'trainDx', 'trainT', 'testX', 'testDx', 'testT'] as const) expect(bits(mine[k]), k).toBe(bits(builtIn[k]));
    expect([mine.trainRows, mine.testRows]).toEqual([builtIn.trainRows, builtIn.testRows]);
    expect(taskOfDataset(out).name).toBe('state-import');
  });
});

describe('targets and split', () => {
  test('central differences are exact for a quadratic on uneven steps; forward for a line', () => {
    const dir = tmp();
    const t = [0, 0.1, 0.25, 0.3, 0.5, 0.9];
    const rows = t.map((s) => `${s},${3 * s * s - s + 2},${5 * s - 1}`);
    writeFileSync(join(dir, 'a.csv'), ['t,x,v', ...rows].join('\n'));
    const c = importStates(join(dir, 'a.csv'), join(dir, 'c'), {
      columns: ['x', 'v'],
      time: 't',
      targets: 'central',
      split: 'time',
      testFraction: 0.3,
    }).dataset;
    const dx = [...c.trainDx, ...c.testDx];
    const tc = [...c.trainT, ...c.testT];
    tc.forEach((s, i) => {
      expect(dx[2 * i]).toBeCloseTo(6 * s - 1, 12);
      expect(dx[2 * i + 1]).toBeCloseTo(5, 12);
    });
    expect(tc).toEqual(t.slice(1, -1));
    const f = importStates(join(dir, 'a.csv'), join(dir, 'f'), { q: ['x'], p: ['v'], time: 't', split: 'time' }).dataset;
    expect(f.trainRows + f.testRows).toBe(5);
    for (const v of [...f.trainDx.filter((_, i) => i % 2 === 1), ...f.testDx.filter((_, i) => i % 2 === 1)]) expect(v).toBeCloseTo(5, 12);
  });

  test('the split by trials is seeded, keeps trials whole, and records them; derivative columns are taken as given', () => {
    const dir = tmp();
    const rows = ['run,q,p,dq,dp'];
    for (let k = 0; k < 10; k++) for (let i = 0; i < 4; i++) rows.push(`${k * 7},${k + i / 10},${-i},${1},${k}`);
    writeFileSync(join(dir, 'b.csv'), rows.join('\n'));
    const opts = { columns: ['q', 'p'], dt: 0.5, trial: 'run', derivatives: ['dq', 'dp'], seed: 3 };
    const a = importStates(join(dir, 'b.csv'), join(dir, 'a'), opts).dataset;
    const b = importStates(join(dir, 'b.csv'), join(dir, 'b'), opts).dataset;
    const c = importStates(join(dir, 'b.csv'), join(dir, 'c'), { ...opts, seed: 4 }).dataset;
    expect(a.testTrial).toEqual(b.testTrial);
    expect(bits(a.testX)).not.toBe(bits(c.testX));
    expect(a.testRows).toBe(8); // 2 of 10 trials, 4 rows each (no row dropped: derivatives given)
    expect([...new Set(a.testTrial)].length).toBe(2);
    expect(a.trainT.slice(0, 4)).toEqual(Float64Array.of(0, 0.5, 1, 1.5));
    expect(a.testDx[1]).toBe(a.testTrial[0]); // dp column = trial index k (ids 0, 7, 14, ...)
  });

  test('an energy expression is recorded and evaluated with the column names or q, p', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'e.json'), JSON.stringify({ t: [0, 1, 2, 3, 4, 5], theta: [0, 1, 0, -1, 0, 1], omega: [1, 0, -1, 0, 1, 0] }));
    const out = join(dir, 'e');
    importStates(join(dir, 'e.json'), out, { columns: ['theta', 'omega'], time: 't', split: 'time', energy: '0.5*omega^2 + 3*(1-cos(q))' });
    const task = taskOfDataset(out);
    expect(task.system.energy(Float64Array.of(1, 2))).toBeCloseTo(0.5 * 4 + 3 * (1 - Math.cos(1)), 14);
  });

  test('.npy and .npz tables', () => {
    const dir = tmp();
    const data = Float64Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? i / 3 : Math.sin(i)));
    writeFileSync(join(dir, 'x.npy'), encodeNpy({ data, shape: [10, 3] }));
    const a = importStates(join(dir, 'x.npy'), join(dir, 'a'), { columns: ['1', '2'], time: '0', split: 'time' }).dataset;
    expect(a.trainRows + a.testRows).toBe(9);
    const col = (c: number) => encodeNpy({ data: Float64Array.from({ length: 10 }, (_, r) => data[r * 3 + c]), shape: [10] });
    writeFileSync(join(dir, 'x.npz'), zipSync({ 't.npy': col(0), 'q.npy': col(1), 'p.npy': col(2) }));
    const b = importStates(join(dir, 'x.npz'), join(dir, 'b'), { columns: ['q', 'p'], time: 't', split: 'time' }).dataset;
    expect(bits(b.trainDx)).toBe(bits(a.trainDx));
  });
});

describe('bad input: one line naming the fix, nothing written', () => {
  const cases: Array<[string, string, string, Parameters<typeof importStates>[2], RegExp]> = [
    [
      'unknown column',
      'x.csv',
      't,q,p\n0,1,2\n1,2,3\n',
      { columns: ['q', 'mom'], time: 't', split: 'time' },
      /unknown column "mom".*columns are t, q, p/,
    ],
    [
      'ragged row',
      'x.csv',
      't,q,p\n0,1,2\n1,2\n2,3,4\n',
      { columns: ['q', 'p'], time: 't', split: 'time' },
      /line 3 has 2 values, the header has 3 columns/,
    ],
    [
      'NaN',
      'x.csv',
      't,q,p\n0,1,2\n1,NaN,3\n2,3,4\n',
      { columns: ['q', 'p'], time: 't', split: 'time' },
      /line 3, column "q" is "NaN", not a finite number/,
    ],
    ['Inf', 'x.csv', 't,q,p\n0,1,2\n1,2,Infinity\n2,3,4\n', { columns: ['q', 'p'], time: 't', split: 'time' }, /column "p" is "Infinity"/],
    ['empty value', 'x.csv', 't,q,p\n0,1,2\n1,,3\n2,3,4\n', { columns: ['q', 'p'], time: 't', split: 'time' }, /column "q" is empty/],
    [
      'JSON null',
      'x.json',
      '{"t":[0,1,2],"q":[1,null,3],"p":[0,0,0]}',
      { columns: ['q', 'p'], time: 't', split: 'time' },
      /row 1, column "q" is null/,
    ],
    [
      'JSON ragged',
      'x.json',
      '{"t":[0,1,2],"q":[1,2],"p":[0,0,0]}',
      { columns: ['q', 'p'], time: 't', split: 'time' },
      /"q" has 2 values, "t" has 3; give every column the same length/,
    ],
    [
      'non-monotonic time',
      'x.csv',
      't,q,p\n0,1,2\n2,2,3\n1,3,4\n',
      { columns: ['q', 'p'], time: 't', split: 'time' },
      /time does not increase at data row 3.*sort each trial's rows by time/,
    ],
    [
      'one trial, split by trials',
      'x.csv',
      't,q,p\n0,1,2\n1,2,3\n2,3,4\n',
      { columns: ['q', 'p'], time: 't' },
      /one trial.*--trial COLUMN, or --split time/,
    ],
    ['no header', 'x.csv', '0,1,2\n1,2,3\n2,3,4\n', { columns: ['q', 'p'], dt: 1 }, /add a header line/],
    ['no time', 'x.csv', 't,q,p\n0,1,2\n1,2,3\n', { columns: ['q', 'p'], split: 'time' }, /--time COLUMN or a fixed step as --dt/],
    ['odd columns', 'x.csv', 't,q,p\n0,1,2\n1,2,3\n', { columns: ['q'], time: 't' }, /even number of columns/],
    [
      'bad energy',
      'x.csv',
      't,q,p\n0,1,2\n1,2,3\n2,3,4\n',
      { columns: ['q', 'p'], time: 't', split: 'time', energy: 'q + x' },
      /unknown variable "x"/,
    ],
    [
      'energy not finite',
      'x.csv',
      't,q,p\n0,1,2\n1,0,3\n2,3,4\n',
      { columns: ['q', 'p'], time: 't', split: 'time', energy: '1/q' },
      /is Infinity at q = 0.*finite there/,
    ],
    ['int64 npy', 'x.npy', '', { columns: ['0', '1'], dt: 1 }, /dtype <i8; save it as float64/],
  ];
  test.each(cases)('%s', (_name, file, text, opts, pattern) => {
    const dir = tmp();
    const path = join(dir, file);
    if (file.endsWith('.npy') && text === '') {
      const bytes = encodeNpy({ data: new Float64Array(4), shape: [2, 2] });
      const header = Buffer.from(bytes.subarray(0, 128)).toString('latin1').replace("'<f8'", "'<i8'");
      writeFileSync(path, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(bytes.subarray(128))]));
    } else writeFileSync(path, text);
    let err: unknown;
    try {
      importStates(path, join(dir, 'out'), opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain('\n');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readdirSync(dir)).toEqual([file]);
  });

  test('the expression evaluator refuses all but arithmetic', () => {
    for (const text of ['x = 2', 'f(q) = q', 'q.a', 'import(q)', 'evaluate("1")', '[1, 2]', 'q > 1', 'q ? 1 : 2', '"s"'])
      expect(() => parseExpression(text, ['q', 'p']), text).toThrow(UserError);
    expect(parseExpression('pi * q^2 + sqrt(p)', ['q', 'p']).evaluate({ q: 2, p: 9 })).toBeCloseTo(4 * Math.PI + 3, 14);
  });
});

describe('evaluation of imported states', () => {
  test('the energy MSE of a field on the imported real pendulum equals the built-in task energy metric', async () => {
    const { energyEvaluation } = await import('../src/eval/energy.ts');
    const { evaluateImportedState } = await import('../src/eval/imported-state.ts');
    const d = parseMeasured(readFileSync(join(import.meta.dirname, '..', 'data', 'real_pend_h_1.txt'), 'latin1'));
    const dir = tmp();
    const lines = ['t,q,p', ...Array.from({ length: d.rows }, (_, i) => `${d.t[i]},${d.q[i]},${d.p[i]}`)];
    writeFileSync(join(dir, 'r.csv'), lines.join('\n'));
    const out = join(dir, 'ds');
    importStates(join(dir, 'r.csv'), out, { columns: ['q', 'p'], time: 't', split: 'time', energy: 'p^2 + 2.4*(1-cos(q))' });
    // a damped linear field: any field will do, as long as both metrics integrate the same one
    const field = (_t: number, x: Float64Array) => Float64Array.of(2 * x[1], -4.8 * x[0] - 0.01 * x[1]);
    const ds = loadStateDataset(out);
    const task = taskOfDataset(out);
    const mine = evaluateImportedState({ ...ds, testTrial: ds.testTrial! }, field, null, (x) => task.system.energy(x));
    const builtIn = energyEvaluation('real-pendulum', field);
    expect(mine.energyMse!.mean).toBeGreaterThan(0);
    expect(Math.abs(mine.energyMse!.mean - builtIn.mean) / builtIn.mean).toBeLessThan(1e-12);
    expect(mine.rollouts.segments).toBe(1);
    expect(mine.rollouts.rowsPerTrial).toEqual([111]);
  });
});
