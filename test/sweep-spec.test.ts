// Sweep specs and their runs, without a queue: the grid multiplies out, a random search is the same
// for the same seed, every option is checked by `hnn train`'s own parsers and refused with their
// message, a configuration written two ways has one id, the store confines every path, and a job
// payload that is not a valid run is refused with the reason.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateRun } from '../src/cli/sweep-options.ts';
import { expandSpec, parseSpec } from '../src/pipeline/sweep/spec.ts';
import { checkStore, confined } from '../src/pipeline/sweep/execute.ts';
import { checkPayload, payloadOf } from '../src/pipeline/sweep/payload.ts';
import { planRun, runId, trainArgv } from '../src/pipeline/sweep/plan.ts';
import { parseQueueUrl, redact, scrub } from '../src/pipeline/sweep/connection.ts';
import { optionCell, sweepResults, resultsMarkdown, stat, type RunRecord } from '../src/pipeline/sweep/results.ts';
import { UserError } from '../src/util/errors.ts';

const expand = (raw: unknown, o = {}) => expandSpec(parseSpec(raw), validateRun, o);

describe('sweep specs', () => {
  it('expands a grid over tasks x models x seeds x options, with the options checked and canonical', () => {
    const plan = expand({
      name: 'g',
      tasks: ['pixel-pendulum'],
      models: ['hnn', 'baseline'],
      seeds: [0, 1, 2],
      train: { quick: true, 'dynamics-weight-decay': ['1e-6', 1e-5] },
    });
    expect(plan.runs).toHaveLength(12);
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(12);
    expect(plan.swept).toEqual(['model', 'dynamics-weight-decay']);
    // the parser's value, not the spelling: "1e-6" and 1e-6 are one configuration
    expect(plan.runs[0].train).toEqual({ threads: 1, quick: true, 'dynamics-weight-decay': 1e-6 });
    const again = expand({
      name: 'g',
      tasks: ['pixel-pendulum'],
      models: ['hnn'],
      seeds: [0],
      train: { dynamicsWeightDecay: 0.000001, quick: true },
    });
    expect(again.runs[0].id).toBe(plan.runs.find((r) => r.model === 'hnn' && r.seed === 0)!.id);
    // another sweep's run of the same configuration is another run (its own folder and job)
    expect(runId('other', again.runs[0])).not.toBe(again.runs[0].id);
    expect(trainArgv(again.runs[0], '/s/x', { resume: true })).toEqual([
      'train',
      '--task',
      'pixel-pendulum',
      '--model',
      'hnn',
      '--seed',
      '0',
      '--dynamics-weight-decay',
      '0.000001',
      '--quick',
      '--threads',
      '1',
      '--out',
      '/s/x',
      '--resume',
      '--quiet',
    ]);
  });

  it('draws a random search from its seed: the same seed gives the same runs, another seed others', () => {
    const spec = { name: 'r', tasks: ['spring'], models: ['hnn'], search: 'random', samples: 4, train: { steps: { int: [10, 1000] } } };
    const a = expand({ ...spec, 'random-seed': 3 });
    const b = expand({ ...spec, 'random-seed': 3 });
    const c = expand({ ...spec, 'random-seed': 4 });
    expect(a.runs.map((r) => r.train.steps)).toEqual(b.runs.map((r) => r.train.steps));
    expect(a.runs.map((r) => r.train.steps)).not.toEqual(c.runs.map((r) => r.train.steps));
    for (const r of a.runs) expect(r.train.steps).toBeGreaterThanOrEqual(10);
    expect(
      expand({ ...spec, search: 'random', samples: 3, train: { 'hnn-weight': { 'log-uniform': [1e-3, 1] } }, tasks: ['pixel-pendulum'] })
        .runs,
    ).toHaveLength(3);
  });

  it('takes --repeat as seeds 0..k-1 and presets as the tables of hnn reproduce', () => {
    expect(expand({ tasks: ['spring'], models: ['hnn'], seeds: [5] }, { repeat: 3 }).runs.map((r) => r.seed)).toEqual([0, 1, 2]);
    const paper = expand({ preset: 'paper', quick: true });
    const pixel = paper.runs.find((r) => r.task === 'pixel-pendulum')!;
    expect(pixel.train).toEqual({ threads: 1, 'latent-step': 'euler', 'rollout-steps': 1, quick: true });
    expect(paper.runs.find((r) => r.task === 'spring')!.train).toEqual({ threads: 1, quick: true });
    expect(new Set(expand({ preset: 'dissipative' }).runs.map((r) => r.model))).toEqual(new Set(['baseline', 'hnn', 'dhnn']));
  });

  it("refuses what `hnn train` refuses, with its parser's message", () => {
    const base = { tasks: ['spring'], models: ['hnn'] };
    const refuse = (train: unknown, pattern: RegExp) => expect(() => expand({ ...base, train })).toThrow(pattern);
    refuse({ steps: 0 }, /--steps must be a positive integer, got "0"/);
    refuse({ context: 3 }, /--context applies to pixel tasks only, not spring; drop it/);
    refuse(
      { 'latent-step': 'euler' },
      /--latent-step chooses the integrator of the trajectory loss of a state task; give --rollout-steps K too/,
    );
    refuse({ system: 'evil.mjs' }, /train\.system: not allowed: a system file may hold code/);
    refuse({ exec: 'rm -rf /' }, /train\.exec is not an option of `hnn train`/);
    refuse({ out: '/etc' }, /train\.out: set by the sweep/);
    refuse({ data: '/tmp' }, /train\.data: set by the sweep/);
    refuse({ quick: 'yes' }, /train\.quick is a flag without a value/);
    expect(() => expand({ tasks: ['spring'], models: ['nope'] })).toThrow(/unknown model "nope"/);
    expect(() => expand({ ...base, name: '../x' })).toThrow(/sweep name "..\/x" is not allowed/);
    expect(() => expand({ ...base, metric: 'speed' })).toThrow(/metric: "speed" is not a metric/);
    expect(() => expand({ ...base, train: { steps: { int: [1, 5] } } })).toThrow(/needs "search: random"/);
    expect(() => parseSpec({ ...base, surprise: 1 })).toThrow(/Unrecognized key/);
    // a list-valued option given as a YAML list of lists: what an option takes, not zod's "Invalid input"
    expect(() => parseSpec({ ...base, train: { hidden: [[32], [64, 64]] } })).toThrow(
      /^the sweep spec: train\.hidden: an option takes a value .* e\.g\. hidden: \["32", "64,64"\]; see docs\/SWEEPS\.md for the format$/,
    );
    expect(expand({ ...base, train: { hidden: ['32', '64,64'] } }).runs).toHaveLength(2);
  });

  it('shows a drawn number to 4 significant digits in the tables, whole in results.json', () => {
    expect(optionCell('0.0034602999004438627')).toBe('0.00346');
    expect(optionCell(0.0055663302488834585)).toBe('0.005566');
    expect(optionCell(1.2345678e-7)).toBe('1.235e-7');
    for (const v of ['1e-5', '64,64', 'leapfrog', 200, true]) expect(optionCell(v)).toBe(String(v));
    expect(optionCell(undefined)).toBe('-');
  });
});

