// The main job (`npm start`) on a few steps: a second run reuses finished models; a run with
// other settings keeps the earlier models beside the new ones instead of overwriting them.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN_JOB_LATENT_STEP, runMainJob } from '../src/pipeline/main-job.ts';
import { moveAside } from '../src/util/files.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';

describe('main job', () => {
  it('reuses finished models, and keeps ones that do not fit instead of overwriting them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hnn-main-'));
    const first = await runMainJob({ outDir: out, steps: 2, quiet: true, backend: 'wasm' });
    expect(first.models.hnn.reused).toBe(false);
    expect(existsSync(first.rollout.videos[0])).toBe(true);
    const again = await runMainJob({ outDir: out, steps: 2, quiet: true, backend: 'wasm' });
    expect(again.models.hnn.reused && again.models.baseline.reused).toBe(true);

    const other = await runMainJob({ outDir: out, steps: 3, quiet: true, backend: 'wasm' });
    expect(other.models.hnn.reused).toBe(false);
    expect(other.models.hnn.metrics.steps).toBe(3);
    // the 2-step models are kept beside the new ones
    for (const kind of ['hnn', 'baseline']) {
      expect(JSON.parse(readFileSync(join(out, `${kind}.previous-1`, 'metrics.json'), 'utf8')).steps).toBe(2);
    }
    // the models trained side by side in job processes are the ones a run alone in this process makes
    const solo = join(out, 'solo');
    await runPixelExperiment({
      task: 'pixel-pendulum',
      kind: 'hnn',
      seed: 0,
      steps: 3,
      dataDir: join(out, 'dataset'),
      outDir: solo,
      backend: 'wasm',
      quiet: true,
      loss: { latentStep: MAIN_JOB_LATENT_STEP }, // the main job's (Euler), not the default leapfrog
    });
    expect(other.models.hnn.metrics.protocol.loss).toMatchObject({ latentStep: 'euler', rolloutSteps: 4 });
    // Buffer.equals: toEqual walks a 3 MB buffer element by element (seconds under load)
    const soloWeights = readFileSync(join(solo, 'model', 'weights.bin'));
    expect(soloWeights.length).toBeGreaterThan(0);
    expect(soloWeights.equals(readFileSync(join(out, 'hnn', 'model', 'weights.bin')))).toBe(true);
  }, 240_000);

  it('moveAside picks the first free name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnn-aside-'));
    const a = join(dir, 'run');
    for (const n of [1, 2]) {
      mkdirSync(a);
      writeFileSync(join(a, 'mark'), String(n));
      expect(moveAside(a)).toBe(`${a}.previous-${n}`);
    }
    expect(readFileSync(join(dir, 'run.previous-2', 'mark'), 'utf8')).toBe('2');
    expect(existsSync(a)).toBe(false);
  });
});
