// Imported datasets trained and evaluated as ordinary tasks: by name with a dataset (as a sweep
// would), metrics.json without energyMse unless the states came with an energy, the learned H's
// drift for the HNN and none for the baseline, and `hnn rollout`'s comparison over every held-out trial.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { importStates } from '../datasets/import-states.ts';
import { importVideo } from '../datasets/import-video.ts';
import { runStateExperiment } from '../src/pipeline/state.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { learnedNothing } from '../src/pipeline/metrics.ts';
import { runRollout } from '../src/pipeline/rollout.ts';
import { initBackend } from '../src/tf/backend.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-import-train-'));

beforeAll(async () => {
  await initBackend('wasm');
});

describe('state-import runs', () => {
  test('train by name with --data; energy MSE only with an energy expression; the HNN reports its H drift', async () => {
    // a harmonic oscillator, 6 trajectories
    const rows = ['k,t,x,v'];
    for (let k = 0; k < 6; k++)
      for (let i = 0; i < 25; i++) rows.push(`${k},${i * 0.1},${(1 + k / 5) * Math.cos(i * 0.1)},${-(1 + k / 5) * Math.sin(i * 0.1)}`);
    writeFileSync(join(dir, 'osc.csv'), rows.join('\n'));
    importStates(join(dir, 'osc.csv'), join(dir, 'plain'), { columns: ['x', 'v'], time: 't', trial: 'k', targets: 'central' });
    importStates(join(dir, 'osc.csv'), join(dir, 'energy'), { columns: ['x', 'v'], time: 't', trial: 'k', energy: '0.5*(q^2 + p^2)' });
    const base = { seed: 0, steps: 20, backend: 'wasm', quiet: true, plots: false } as const;
    const hnn = await runStateExperiment({
      ...base,
      task: 'state-import',
      kind: 'hnn',
      dataDir: join(dir, 'plain'),
      outDir: join(dir, 'r1'),
    });
    expect(hnn.imported).toBe(true);
    const m1 = JSON.parse(readFileSync(join(dir, 'r1', 'metrics.json'), 'utf8'));
    expect(m1.task).toBe('state-import');
    expect(m1.energyMse).toBeUndefined();
    expect(m1.rollouts.segments).toBe(1);
    expect(m1.learnedEnergyDrift.mean).toBeGreaterThanOrEqual(0);
    const r2 = await runStateExperiment({
      ...base,
      task: 'state-import',
      kind: 'baseline',
      dataDir: join(dir, 'energy'),
      outDir: join(dir, 'r2'),
    });
    const m2 = JSON.parse(readFileSync(join(dir, 'r2', 'metrics.json'), 'utf8'));
    expect(m2.learnedEnergyDrift).toBeNull();
    expect(m2.energyMse.mean).toBeGreaterThan(0);
    expect(r2.imported && r2.metrics.energyMse?.mean).toBe(m2.energyMse.mean);
    await expect(runStateExperiment({ ...base, task: 'state-import', kind: 'hnn', outDir: join(dir, 'r3') })).rejects.toThrow(
      /pass --data DIR/,
    );
  });
});

describe('pixel-import runs', () => {
  test("HNN and baseline train by the dataset alone; the rollout compares them under the HNN's H", async () => {
    const video = join(dir, 'v.mkv');
    const src = 'color=c=0x405060:s=32x32:r=10:d=6[bg];color=c=0xf0a020:s=6x6:r=10:d=6[sq];[bg][sq]overlay=x=13+9*sin(2*t):y=13[out0]';
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', src, '-c:v', 'ffv1', video], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const data = join(dir, 'px');
    await importVideo(video, data, { size: 8, grey: true, trialFrames: 10, quiet: true });
    for (const kind of ['hnn', 'baseline'] as const) {
      const res = await runPixelExperiment({
        kind,
        seed: 0,
        steps: 5,
        dataDir: data,
        outDir: join(dir, kind),
        quiet: true,
        backend: 'wasm',
      });
      expect(res.importedMetrics?.task).toBe('pixel-import');
      const m = JSON.parse(readFileSync(join(dir, kind, 'metrics.json'), 'utf8'));
      expect(m.energyMse).toBeUndefined();
      expect(m.vptPerTrial).toHaveLength(1);
      expect(m.rollout.frames).toBe(9);
      expect(m.pixelMse.mean).toBeGreaterThan(0);
      // five updates learn nothing, and the run records it against the still latent and the mean pair
      expect(learnedNothing(m)?.why).toMatch(/reconstruction's test loss is .* mean pair/);
      expect(m.againstNoMotion.learned).toBe(false);
      if (kind === 'hnn') expect(m.learnedEnergyDrift.latent.perTrial).toHaveLength(1);
      else expect(m.learnedEnergyDrift).toBeNull();
    }
    const out = join(dir, 'roll.gif');
    const roll = await runRollout({
      modelDirs: { hnn: join(dir, 'hnn', 'model'), baseline: join(dir, 'baseline', 'model') },
      out,
      quiet: true,
      backend: 'wasm',
    });
    expect(roll.notes.join()).toMatch(/rolled out 9 frames, not 200/);
    const c = JSON.parse(readFileSync(join(dir, 'roll.json'), 'utf8')).comparison;
    expect(c.reference).toBe('hnn');
    expect(c.models.baseline.hDrift.perTrial).toHaveLength(1);
    expect(c.truthHDrift.mean).toBeGreaterThanOrEqual(0);
    // the HNN's own pixel MSE in the comparison is the one its evaluation measured
    const m = JSON.parse(readFileSync(join(dir, 'hnn', 'metrics.json'), 'utf8'));
    expect(c.models.hnn.pixelMseMean).toBeCloseTo(m.pixelMse.mean, 10);
  });
});
