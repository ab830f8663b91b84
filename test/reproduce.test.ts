// The paper-table logic of `hnn reproduce`: published values, scales, ratios and spreads.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStateDataset } from '../datasets/state.ts';
import { runReproduce, tableNote, type ReproduceOptions } from '../src/pipeline/reproduce.ts';
import type { ModelKind } from '../models/dynamics.ts';
import { getTask } from '../src/tasks/registry.ts';
import { fmt, markdownTable, tableRow } from '../src/pipeline/reproduce-table.ts';
import { dissipationTables, pixelSeedTable } from '../src/pipeline/reproduce-seed-tables.ts';
import { UserError } from '../src/util/errors.ts';

function run(train: number, test: number, energy: number) {
  return {
    task: 't',
    model: 'hnn' as const,
    seed: 0,
    steps: 1,
    updates: 2,
    backend: 'wasm',
    protocol: {},
    dataset: { dir: '', seed: 0, trainRows: 1, testRows: 1 },
    trainLoss: { mean: train, sem: train / 10 },
    testLoss: { mean: test, sem: test / 10 },
    energyMse: { mean: energy, ci: energy / 5 },
    trainSeconds: 1,
    msPerStep: 1,
    versions: {},
  };
}

describe('reproduce table', () => {
  it('compares with the paper at its printed scale (spring x1e3)', () => {
    const row = tableRow('spring', { hnn: [run(0.037, 0.036, 0.00038)], baseline: [run(0.037, 0.037, 0.17)] });
    expect(row.scales.testLoss).toBe(1e3);
    expect(row.cells.hnn!.testLoss.paper).toBeCloseTo(0.036, 12);
    expect(row.cells.hnn!.testLoss.ratio).toBeCloseTo(1, 12);
    expect(row.cells.baseline!.energyMse.ratio).toBeCloseTo(1, 12);
    expect(row.cells.hnn!.energyMse.oursSpread).toBeCloseTo(0.00038 / 5, 12); // single seed: the run's own interval
  });

  it('uses the pixel row’s two scales (losses x1e5, energy x1e3) and spreads across seeds', () => {
    const row = tableRow('pixel-pendulum', {
      hnn: [run(18e-5, 17e-5, 0.1e-3), run(20e-5, 19e-5, 0.2e-3)],
      baseline: [run(18e-5, 17e-5, 9.3e-3)],
    });
    expect(row.scales).toEqual({ trainLoss: 1e5, testLoss: 1e5, energyMse: 1e3 });
    expect(row.cells.hnn!.trainLoss.ours).toBeCloseTo(19e-5, 15);
    expect(row.cells.hnn!.trainLoss.ratio).toBeCloseTo(1, 12);
    // two seeds: std / sqrt(2) of (0.1e-3, 0.2e-3)
    expect(row.cells.hnn!.energyMse.oursSpread).toBeCloseTo(Math.sqrt(0.5e-8) / Math.sqrt(2), 12);
    const md = markdownTable([row], 'note');
    expect(md).toContain('| pixel-pendulum (x 1e+5) | train loss | 18 ± 1.8 | 18 ± 0.2 | 1.0 |');
    expect(md).toContain('| pixel-pendulum (x 1e+3) | energy MSE |');
  });

  it('prints values far below or above the scale in exponent form, never as 0.0000030', () => {
    expect(fmt(3e-9, 1.2e-9, 1e3)).toBe('3.0e-6 ± 1.2e-6');
    expect(fmt(0.5, null, 1e3)).toBe('5.0e+2');
    expect(fmt(0, 0, 1e3)).toBe('0 ± 0');
    expect(fmt(1.25e-4, 2e-5, 1e3)).toBe('0.13 ± 0.02');
    expect(fmt(null, null, 1)).toBe('n/a');
  });

  it('the dissipative table: three column groups beside the D-HNN paper, energy per seed, the learned friction', () => {
    const dhnn = (energy: number, learned: number, warning?: string, gamma = 0.0123) => ({
      ...run(1e-3, 1e-3, energy),
      model: 'dhnn' as const,
      dissipation: {
        gamma,
        gammaSource: 'fitted to the measured energy' as const,
        rollouts: { rate: 0, trueRate: 0, learnedGamma: learned, share: 0.1, trueShare: 0.05, points: 10 },
        test: { rate: 0, trueRate: 0, learnedGamma: learned / 2, share: 0.1, trueShare: 0.05, points: 10 },
        ...(warning ? { warning } : {}),
        description: '',
      },
    });
    const runs = {
      baseline: [run(1e-3, 1e-3, 0.4), run(1e-3, 1e-3, 0.3)],
      hnn: [run(1e-3, 1e-3, 0.01), run(1e-3, 1e-3, 0.02)],
      dhnn: [dhnn(0.002, 0.01), dhnn(0.03, 1e-15, 'D was regularised away')],
    };
    const row = tableRow('real-pendulum', runs, 'dissipative');
    // the D-HNN paper's figures (x 1e3 as printed), not the HNN paper's
    expect(row.cells.dhnn!.energyMse.paper).toBeCloseTo(1.068e-3, 12);
    expect(row.cells.baseline!.energyMse.paper).toBeCloseTo(1.167e-3, 12);
    expect(row.cells.hnn!.energyMse.paper).toBeCloseTo(10.18e-3, 12);
    expect(row.energyBySeed).toEqual({ baseline: [0.4, 0.3], hnn: [0.01, 0.02], dhnn: [0.002, 0.03] });
    expect(row.dissipation!.rollouts[0]).toBeCloseTo(0.005, 12);
    expect(row.dissipation!.test[0]).toBeCloseTo(0.0025, 12);
    const md = markdownTable([row], '');
    expect(md).toContain(
      '| Task (scale) | Metric | Baseline: ours | paper | ratio | HNN: ours | paper | ratio | D-HNN: ours | paper | ratio |',
    );
    expect(md.split('\n').filter((l) => l.startsWith('| real-pendulum'))).toHaveLength(3);
    const extra = dissipationTables([row, tableRow('spring', { hnn: [run(1, 1, 0.5)], baseline: [run(1, 1, 0.25)] }, 'dissipative')]);
    // the learned friction beside each seed's result, and the seed whose D was removed named below
    expect(extra).toContain(
      '| real-pendulum | 0 | 4.00e-1 | 1.00e-2 | **2.00e-3** | D-HNN | 0.0100 / 0.00500; 0.0123 (81.3% / 40.7% of it) |',
    );
    expect(extra).toContain(
      '| real-pendulum | 1 | 3.00e-1 | **2.00e-2** | 3.00e-2 | HNN | 1.00e-15 / 5.00e-16; 0.0123 (0.0% / 0.0% of it) (removed: see below) |',
    );
    expect(extra).toContain('- real-pendulum seed 1: D was regularised away');
    // a friction just outside a 20% band reads as such (0.03996 of 0.05 is 79.9%); none on conservative data
    const damped = dissipationTables([tableRow('damped-spring', { dhnn: [dhnn(0.002, 0.03996, undefined, 0.05)] }, 'dissipative')]);
    expect(damped).toContain('| 0.0400 / 0.0200; 0.0500 (79.9% / 40.0% of it) |');
    // each seed's cell against its own fitted friction, not the mean over seeds (0.011 here)
    const fitted = dissipationTables([
      tableRow('real-pendulum', { dhnn: [dhnn(0.002, 0.01, undefined, 0.012), dhnn(0.002, 0.01, undefined, 0.01)] }, 'dissipative'),
    ]);
    expect(fitted).toContain('| 0.0100 / 0.00500; 0.0120 (83.3% / 41.7% of it) |');
    expect(fitted).toContain('| 0.0100 / 0.00500; 0.0100 (100.0% / 50.0% of it) |');
    const ideal = dissipationTables([tableRow('spring', { dhnn: [dhnn(0.002, 1e-17, undefined, 0)] }, 'dissipative')]);
    expect(ideal).toContain('| 1.00e-17 / 5.00e-18; 0.00 |');
    expect(extra).toContain('| spring | 0 | **2.50e-1** | 5.00e-1 | - | Baseline | - |');
    // seed 0 learned 0.01 along the rollouts (81.3% of 0.0123: in the band) and 0.005 at the test inputs (out); seed 1 nothing
    expect(extra).toContain('| real-pendulum | 0.0123 (fitted) | 0.0050 ± 0.0050 | 0.0025 ± 0.0025 | 10.0% ± 0.0% | 5.0% | 1 / 0 of 2 |');
    expect(ideal).toContain('| spring | 0.0000 (fitted) | 0.0000 | 0.0000 | 10.0% | 5.0% | - |');
    // every model's test loss per seed, the median and the mean over seeds
    expect(extra).toContain('## Test loss (MSE of dx/dt) per seed');
    expect(extra).toContain("Statistic: the final model's test loss.");
    expect(extra).toContain('| real-pendulum | median | 1.00e-3 | 1.00e-3 | 1.00e-3 | - |');
    // the HNN paper's table keeps its two model groups
    expect(markdownTable([tableRow('spring', { hnn: [run(1, 1, 1)], baseline: [run(1, 1, 1)] })], '')).toContain(
      '| Task (scale) | Metric | Baseline: ours | paper | ratio | HNN: ours | paper | ratio |\n',
    );
    // no D-HNN figure for a task the D-HNN paper does not have
    expect(tableRow('damped-spring', runs, 'dissipative').cells.dhnn!.energyMse.paper).toBeNull();
  });

  it('the pixel per-seed table: energy and VPT per seed and their mean, the best in bold', () => {
    const px = (energy: number, median: number, mean: number, over50: number) => ({
      ...run(1, 1, energy),
      vptMedian: median,
      vptMean: mean,
      vptOver50: over50,
    });
    const row = tableRow('pixel-pendulum', {
      hnn: [px(0.002, 6, 40.25, 0.3), px(0.004, 3, 10, 0.1)],
      baseline: [px(0.01, 4, 5, 0), px(0.02, 3, 4, 0)],
    });
    const three = tableRow('pixel-pendulum', {
      hnn: [px(1, 40, 40, 0.3), px(1, 46.5, 50, 0.45), px(1, 67, 64, 0.65)],
      baseline: [px(1, 4.5, 4, 0), px(1, 10, 11, 0), px(1, 6, 5, 0)],
    });
    // the mean over seeds of the medians, with one decimal
    expect(pixelSeedTable([three])).toContain('| pixel-pendulum | mean | 1.00e+0 | 1.00e+0 | 6.8 / 6.7 / 0% | **51.2** / 51.3 / 47% |');
    expect(row.vptBySeed!.hnn).toEqual([
      { median: 6, mean: 40.25, over50: 0.3 },
      { median: 3, mean: 10, over50: 0.1 },
    ]);
    const md = pixelSeedTable([row]);
    expect(md).toContain('| pixel-pendulum | 0 | 1.00e-2 | **2.00e-3** | 4 / 5.0 / 0% | **6** / 40.3 / 30% |');
    // a tie on the median: no bold
    expect(md).toContain('| pixel-pendulum | 1 | 2.00e-2 | **4.00e-3** | 3 / 4.0 / 0% | 3 / 10.0 / 10% |');
    expect(md).toContain('| pixel-pendulum | mean | 1.50e-2 | **3.00e-3** | 3.5 / 4.5 / 0% | **4.5** / 25.1 / 20% |');
    // a seed whose model learned nothing is marked and never in bold, there and in the mean row
    const still = {
      againstNoMotion: { noMotionLoss: 1e-3, ratio: 1, learned: false },
      againstMeanFrame: { meanFrameLoss: 0.02, ratio: 0.1, learned: true },
    };
    const marked = pixelSeedTable([
      tableRow('pixel-pendulum', {
        hnn: [{ ...px(0.002, 6, 40.25, 0.3), ...still }, px(0.004, 3, 10, 0.1)],
        baseline: [px(0.01, 4, 5, 0), px(0.02, 3, 4, 0)],
      }),
    ]);
    expect(marked).toContain('| pixel-pendulum | 0 | **1.00e-2** | 2.00e-3 † | **4** / 5.0 / 0% | 6 / 40.3 / 30% |');
    expect(marked).toContain('| pixel-pendulum | 1 | 2.00e-2 | **4.00e-3** | 3 / 4.0 / 0% | 3 / 10.0 / 10% |');
    expect(marked).toContain('| pixel-pendulum | mean | **1.50e-2** | 3.00e-3 † | **3.5** / 4.5 / 0% | 4.5 / 25.1 / 20% |');
    // state rows have no VPT, and a table of them none of this section
    expect(pixelSeedTable([tableRow('spring', { hnn: [run(1, 1, 1)], baseline: [run(1, 1, 1)] })])).toBe('');
  });

  it("names the D-HNN paper's figures' source, and says so when it gives none for the table's tasks", () => {
    const o = { tasks: [], seeds: 3, reference: 'dissipative', backend: 'auto' } as unknown as ReproduceOptions;
    const r = { models: ['baseline', 'hnn', 'dhnn'] as ModelKind[], seconds: 60, reused: 0, planned: 9, latentDecay: null };
    expect(tableNote(o, [getTask('damped-spring')], r)).toContain('It gives no figure for any task of this table.');
    const grid = tableNote(o, [getTask('damped-spring-grid')], r);
    expect(grid).toContain('Its figures here come from the outputs of analyze_dampedspring.ipynb');
    expect(grid).not.toContain('no figure');
  });

  it("titles a table the HNN paper's only when one of its tasks has the paper's figures", () => {
    const o = { tasks: [], seeds: 3, backend: 'auto' } as unknown as ReproduceOptions;
    const r = { models: ['baseline', 'hnn'] as ModelKind[], seconds: 60, reused: 0, planned: 6, latentDecay: null };
    const title = (names: string[]) => tableNote(o, names.map(getTask), r).split('\n')[0];
    expect(title(['spring', 'damped-pendulum'])).toBe("# HNN reproduction: ours beside the paper's Table 1");
    expect(title(['damped-pendulum', 'damped-spring'])).toBe(
      '# HNN and baseline on damped-pendulum, damped-spring (the paper has no figures for these tasks: its columns read n/a)',
    );
  });

  it('marks tasks the paper does not have', () => {
    const row = tableRow('damped-pendulum', { hnn: [run(1, 1, 1)], baseline: [run(1, 1, 1)] });
    expect(row.cells.hnn!.energyMse.paper).toBeNull();
    expect(markdownTable([row], '')).toContain('n/a');
  });

  it('refuses a pixel-only option without the pixel task', async () => {
    const springOnly = {
      tasks: ['spring'],
      seeds: 1,
      outDir: join(tmpdir(), 'unused'),
      quick: true,
      backend: 'cpu',
      force: false,
      quiet: true,
    };
    await expect(runReproduce({ ...springOnly, dynamicsWeightDecay: 1e-5 })).rejects.toThrow(
      /--dynamics-weight-decay applies to pixel tasks only/,
    );
    await expect(runReproduce({ ...springOnly, latentStep: 'leapfrog' })).rejects.toThrow(/--latent-step applies to pixel tasks only/);
  });

  it('evaluates a reused pixel run again, without retraining, when its task now scores with another latent map or integrator', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hnn-repro-map-'));
    const o = {
      tasks: ['pixel-two-body'],
      seeds: 1,
      outDir: out,
      quick: true,
      backend: 'wasm',
      force: false,
      quiet: true,
      jobs: 1,
      steps: 3,
    };
    await runReproduce(o);
    const path = join(out, 'pixel-two-body', 'seed0', 'hnn', 'metrics.json');
    const fresh = JSON.parse(readFileSync(path, 'utf8'));
    expect(fresh.rollout.latentMap).toBe('quadratic'); // the task's map (src/tasks/builtin/two-body.ts)
    // as a run scored before quadratic maps existed: no latentMap field, another energy
    const { latentMap, ...rollout } = fresh.rollout;
    expect(latentMap).toBe('quadratic');
    writeFileSync(path, JSON.stringify({ ...fresh, rollout, energyMse: { ...fresh.energyMse, mean: 123 } }));
    await runReproduce(o);
    const again = JSON.parse(readFileSync(path, 'utf8'));
    expect(again.rollout.latentMap).toBe('quadratic');
    expect(again.energyMse.mean).toBe(fresh.energyMse.mean); // the same model scored the same way
    expect(again.trainSeconds).toBe(fresh.trainSeconds); // not retrained
    // as a run of the default loss scored before it was rolled out with its own step: by RK45
    expect(fresh.rollout.integrator).toBe('leapfrog-frame');
    writeFileSync(path, JSON.stringify({ ...fresh, rollout: { ...fresh.rollout, integrator: 'rk45' }, vptPerTrial: [-1] }));
    await runReproduce(o);
    const third = JSON.parse(readFileSync(path, 'utf8'));
    expect(third.rollout.integrator).toBe('leapfrog-frame');
    expect(third.vptPerTrial).toEqual(fresh.vptPerTrial);
    expect(third.trainSeconds).toBe(fresh.trainSeconds);
    // the task's rollouts are projected by the autoencoder (src/tasks/builtin/two-body.ts); asked for none,
    // the same model is evaluated again without it, and the table says so
    expect(fresh.rollout.projection).toBe('autoencoder');
    await runReproduce({ ...o, projection: 'none' });
    const plain = JSON.parse(readFileSync(path, 'utf8'));
    expect(plain.rollout.projection).toBe('none');
    expect(plain.trainSeconds).toBe(fresh.trainSeconds);
    expect(plain.rollout.latentMapR2).toEqual(fresh.rollout.latentMapR2); // the same model and map
    expect(plain.energyMse.perTrial).not.toEqual(fresh.energyMse.perTrial);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/Rollouts not projected: --projection none/);
    // a run scored before projections existed (no field) counts as unprojected: evaluated again with the task's
    const { projection, ...unrecorded } = plain.rollout;
    expect(projection).toBe('none');
    writeFileSync(path, JSON.stringify({ ...plain, rollout: unrecorded }));
    await runReproduce(o);
    const back = JSON.parse(readFileSync(path, 'utf8'));
    expect(back.rollout.projection).toBe('autoencoder');
    expect(back.energyMse.perTrial).toEqual(fresh.energyMse.perTrial);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/Rollouts of pixel-two-body are projected after every frame/);
    // a dataset drawn by the scene before version 2 is refused, not scored against frames drawn now
    const manifestPath = join(out, 'pixel-two-body', 'seed0', 'dataset', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.params.sceneVersion;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await expect(runReproduce(o)).rejects.toThrow(/drawn by version 1 of its scene.*use another --out or pass --force/);
  }, 480_000); // five reproductions, four of them evaluating two-body rollouts projected frame by frame

  it('refuses to reuse a dataset made by another generator version', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hnn-repro-'));
    const dataDir = join(out, 'spring', 'seed0', 'dataset');
    writeStateDataset(dataDir, 'spring', 0);
    const manifestPath = join(dataDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.params.generatorVersion = 1;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const run = runReproduce({ tasks: ['spring'], seeds: 1, outDir: out, quick: true, backend: 'cpu', force: false, quiet: true });
    await expect(run).rejects.toThrow(
      new UserError(
        `${dataDir} was made by dataset generator version 1, this version makes 2: use another --out or pass --force to regenerate it and retrain`,
      ),
    );
  });
});
