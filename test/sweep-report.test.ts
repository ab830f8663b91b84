// The report of a finished sweep (`hnn sweep` / `hnn sweep report`): results.md, results.json, one
// plot per metric and swept option, and index.html, opened in Debian's Chromium (playwright-core, as
// test/browser.test.ts drives it): the table best first, every plot drawn, the failed run listed, no
// console error. Without Chromium (a developer's machine) the page checks are skipped by name; CI
// installs Chromium (.ci/run).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { CHROMIUM, FLAGS } from './helpers/chromium.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRun } from '../src/pipeline/sweep/plan.ts';
import { writeReport, type ReportFiles } from '../src/pipeline/sweep/report.ts';
import { sweepResults, type RunRecord } from '../src/pipeline/sweep/results.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-sweep-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two models x two decays x two seeds, energy MSE known by construction; one run failed. */
function records(): RunRecord[] {
  const out: RunRecord[] = [];
  for (const model of ['hnn', 'baseline'])
    for (const decay of [1e-6, 1e-5])
      for (const seed of [0, 1]) {
        const run = planRun('rep', { task: 'pixel-pendulum', model, seed, train: { 'dynamics-weight-decay': decay }, data: {} });
        if (model === 'baseline' && decay === 1e-5 && seed === 1) {
          out.push({ run, state: 'failed', error: 'training diverged at step 3\n  at x', attempts: 3 });
          continue;
        }
        const energy = (model === 'hnn' ? 1 : 10) * (decay === 1e-6 ? 1 : 2) * (1 + seed);
        const summary = {
          steps: 10,
          backend: 'wasm',
          trainSeconds: 1,
          msPerStep: 1,
          metrics: { energyMse: energy, testLoss: energy / 10, vptMedian: 5 + seed },
        };
        out.push({ run, state: 'completed', summary });
      }
  return out;
}

let files: ReportFiles;
beforeAll(async () => {
  files = await writeReport(sweepResults('rep', 'energyMse', ['model', 'dynamics-weight-decay'], records()), join(dir, 'report'));
});

describe('the report of a sweep', () => {
  it('writes the table best first, the failures and a plot per metric and swept option', () => {
    const res = JSON.parse(readFileSync(files.json, 'utf8')) as ReturnType<typeof sweepResults>;
    expect(res.groups.map((g) => [g.model, g.options['dynamics-weight-decay'], g.metrics.energyMse.mean])).toEqual([
      ['hnn', 1e-6, 1.5],
      ['hnn', 1e-5, 3],
      ['baseline', 1e-6, 15],
      ['baseline', 1e-5, 20],
    ]);
    expect(res.runs).toEqual({ total: 8, completed: 7, failed: 1, pending: 0 });
    expect(readFileSync(files.markdown, 'utf8')).toMatch(/\| 4 \| pixel-pendulum \| baseline \| 0\.00001 \| 1 \(\+1 failed\) \| 20\.0 \|/);
    // 3 metrics x 2 swept options (the decay and the model)
    expect(files.plots.map((p) => p.file).sort()).toEqual(
      ['energyMse', 'testLoss', 'vptMedian'].flatMap((m) => [`${m}-vs-dynamics-weight-decay.png`, `${m}-vs-model.png`]).sort(),
    );
  });

  it.runIf(!!process.env.CI)('has Chromium to open the page where CI runs (.ci/run installs it)', () => {
    expect(CHROMIUM).not.toBeNull();
  });

  it.skipIf(!CHROMIUM)('opens in Chromium: the table, every plot drawn, the failed run, no console error', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: FLAGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(files.page).href);
      await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 20_000 });
      const rows = await page.$$eval('#results tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      expect(rows.map((r) => [r[2], r[3]])).toEqual([
        ['hnn', '0.000001'],
        ['hnn', '0.00001'],
        ['baseline', '0.000001'],
        ['baseline', '0.00001'],
      ]);
      expect(rows[0][5]).toBe('1.50 ± 0.500');
      const sizes = await page.$$eval('#plots img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
      expect(sizes).toHaveLength(6);
      for (const w of sizes) expect(w).toBe(800);
      expect(await page.textContent('#failures')).toMatch(
        /pixel-pendulum baseline seed 1 dynamics-weight-decay=0\.00001 .*training diverged at step 3$/,
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