describe('job payloads and the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnn-sweep-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = planRun('s', validateRun({ task: 'spring', model: 'hnn', seed: 0, train: { quick: true }, data: {} }));

  it('accepts a payload it made and refuses one that is not a valid run, saying why', () => {
    expect(checkPayload(run.id, payloadOf(run), validateRun)).toEqual(run);
    const refuse = (id: unknown, data: unknown, pattern: RegExp) => expect(() => checkPayload(id, data, validateRun)).toThrow(pattern);
    refuse(run.id, { ...payloadOf(run), cmd: 'rm -rf /' }, /Unrecognized key/);
    refuse(run.id, { ...payloadOf(run), sweep: '../../etc' }, /sweep name/);
    refuse(run.id, { ...payloadOf(run), train: { exec: 'x' } }, /not an option of `hnn train`/);
    refuse(run.id, { ...payloadOf(run), train: { steps: -1 } }, /--steps must be a positive integer/);
    refuse('0123456789abcdef', payloadOf(run), /is not the hash of its configuration/);
    refuse(run.id, 'not an object', /payload field \(top level\)/);
  });

  it('keeps every run path inside the store, links included, and needs the store to exist', () => {
    const store = join(dir, 'store');
    mkdirSync(store);
    expect(checkStore(store)).toBe(store);
    expect(() => checkStore(join(dir, 'absent'))).toThrow(/is not an existing folder; create it/);
    expect(confined(store, join(store, 's', 'runs', 'x'))).toBe(join(store, 's', 'runs', 'x'));
    expect(() => confined(store, join(store, '..', 'elsewhere'))).toThrow(/lies outside the store/);
    mkdirSync(join(dir, 'outside'));
    symlinkSync(join(dir, 'outside'), join(store, 'linked'));
    expect(() => confined(store, join(store, 'linked', 'runs', 'x'))).toThrow(/leads outside the store .* \(through a link to .*outside\)/);
  });

  it('never shows a password: redacted addresses, scrubbed messages, HNN_REDIS_PASSWORD', () => {
    const a = parseQueueUrl('redis://alice:s3cr3t@127.0.0.1:6390/2');
    expect(a.shown).toBe('redis://alice:***@127.0.0.1:6390/2');
    expect(a.options).toMatchObject({ host: '127.0.0.1', port: 6390, db: 2, username: 'alice', password: 's3cr3t' });
    expect(scrub('WRONGPASS s3cr3t', a)).toBe('WRONGPASS ***');
    expect(parseQueueUrl('rediss://h:7000', { HNN_REDIS_PASSWORD: 'pw' }).options).toMatchObject({
      password: 'pw',
      tls: { servername: 'h' },
    });
    expect(redact('http://u:pw@x')).toBe('http://u:***@x/');
    for (const bad of ['http://h:1', 'redis://h:1/x', 'nonsense']) expect(() => parseQueueUrl(bad)).toThrow(UserError);
    try {
      parseQueueUrl('http://u:s3cr3t@h');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3t');
    }
  });
});

