// A model that learned nothing (a state model not clearly better than predicting no motion; a pixel
// model whose latent step is not clearly better than a still latent, or whose reconstruction is not
// clearly better than the mean pair) gets rollout metrics that say nothing: a field that barely moves
// conserves energy by construction, so its energy MSE is near 0. The checks, by hand; a real run that
// collapses (spring, --lr 0.9) warns and records it, as does a pixel run stopped early; a sweep
// leaves its rollout metrics out of the ranking; a reproduction's table marks them.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { againstNoMotion, LEARNED_RATIO } from '../src/eval/derivative.ts';
import { MEAN_FRAME_REASON, STILL_LATENT_REASON, meanPairLosses, pixelAgainstTrivial } from '../src/eval/pixel-learned.ts';
import { learnedNothing } from '../src/pipeline/metrics.ts';
import { formatSummary, type MainJobSummary } from '../src/pipeline/main-job.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { runRollout } from '../src/pipeline/rollout.ts';
import { generatePixelDataset } from '../datasets/pixel.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { planRun } from '../src/pipeline/sweep/plan.ts';
import { resultsMarkdown, sweepResults, type RunRecord } from '../src/pipeline/sweep/results.ts';
import { summarizeMetrics } from '../src/pipeline/sweep/summary.ts';
import { markdownTable, tableRow } from '../src/pipeline/reproduce-table.ts';
import { dissipationTables } from '../src/pipeline/reproduce-seed-tables.ts';
import { hnn } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-learned-nothing-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// three rows of two components; the no-motion field's squared errors are the squared targets
const dx = Float64Array.of(1, 2, 2, 0, 0, 3);
const split = { x: new Float64Array(6), dx, rows: 3 };
const targetsSquared = Array.from(dx, (v) => v * v); // 1 4 4 0 0 9: mean 18 / 6 = 3

