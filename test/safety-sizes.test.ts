// Problem 4 of the reliability issue: sizes are bounded before work starts. `--size 200` used to pass
// 6 GB at 37% of rendering, `rollout --frames 100000000` grew for minutes printing nothing, and
// impossible sizes ended in RangeError stack traces. Each is now refused at once, with the estimate.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStateDataset } from '../datasets/state.ts';
import { pixelDatasetBytes } from '../datasets/pixel.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { checkMemory, formatBytes, memoryBudget } from '../src/util/memory.ts';
import { UserError } from '../src/util/errors.ts';
import { expectOneLineError, hnn } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-size-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sizes are bounded before work starts', () => {
  it('refuses a pixel dataset whose arrays could not be read back, naming its size, and writes nothing', () => {
    const out = join(root, 'huge');
    const r = hnn(['generate', 'pixel-pendulum', '--out', out, '--size', '2000']);
    expectOneLineError(
      r,
      /the pixel-pendulum dataset \(200 trials of 103 frames of 2000x2000\): its largest array would be [\d.]+ [GT]B, .*: use fewer --trials or --frames, or a smaller --size/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a single array over the 2 GiB limit even when memory would allow it', () => {
    // at 300x300 the train pairs of 60 trials are 3.5 GB: refused before any work, whatever the disk
    expect(pixelDatasetBytes(pixelPendulumTask, { trials: 60, frames: 103, size: 300 }).largestArray).toBeGreaterThan(2 ** 31);
    const out = join(root, 'big-array');
    expectOneLineError(
      hnn(['generate', 'pixel-pendulum', '--out', out, '--trials', '60', '--size', '300']),
      /its largest array would be 3\.\d+ GB, over the 2\.1 GB that one array may hold/,
    );
    expect(existsSync(out)).toBe(false);
    expect(() => checkMemory('x', { big: 3e9 }, 'fix')).toThrow(
      memoryBudget() > 3e9 ? /over the 2\.1 GB limit of one array/ : /would need about/,
    );
  });

  it('refuses a rollout of 100000000 frames before loading anything', () => {
    const r = hnn(['rollout', '--model', join(root, 'no-such-model'), '--out', join(root, 'r.gif'), '--frames', '100000000']);
    expectOneLineError(r, /a rollout of 100000000 frames would need about [\d.]+ TB of memory/);
  });

  it('refuses an impossible state dataset with a UserError, not a RangeError', () => {
    expect(() => buildStateDataset('two-body', 0, { trajectories: 2e9 })).toThrow(UserError);
    expect(() => buildStateDataset('two-body', 0, { trajectories: 2e9 })).toThrow(/would need about .* of memory/);
  });

  it('formats sizes for people', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1.5e9)).toBe('1.50 GB');
    expect(formatBytes(2.5e13)).toBe('25.0 TB');
  });
});