describe('sweep results', () => {
  it('ranks configurations by the mean over seeds, with std/sqrt(n), and lists failed runs', () => {
    const r = (model: string, seed: number, energy: number | null, error?: string): RunRecord => ({
      run: planRun('t', { task: 'spring', model, seed, train: {}, data: {} }),
      state: energy === null ? 'failed' : 'completed',
      ...(energy === null
        ? { error, attempts: 2 }
        : { summary: { steps: 1, backend: 'wasm', trainSeconds: 1, msPerStep: 1, metrics: { energyMse: energy } } }),
    });
    const res = sweepResults(
      't',
      'energyMse',
      ['model'],
      [r('hnn', 0, 1), r('hnn', 1, 3), r('baseline', 0, 0.5), r('baseline', 1, null, 'diverged\nstack')],
    );
    expect(res.groups.map((g) => g.model)).toEqual(['baseline', 'hnn']);
    const hnn = res.groups[1].metrics.energyMse;
    expect(hnn.mean).toBe(2);
    expect(hnn.spread).toBeCloseTo(Math.sqrt(2) / Math.sqrt(2), 12); // std of {1, 3} = sqrt(2)
    expect(stat([4]).spread).toBeNaN();
    expect(res.failures).toEqual([
      { name: expect.stringMatching(/^spring-baseline-seed1-/), run: 'spring baseline seed 1', error: 'diverged', attempts: 2 },
    ]);
    const md = resultsMarkdown(res);
    expect(md).toContain('| 2 | spring | hnn | 2 | 2.00 ± 1.00 |');
    expect(md).toContain('| 1 | spring | baseline | 1 (+1 failed) | 0.500 |');
    expect(md).toMatch(/## Failed runs\n\n- spring baseline seed 1 .*: diverged/);
  });
});