describe('a model against a field predicting no motion', () => {
  it('by hand: the loss ratio, and learned only when clearly below no motion', () => {
    const same = againstNoMotion(targetsSquared, split, 2);
    expect(same).toEqual({ noMotionLoss: 3, ratio: 1, learned: false });
    // a tenth of each error: ratio 0.1, every row's paired difference negative
    const good = againstNoMotion(
      targetsSquared.map((v) => v / 10),
      split,
      2,
    );
    expect(good.ratio).toBeCloseTo(0.1, 12);
    expect(good.learned).toBe(true);
    // every row a little better (ratio 0.95): consistent, but above LEARNED_RATIO
    const little = againstNoMotion(
      targetsSquared.map((v) => 0.95 * v),
      split,
      2,
    );
    expect(little.ratio).toBeCloseTo(0.95, 12);
    expect(LEARNED_RATIO).toBe(0.9);
    expect(little.learned).toBe(false);
    // ratio 0.5 on average, but one row no better: the paired differences of the row means are -2.5,
    // -2, 0 (rows 1 4 / 4 0 / 0 9 against 0 0 / 0 0 / 9 0): mean -1.5, std/sqrt(3) 0.764, so
    // mean + 2 sem = 0.03 is not below 0
    const mixed = againstNoMotion([0, 0, 0, 0, 9, 0], split, 2);
    expect(mixed.ratio).toBeCloseTo(0.5, 12);
    expect(mixed.learned).toBe(false);
  });

  it('pixel models by hand: the latent step against a still latent, the reconstruction against the mean pair', () => {
    // two test rows of width 2; the mean pair of the training rows (0 0, 2 4) is 1 2
    const train = { x: Float32Array.of(0, 0, 2, 4), next: new Float32Array(4), rows: 2 };
    const test = { x: Float32Array.of(3, 2, 1, 4), next: new Float32Array(4), rows: 2 };
    expect(Array.from(meanPairLosses(test, train))).toEqual([2, 2]); // (4 + 0) / 2, (0 + 4) / 2
    // latents of dimension 2: still latent's losses (z_next - z)^2 averaged: (1 + 1) / 2 = 1, (4 + 0) / 2 = 2
    const z = Float64Array.of(0, 0, 1, 1);
    const zNext = Float64Array.of(1, 1, 3, 1);
    const good = pixelAgainstTrivial({ hnn: Float64Array.of(0.1, 0.2), recon: Float64Array.of(0, 0.1) }, z, zNext, 2, test, train);
    expect(good.againstNoMotion.noMotionLoss).toBe(1.5);
    expect(good.againstNoMotion.ratio).toBeCloseTo(0.1, 12);
    expect(good.againstNoMotion.learned).toBe(true);
    expect(good.againstMeanFrame.meanFrameLoss).toBe(2);
    expect(good.againstMeanFrame.ratio).toBeCloseTo(0.025, 12);
    expect(learnedNothing(good)).toBeNull();
    // a latent that does not move at all: the reference is 0, so the ratio is 1 and nothing was learned
    const frozen = pixelAgainstTrivial({ hnn: Float64Array.of(1e-12, 0), recon: Float64Array.of(2, 2) }, z, z, 2, test, train);
    expect(frozen.againstNoMotion).toEqual({ noMotionLoss: 0, ratio: 1, learned: false });
    expect(frozen.againstMeanFrame.ratio).toBe(1);
    expect(learnedNothing(frozen)).toEqual({
      why:
        "its reconstruction's test loss is 1.00 times that of the training frames' mean pair (2.000e+0); " +
        "its latent step's test loss is 1.00 times that of a latent that stays still (0.000e+0)",
      reason: `${MEAN_FRAME_REASON}; ${STILL_LATENT_REASON}`,
    });
  });

  it('a pixel run stopped early records both checks and warns; the main job then compares no energies', async () => {
    const ds = join(root, 'pixel-data');
    await generatePixelDataset(pixelPendulumTask, { out: ds, trials: 6, frames: 24, size: 8, seed: 2, quiet: true, samples: 2 });
    const r = await runPixelExperiment({
      kind: 'hnn',
      seed: 0,
      steps: 3,
      dataDir: ds,
      quiet: true,
      frames: 10,
      outDir: join(root, 'pixel'),
    });
    const m = r.metrics!;
    expect(m.againstNoMotion?.learned).toBe(false);
    expect(m.againstMeanFrame?.ratio).toBeGreaterThan(0.9);
    expect(learnedNothing(m)?.why).toMatch(/^its reconstruction's test loss is \d\.\d+ times that of the training frames' mean pair/);
    const summary = formatSummary({
      models: { hnn: { dir: 'h', metrics: m, reused: false }, baseline: { dir: 'b', metrics: m, reused: false } },
      steps: 3,
      protocolSteps: 3000,
      backend: 'ort-cpu',
      seconds: 1,
      rollout: { videos: [], energyPlot: 'e.png', notes: [] },
    } as unknown as MainJobSummary);
    expect(summary).toMatch(/WARNING: the HNN learned nothing: its reconstruction's test loss/);
    expect(summary).toContain('energy MSE: not compared (a model learned nothing; train longer)');
    // its rollout video comes with the warning, once
    const roll = await runRollout({
      modelDirs: { hnn: join(root, 'pixel', 'model') },
      out: join(root, 'roll.gif'),
      frames: 10,
      quiet: true,
    });
    expect(roll.notes.filter((n) => /^WARNING: the HNN learned nothing \(.*metrics\.json: its reconstruction's/.test(n))).toHaveLength(1);
  });

  it('a spring run that collapses (--lr 0.9) warns, records it, and a sound one does not', () => {
    const out = join(root, 'collapsed');
    const r = hnn(['train', '--task', 'spring', '--lr', '0.9', '--steps', '100', '--eval', 'quick', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/WARNING: the model learned nothing: its test loss is 0\.9\d+ times that of predicting no motion/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { againstNoMotion: { ratio: number; learned: boolean } };
    expect(m.againstNoMotion.learned).toBe(false);
    expect(m.againstNoMotion.ratio).toBeGreaterThan(0.95);
    const sound = join(root, 'sound');
    const s = hnn(['train', '--task', 'spring', '--steps', '300', '--eval', 'quick', '--out', sound]);
    expect(s.stdout).not.toMatch(/WARNING/);
    const n = JSON.parse(readFileSync(join(sound, 'metrics.json'), 'utf8')) as { againstNoMotion: { ratio: number; learned: boolean } };
    expect(n.againstNoMotion.learned).toBe(true);
    expect(n.againstNoMotion.ratio).toBeLessThan(0.1);
  });

  it('a sweep leaves the rollout metrics of a model that learned nothing out, so it ranks last', () => {
    const metrics = (energy: number, learned: boolean) => ({
      steps: 1,
      backend: 'ort-cpu',
      trainSeconds: 1,
      msPerStep: 1,
      trainLoss: { mean: 0.1 },
      testLoss: { mean: learned ? 0.04 : 0.78 },
      energyMse: { mean: energy },
      againstNoMotion: { noMotionLoss: 0.78, ratio: learned ? 0.05 : 0.995, learned },
    });
    expect(summarizeMetrics(metrics(3e-9, false))).toMatchObject({
      metrics: { testLoss: 0.78 },
      learnedNothing: 'its test loss is 0.995 times that of predicting no motion (7.800e-1)',
    });
    expect(summarizeMetrics(metrics(2e-4, true)).learnedNothing).toBeUndefined();
    expect(summarizeMetrics(metrics(3e-9, false)).metrics.energyMse).toBeUndefined();
    const records: RunRecord[] = [];
    for (const lr of [1e-3, 0.9])
      for (const seed of [0, 1]) {
        const run = planRun('s', { task: 'spring', model: 'hnn', seed, train: { lr }, data: {} });
        records.push({ run, state: 'completed', summary: summarizeMetrics(metrics(lr === 0.9 ? 3e-9 : 2e-4, lr !== 0.9)) });
      }
    const res = sweepResults('s', 'energyMse', ['lr'], records);
    expect(res.groups.map((g) => [g.options.lr, g.metrics.energyMse?.mean, g.learnedNothing])).toEqual([
      [1e-3, 2e-4, 0],
      [0.9, undefined, 2],
    ]);
    expect(res.learnedNothing.map((l) => l.why)).toEqual(
      Array(2).fill('its test loss is 0.995 times that of predicting no motion (7.800e-1)'),
    );
    const md = resultsMarkdown(res);
    expect(md).toMatch(/\| 2 \| spring \| hnn \| 0\.9 \| 2 \(2 learned nothing\) \| - \|/);
    expect(md).toMatch(/## Runs whose model learned nothing/);
  });

  it("a reproduction's table marks the energy MSE of a model that learned nothing and says why", () => {
    const run = (energy: number, learned: boolean) => ({
      task: 'spring',
      model: 'hnn' as const,
      seed: 0,
      steps: 1,
      updates: 2,
      backend: 'ort-cpu',
      protocol: {},
      dataset: { dir: '', seed: 0, trainRows: 1, testRows: 1 },
      trainLoss: { mean: 0.1, sem: 0.01 },
      testLoss: { mean: 0.1, sem: 0.01 },
      energyMse: { mean: energy, ci: energy / 5 },
      againstNoMotion: { noMotionLoss: 0.78, ratio: learned ? 0.05 : 0.995, learned },
      trainSeconds: 1,
      msPerStep: 1,
      versions: {},
    });
    const row = tableRow('spring', { hnn: [run(3e-9, false)], baseline: [run(0.02, true)] });
    expect(row.learnedNothing).toMatchObject([
      { kind: 'hnn', seed: 0, why: 'its test loss is 0.995 times that of predicting no motion (7.800e-1)' },
    ]);
    const md = markdownTable([row], 'note');
    expect(md).toMatch(/\| spring \(x 1e\+3\) \| energy MSE \| 20 ± 4 \| [^|]+ \| [^|]+ \| 3\.0e-6 ± 6\.0e-7 † \| [^|]+ \| 7\.9e-6 \|/);
    // the per-seed energy table never names it the lowest
    const perSeed = dissipationTables([tableRow('spring', { hnn: [run(3e-9, false)], baseline: [run(0.02, true)] }, 'dissipative')]);
    expect(perSeed).toContain('| spring | 0 | **2.00e-2** | 3.00e-9 † | Baseline |');
    // and where every model learned nothing, none is bold and none the lowest
    const none = dissipationTables([tableRow('spring', { hnn: [run(3e-9, false)], baseline: [run(0.02, false)] }, 'dissipative')]);
    expect(none).toContain('| spring | 0 | 2.00e-2 † | 3.00e-9 † | - |');
    expect(md).toMatch(
      /^† spring HNN, seed 0: the model learned nothing: its test loss is 0\.995 times that of predicting no motion \(7\.800e-1\)\. Its energy MSE/m,
    );
  });
});
