// The `hnn` command end to end: bad input gets a one-line error and a non-zero exit, finished
// results are not overwritten, and a short training run writes every promised output.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainOverrides } from '../src/cli/system.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'hnn.js');

function hnn(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectUserError(r: ReturnType<typeof hnn>, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('hnn CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnn-cli-'));
  const spring = join(dir, 'spring-data');

  beforeAll(() => {
    expect(hnn('generate', 'spring', '--out', spring, '--seed', '3').code).toBe(0);
  });

  it('rejects an unknown task, model or backend', () => {
    expectUserError(hnn('train', '--task', 'planet'), /unknown task "planet"; choose one of spring/);
    expectUserError(hnn('train', '--task', 'spring', '--model', 'lstm'), /unknown model "lstm"; choose one of hnn, baseline, dhnn/);
    expectUserError(hnn('train', '--task', 'spring', '--backend', 'tpu'), /unknown backend "tpu"/);
  });

  it('a training flag that is not a number is refused with the text as typed, and its range by the schema', () => {
    expect(() => trainOverrides({ lr: 'abc' }, 'state')).toThrow(/^--lr must be a finite number, got "abc"$/);
    expect(() => trainOverrides({ lr: '1e400' }, 'state')).toThrow(/^--lr must be a finite number, got "1e400"$/);
    expect(() => trainOverrides({ hidden: '10,x' }, 'state')).toThrow(/^--hidden \(entry 1\) must be a finite number, got "x"$/);
    expect(() => trainOverrides({ batchSize: ' ' }, 'pixel')).toThrow(/^--batch-size must be a finite number, got " "$/);
    expect(() => trainOverrides({ lr: '-1' }, 'state')).toThrow(/^--lr must be > 0, got -1$/);
    expect(trainOverrides({ lr: '2e-3', hidden: '32,16' }, 'state')).toEqual({ lr: 0.002, hidden: [32, 16] });
    expect(trainOverrides({}, 'state')).toBeUndefined();
  });

  it('reproduce takes one table choice, and known models', () => {
    expectUserError(hnn('reproduce', '--dissipative', '--pixels'), /--pixels and --dissipative choose different tables; pass one of them/);
    // --pixels takes a subset of pixel tasks, not a state task
    expectUserError(hnn('reproduce', '--tasks', 'pixel-spring,spring', '--pixels'), /spring is not a pixel task; drop it from --tasks/);
    expectUserError(hnn('reproduce', '--models', 'hnn,lstm'), /unknown model "lstm"; choose one of hnn, baseline, dhnn/);
  });

  it('trains a D-HNN (--model dhnn) and reports its learned friction', () => {
    const out = join(dir, 'dhnn');
    // the measured pendulum: one short rollout for the energy MSE keeps this fast
    const r = hnn(
      ...['train', '--task', 'real-pendulum', '--model', 'dhnn', '--steps', '20', '--out', out, '--quiet', '--backend', 'wasm'],
      ...['--dissipation-weight-decay', '2e-5'],
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /learned friction -?\d\.\d{4} along the rollouts, -?\d\.\d{4} at the test inputs \(data: 0\.\d{4}, fitted to the measured energy; -?\d+\.\d% \/ -?\d+\.\d% of it\)/,
    );
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.model).toBe('dhnn');
    expect(metrics.protocol.dissipationWeightDecay).toBe(2e-5); // the flag's, not the task's 1e-5
    expect(metrics.protocol.dissipationDecayOn).toBe('hidden'); // the default, recorded
    expectUserError(
      hnn('train', '--task', 'spring', '--model', 'baseline', '--dissipation-decay-on', 'all'),
      /--dissipation-decay-on applies to a D-HNN on a state task \(--model dhnn\), not baseline on spring; drop it/,
    );
    expectUserError(
      hnn('train', '--task', 'spring', '--model', 'dhnn', '--dissipation-decay-on', 'output'),
      /dissipation decay scope.*hidden, all/,
    );
    expectUserError(
      hnn('train', '--task', 'spring', '--model', 'hnn', '--dissipation-weight-decay', '1e-3'),
      /--dissipation-weight-decay applies to a D-HNN on a state task \(--model dhnn\), not hnn on spring; drop it/,
    );
    expectUserError(
      hnn('train', '--task', 'real-pendulum', '--dissipation-weight-decay', '-1'),
      /--dissipation-weight-decay must be a number in \[0, 1\]/,
    );
    expect(metrics.dissipation.gamma).toBeGreaterThan(0); // the measured swing loses energy
    expect(Number.isFinite(metrics.dissipation.rollouts.learnedGamma)).toBe(true);
    expect(metrics.dissipation.test.trueShare).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8'));
    expect(saved.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('dhnn-de/w0'); // D in the even form (the state default);
  });

  it('checks the training options by name and range; a reproduction refuses to reuse a run trained with other options', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['--batch-size', '0', /^hnn: error: --batch-size must be >= 1, got 0/],
      ['--batch-size', '2.5', /--batch-size must be an integer/],
      ['--weight-decay', '-1', /--weight-decay must be >= 0, got -1/],
      ['--weight-decay', '2000', /--weight-decay must be <= 1000/],
      ['--hidden', '0', /--hidden \(entry 0\) must be >= 1/],
      ['--eval-every', '0', /--eval-every must be >= 1/],
      ['--lr', '2', /--lr must be <= 1/],
    ];
    for (const [flag, value, pattern] of bad) expectUserError(hnn('train', '--task', 'spring', flag, value), pattern);
    expectUserError(hnn('train', '--task', 'pixel-spring', '--eval-every', '5'), /--eval-every applies to state tasks/);
    expectUserError(
      hnn('reproduce', '--tasks', 'spring,pixel-spring', '--lr', '0.01'),
      /pixel-spring is a pixel task; drop it from --tasks or drop the options/,
    );
    expectUserError(hnn('reproduce', '--tasks', 'spring', '--statistic', 'last-x'), /--statistic must be final or last-K/);
    expectUserError(
      hnn('reproduce', '--tasks', 'spring', '--dissipation-weight-decay', '5'),
      /--dissipation-weight-decay must be a number in \[0, 1\]/,
    );

    const out = join(dir, 'reproduce-options');
    const base = ['reproduce', '--tasks', 'damped-spring-grid', '--models', 'baseline', '--seeds', '1', '--steps', '3', '--hidden', '8,8'];
    const first = hnn(...base, '--out', out, '--quiet', '--jobs', '1');
    expect(first.code, first.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'damped-spring-grid', 'seed0', 'baseline', 'metrics.json'), 'utf8'));
    // every option is recorded: the flags' and the task protocol's
    expect(metrics.protocol).toEqual({ steps: 3, batchSize: null, weightDecay: 0, lr: 1e-3, hidden: [8, 8], evalEvery: 100 });
    expect(metrics.testLossHistory).toEqual({ every: 100, steps: [0], testLoss: [expect.any(Number)] });
    expectUserError(
      hnn(...base, '--lr', '0.002', '--out', out, '--quiet', '--jobs', '1'),
      /holds a finished run trained otherwise: lr 0\.001 \(asked: 0\.002\); use another --out, the same options, or --force/,
    );
  });

  it('rejects steps that are not a positive integer', () => {
    for (const bad of ['0', '-3', '2.5', 'ten'])
      expectUserError(hnn('train', '--task', 'spring', '--steps', bad), /--steps must be a positive integer/);
  });

  it('rejects loss weights that are not non-negative numbers, and pixel-only options on state tasks', () => {
    for (const bad of ['-1', 'heavy', ''])
      expectUserError(hnn('train', '--task', 'pixel-pendulum', '--hnn-weight', bad), /--hnn-weight must be a number in \[0, 1000000\]/);
    expectUserError(
      hnn('train', '--task', 'pixel-pendulum', '--consistency-weight', 'NaN'),
      /--consistency-weight must be a number in \[0, 1000000\]/,
    );
    expectUserError(
      hnn('train', '--task', 'spring', '--hnn-weight', '1', '--data', spring, '--out', join(dir, 'o0')),
      /--hnn-weight applies to pixel tasks only, not spring; drop it/,
    );
    expectUserError(
      hnn('train', '--task', 'spring', '--hnn-weight', '1', '--resume', '--data', spring, '--out', join(dir, 'o0')),
      /--resume, --hnn-weight apply to pixel tasks only, not spring; drop them/,
    );
  });

  it('rejects a missing, corrupt or mismatched dataset', () => {
    expectUserError(hnn('train', '--task', 'spring', '--data', join(dir, 'nowhere'), '--out', join(dir, 'o1')), /dataset folder not found/);
    expectUserError(hnn('train', '--task', 'pendulum', '--data', spring, '--out', join(dir, 'o2')), /holds task "spring", not "pendulum"/);
    const corrupt = join(dir, 'corrupt');
    expect(hnn('generate', 'spring', '--out', corrupt).code).toBe(0);
    const npy = join(corrupt, 'trainX.npy');
    const bytes = readFileSync(npy);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(npy, bytes);
    expectUserError(hnn('train', '--task', 'spring', '--data', corrupt, '--out', join(dir, 'o3')), /does not match its checksum/);
  });

  it('trains, writes every output, and refuses to overwrite the finished result without --force', () => {
    const out = join(dir, 'run');
    const r = hnn(
      'train',
      '--task',
      'spring',
      '--model',
      'baseline',
      '--steps',
      '30',
      '--data',
      spring,
      '--out',
      out,
      '--quiet',
      '--backend',
      'wasm',
    );
    expect(r.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    for (const key of [
      'task',
      'model',
      'seed',
      'steps',
      'backend',
      'trainLoss',
      'testLoss',
      'energyMse',
      'trainSeconds',
      'msPerStep',
      'versions',
    ])
      expect(metrics).toHaveProperty(key);
    expect(metrics.backend).toBe('wasm');
    expect(metrics.steps).toBe(30);
    expect(metrics.testLoss.mean).toBeGreaterThan(0);
    expect(Number.isFinite(metrics.energyMse.mean)).toBe(true);
    for (const f of ['model/model.json', 'model/weights.bin', 'log.jsonl', 'plots/loss.png']) expect(existsSync(join(out, f))).toBe(true);
    const before = readFileSync(join(out, 'metrics.json'), 'utf8');
    expectUserError(
      hnn('train', '--task', 'spring', '--model', 'baseline', '--steps', '5', '--data', spring, '--out', out),
      /already holds a finished result .*--force/,
    );
    expect(readFileSync(join(out, 'metrics.json'), 'utf8')).toBe(before);
  });
});
