// scripts/spring-friction.py (the friction a damped-spring dataset carries, by least squares) on a
// dataset whose answer is known by construction: noise-free rows of the damped field with gamma 0.05.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodeNpy } from '../src/util/npy.ts';
import { Rng } from '../src/util/rng.ts';
import { scratchFolder } from './helpers/scratch.ts';

/** Rows of dq/dt = p / m, dp/dt = -k q - gamma p / m at m = 0.5, k = 2, inputs uniform in [-1, 1]^2. */
function dampedRows(rng: Rng, rows: number, gamma: number): { x: Float64Array; dx: Float64Array } {
  const x = Float64Array.from({ length: 2 * rows }, () => 2 * rng.uniform() - 1);
  const dx = new Float64Array(2 * rows);
  for (let i = 0; i < rows; i++) {
    const [q, p] = [x[2 * i], x[2 * i + 1]];
    dx[2 * i] = p / 0.5;
    dx[2 * i + 1] = -2 * q - (gamma * p) / 0.5;
  }
  return { x, dx };
}

describe('scripts/spring-friction.py', () => {
  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  const root = scratchFolder('spring-friction-');

  it.runIf(numpy)("recovers a noise-free dataset's friction exactly, with a zero standard error", () => {
    const dir = join(root, 'damped');
    mkdirSync(dir);
    const rng = new Rng(3);
    for (const split of ['train', 'test']) {
      const { x, dx } = dampedRows(rng, 40, 0.05);
      writeFileSync(join(dir, `${split}X.npy`), encodeNpy({ data: x, shape: [40, 2] }));
      writeFileSync(join(dir, `${split}Dx.npy`), encodeNpy({ data: dx, shape: [40, 2] }));
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ seed: 7, params: { system: 'spring', friction: 0.05 } }));
    const res = spawnSync('python3', ['scripts/spring-friction.py', dir], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('seed 7 train: 40 rows, friction 0.0500 +- 0.0000 (true 0.05)');
    expect(res.stdout).toContain('seed 7 test: 40 rows, friction 0.0500 +- 0.0000 (true 0.05)');
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
