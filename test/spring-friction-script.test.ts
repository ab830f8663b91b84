// scripts/spring-friction.py (the friction a damped-spring dataset carries, fitted by regression on
// its inputs and with its exact targets as regressors) on datasets whose answer is known by
// construction: rows of the damped field with gamma 0.05, without and with noise on the inputs.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodeNpy } from '../src/util/npy.ts';
import { Rng } from '../src/util/rng.ts';
import { scratchFolder } from './helpers/scratch.ts';

/**
 * Rows of dq/dt = p / m, dp/dt = -k q - gamma p / m at m = 0.5, k = 2: states uniform in [-1, 1]^2,
 * exact targets at them, and the inputs those states plus Gaussian noise of std `noise`.
 */
function dampedRows(rng: Rng, rows: number, gamma: number, noise = 0): { x: Float64Array; dx: Float64Array } {
  const x = Float64Array.from({ length: 2 * rows }, () => 2 * rng.uniform() - 1);
  const dx = new Float64Array(2 * rows);
  for (let i = 0; i < rows; i++) {
    const [q, p] = [x[2 * i], x[2 * i + 1]];
    dx[2 * i] = p / 0.5;
    dx[2 * i + 1] = -2 * q - (gamma * p) / 0.5;
  }
  for (let i = 0; i < x.length; i++) x[i] += noise * rng.normal();
  return { x, dx };
}

/** A damped-spring dataset folder of `rows` rows per split; the script's output on it. */
function scriptOn(dir: string, rows: number, noise: number): string {
  mkdirSync(dir);
  const rng = new Rng(3);
  for (const split of ['train', 'test']) {
    const { x, dx } = dampedRows(rng, rows, 0.05, noise);
    writeFileSync(join(dir, `${split}X.npy`), encodeNpy({ data: x, shape: [rows, 2] }));
    writeFileSync(join(dir, `${split}Dx.npy`), encodeNpy({ data: dx, shape: [rows, 2] }));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ seed: 7, params: { system: 'spring', friction: 0.05 } }));
  const res = spawnSync('python3', ['scripts/spring-friction.py', dir], { encoding: 'utf8' });
  expect(res.stderr).toBe('');
  return res.stdout;
}

describe('scripts/spring-friction.py', () => {
  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  const root = scratchFolder('spring-friction-');

  it.runIf(numpy)("recovers a noise-free dataset's friction exactly both ways, with a zero standard error", () => {
    const out = scriptOn(join(root, 'damped'), 40, 0);
    for (const split of ['train', 'test'])
      expect(out).toContain(
        `seed 7 ${split}: 40 rows, friction 0.0500 +- 0.0000 by regression on the inputs, 0.0500 +- 0.0000 with the targets as regressors (true 0.05)`,
      );
  });

  it.runIf(numpy)('with noisy inputs, the regression is pulled towards zero and the targets as regressors are not', () => {
    // inputs' variance 1/3, noise 0.3: the regression's slopes shrink by (1/3) / (1/3 + 0.09) = 0.79
    const out = scriptOn(join(root, 'noisy'), 200000, 0.3);
    const train = out.match(/train: 200000 rows, friction (\S+) \+- (\S+) by regression on the inputs, (\S+) \+- (\S+) with/);
    expect(train).not.toBeNull();
    const [regression, seRegression, errorsInVariables, se] = train!.slice(1).map(Number);
    expect(Math.max(seRegression, se)).toBeLessThan(0.0015);
    expect(Math.abs(regression - 0.05 * 0.787)).toBeLessThan(4 * seRegression);
    expect(Math.abs(errorsInVariables - 0.05)).toBeLessThan(4 * se);
  });

  it.runIf(numpy)('refuses a dataset of another system, naming the fix', () => {
    const dir = join(root, 'pendulum');
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ seed: 0, params: { system: 'pendulum' } }));
    const res = spawnSync('python3', ['scripts/spring-friction.py', dir], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('not a damped mass-spring dataset');
    expect(res.stderr).toContain('hnn generate damped-spring');
  });
});
