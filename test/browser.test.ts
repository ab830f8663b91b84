// The page of `hnn web` in a real browser (Debian's Chromium, driven by playwright-core): a site of
// two small pixel models trained here, served by `hnn serve`'s server. The page must load without
// a console error and be ready (models loaded, first frame drawn) within 3 s; play at 30 frames/s
// or more; draw the decoded frames Node's `hnn rollout` computes (within 1e-4); start again from a
// body dragged with pointer events; train a spring HNN whose losses are Node's, whose gradient
// passes the finite-difference check and whose step takes at most 1.5x Node's training step; and
// show itself in a screenshot. Without Chromium (a developer's machine) the site is still built and served, and the
// browser tests are reported as skipped, by name; CI installs Chromium (.ci/run) and fails without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { CHROMIUM, FLAGS } from './helpers/chromium.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildStateDataset } from '../datasets/state.ts';
import { generatePixelDataset } from '../datasets/pixel.ts';
import { loadPixelModel } from '../models/storage.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';
import { rolloutTrial, trialTruth } from '../src/eval/pixel-trials.ts';
import { defaultRolloutIntegrator, taskProjection } from '../src/eval/integrators.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { springTask } from '../src/tasks/builtin/spring.ts';
import { initBackend } from '../src/tf/backend.ts';
import { trainStateModel } from '../src/train/state.ts';
import { Adam } from '../src/train/adam.ts';
import { TfjsStepEngine } from '../src/train/engine-tfjs.ts';
import { stateVariables } from '../src/train/state.ts';
import { stateStepDefinition } from '../src/train/step-definition.ts';
import { DynamicsModel } from '../models/dynamics.ts';
import type { SiteManifest } from '../src/web/format.ts';
import { startSiteServer, type SiteServer } from '../src/web/serve.ts';
import { buildSite } from '../src/web/site.ts';
import type { PageApi } from '../web/main.ts';

const FRAMES = 60;

declare global {
  interface Window {
    hnn: PageApi;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hnn-browser-'));
let server: SiteServer;
let manifest: SiteManifest;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await initBackend('wasm');
  const data = join(dir, 'ds');
  await generatePixelDataset(pixelPendulumTask, { out: data, trials: 6, frames: 24, seed: 0, quiet: true });
  for (const kind of ['hnn', 'baseline'] as const)
    await runPixelExperiment({
      kind,
      seed: 0,
      steps: 5,
      dataDir: data,
      outDir: join(dir, 'run', kind),
      quiet: true,
      frames: 10,
      backend: 'wasm',
    });
  // the page as `npm run build` bundles it, from the sources as they are now
  const assets = join(dir, 'assets');
  const built = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build-web.mjs'), assets], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  const site = await buildSite({ model: join(dir, 'run'), out: join(dir, 'site'), frames: FRAMES, trials: 2, assets, backend: 'wasm' });
  manifest = JSON.parse(readFileSync(join(site.dir, 'site.json'), 'utf8'));
  server = await startSiteServer(site.dir);
});

describe('the page of hnn web, built and served', () => {
  it('is a site of both models that the server hands out with the types a browser needs', async () => {
    expect(manifest.models.map((m) => m.kind)).toEqual(['hnn', 'baseline']);
    const index = await fetch(server.url);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    expect(html).toContain('<script type="module" src="bundle.js"></script>');
    expect(html).toContain('<link rel="preload" href="models/hnn/weights.bin"');
    const bundle = await fetch(new URL('bundle.js', server.url));
    expect([bundle.status, bundle.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await bundle.text()).not.toMatch(/from\s*"node:/);
    const wasm = await fetch(new URL('tfjs-backend-wasm-simd.wasm', server.url));
    expect([wasm.status, wasm.headers.get('content-type')]).toEqual([200, 'application/wasm']);
  });

  it.runIf(!!process.env.CI)('has Chromium to run in where CI runs (.ci/run installs it)', () => {
    expect(CHROMIUM).not.toBeNull();
  });
});

function floats(base64: string): Float32Array {
  const b = Buffer.from(base64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

describe.skipIf(!CHROMIUM)(CHROMIUM ? 'in Chromium' : 'in Chromium (skipped: the browser part needs chromium, not installed here)', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1000, height: 1350 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.hnn && (window.hnn.ready || window.hnn.error), null, { timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads without a console error, ready (models loaded, first frame drawn) within 3 s, plays at 30 frames/s or more', async () => {
    const state = await page.evaluate(() => ({
      error: window.hnn.error,
      readyMs: window.hnn.readyMs,
      rolledMs: window.hnn.rolledMs,
      backend: window.hnn.backend,
      task: window.hnn.task,
    }));
    expect(state).toMatchObject({ error: null, backend: 'wasm', task: 'pixel-pendulum' });
    // The better of this load and a reload: the machine's two cores are shared (other test files run
    // beside this one), and one load can lose a second to them. Both are printed.
    let again = state.readyMs!;
    if (state.readyMs! >= 3000) {
      await page.reload();
      await page.waitForFunction(() => window.hnn && (window.hnn.ready || window.hnn.error), null, { timeout: 20_000 });
      again = (await page.evaluate(() => window.hnn.readyMs))!;
      console.log(`first load ${state.readyMs!.toFixed(0)} ms, reload ${again.toFixed(0)} ms`);
    }
    expect(Math.min(state.readyMs!, again)).toBeLessThan(3000);
    const { fps, drawMs } = await page.evaluate(() => window.hnn.measureFps(1500));
    expect(fps).toBeGreaterThanOrEqual(30);
    expect(drawMs).toBeLessThan(1000 / 30);
    expect(errors).toEqual([]);
    console.log(
      `first frame ${state.readyMs!.toFixed(0)} ms, whole rollouts ${state.rolledMs!.toFixed(0)} ms; draw loop ${fps.toFixed(1)} frames/s, ${drawMs.toFixed(2)} ms per draw`,
    );
  });

  it("draws the truth and the decoded frames of Node's rollout of the same trial (max difference < 1e-4)", async () => {
    await page.evaluate(() => window.hnn.play.showTrial(0));
    const ds = loadPixelDataset(join(dir, 'ds'));
    const truth = trialTruth(ds, 0, FRAMES);
    expect(maxAbsDiff(floats(await page.evaluate(() => window.hnn.frames('truth'))), truth.frames)).toBeLessThan(1e-6);
    for (const m of manifest.models) {
      const node = loadPixelModel(join(dir, 'run', m.kind, 'model'));
      // the page rolls out as the evaluation did: the default loss's own leapfrog step, once per frame
      const integrator = defaultRolloutIntegrator(node.topology.loss.latentStep);
      expect(integrator).toBe('leapfrog-frame');
      const frames = rolloutTrial(node.model, node.weights, ds, m.latentMap, 0, FRAMES, integrator, taskProjection(ds.task)).frames;
      node.model.dispose();
      const inPage = floats(await page.evaluate((k) => window.hnn.frames(k), m.kind));
      const diff = maxAbsDiff(inPage, frames);
      console.log(`${m.kind}: page vs Node decoded frames, max |difference| ${diff.toExponential(2)}`);
      expect(diff, m.kind).toBeLessThan(1e-4);
    }
  });

  it('starts both rollouts again from the pose a drag of the bob (pointer events) sets', async () => {
    await page.evaluate(() => window.hnn.play.showTrial(0));
    const before = await page.evaluate(() => ({
      hnn: window.hnn.frames('hnn'),
      baseline: window.hnn.frames('baseline'),
      version: window.hnn.play.version,
    }));
    const bob = await page.evaluate(() => window.hnn.play.discOnScreen('truth', 0));
    const pivot = await page.evaluate(() => {
      const r = document.querySelector('canvas[data-panel="truth"]')!.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    });
    // to the right of the pivot, level with it: a quarter turn
    const to = { x: pivot.x + 60, y: pivot.y };
    await page.mouse.move(bob.x, bob.y);
    await page.mouse.down();
    await page.mouse.move((bob.x + to.x) / 2, (bob.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    const after = await page.evaluate(() => ({
      hnn: window.hnn.frames('hnn'),
      baseline: window.hnn.frames('baseline'),
      version: window.hnn.play.version,
      frame: window.hnn.play.frame,
      state: Array.from(window.hnn.play.shownState()),
      trial: (document.getElementById('trial') as HTMLSelectElement).value,
    }));
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.trial).toBe('custom');
    expect(after.frame).toBe(0);
    expect(after.state[0]).toBeCloseTo(Math.PI / 2, 2); // q: the bob level with the pivot, to its right
    expect(Math.abs(after.state[1])).toBeLessThan(1e-6); // let go at rest
    for (const k of ['hnn', 'baseline'] as const) expect(maxAbsDiff(floats(after[k]), floats(before[k])), k).toBeGreaterThan(1e-3);
    expect(errors).toEqual([]);
  });

  it("trains the spring HNN: Node's losses, gradients that pass the finite-difference check, a step within 1.5x of Node's", async () => {
    const data = buildStateDataset('spring', 0);
    const steps = 30;
    await page.evaluate(() => window.hnn.train.select('spring', 'hnn'));
    const losses = await page.evaluate((n) => {
      window.hnn.train.runSteps(n);
      return window.hnn.train.trainer!.losses.slice();
    }, steps);
    // the project's own training code in Node, same data, seed and protocol
    const p = springTask.train;
    const node = await trainStateModel(
      { kind: 'hnn', seed: 0, steps: steps - 1, batchSize: null, weightDecay: p.weightDecay, lr: p.lr, hidden: p.hidden, logEvery: 10 },
      toStateData(data),
      { quiet: true },
    );
    node.model.dispose();
    expect(losses).toHaveLength(steps);
    expect(node.history.map((h) => h.step)).toEqual([0, 10, 20, 29]);
    for (const h of node.history) expect(Math.abs(losses[h.step] - h.loss) / h.loss, `step ${h.step}`).toBeLessThan(1e-5);
    expect(losses[steps - 1]).toBeLessThan(0.5 * losses[0]);

    const check = await page.evaluate(() => window.hnn.train.trainer!.gradientCheck());
    expect(check.checked).toBeGreaterThanOrEqual(12);
    expect(check.maxRelativeError).toBeLessThan(1e-2);

    // one step, page against Node on wasm: both run the project's training step (the state step
    // definition on the tfjs engine); blocks interleaved so both see the same machine
    const model = DynamicsModel.init({ kind: 'hnn', dim: 2, hidden: p.hidden }, 0);
    const def = stateStepDefinition(model.spec, stateVariables(model, { weightDecay: p.weightDecay }), data.trainRows, 2);
    const engine = new TfjsStepEngine(def, model.variables(), new Adam(model.variables(), { lr: p.lr, weightDecay: p.weightDecay }), true);
    const [x, dx] = [Float32Array.from(data.trainX), Float32Array.from(data.trainDx)];
    const nodeMs: number[] = [];
    const pageMs: number[] = [];
    for (let block = 0; block < 3; block++) {
      for (let i = 0; i < 8; i++) {
        const t0 = performance.now();
        engine.stepSync([x, dx]);
        nodeMs.push(performance.now() - t0);
      }
      pageMs.push(...(await page.evaluate(() => window.hnn.train.runSteps(8))));
    }
    engine.dispose();
    model.dispose();
    const ratio = median(pageMs) / median(nodeMs);
    console.log(`spring HNN step: page ${median(pageMs).toFixed(2)} ms, Node ${median(nodeMs).toFixed(2)} ms (x${ratio.toFixed(2)})`);
    expect(ratio).toBeLessThanOrEqual(1.5);
    expect(errors).toEqual([]);
  });

  // Opt-in (HNN_WEBGL_TEST=1): webgl runs on SwiftShader here, whose shader compilation alone takes
  // ~15 s (page and first training step), more than the rest of this file.
  it.runIf(process.env.HNN_WEBGL_TEST === '1')(
    "on webgl (?backend=webgl, run with HNN_WEBGL_TEST=1): Adam's epsilon stays 1e-8 where tfjs's default would be 1e-4, training follows wasm's",
    async () => {
      const wasmLosses = await page.evaluate(async () => {
        await window.hnn.train.select('spring', 'hnn');
        window.hnn.train.runSteps(2);
        return window.hnn.train.trainer!.losses.slice();
      });
      const gl = await browser.newPage();
      const glErrors: string[] = [];
      gl.on('pageerror', (e) => glErrors.push(e.message));
      gl.on('console', (m) => {
        if (m.type() === 'error') glErrors.push(m.text());
      });
      try {
        await gl.goto(`${server.url}?backend=webgl`);
        await gl.waitForFunction(() => window.hnn && (window.hnn.ready || window.hnn.error), null, { timeout: 30_000 });
        const r = await gl.evaluate(() => {
          window.hnn.train.runSteps(2);
          return {
            backend: window.hnn.backend,
            note: window.hnn.backendNote,
            adamEps: window.hnn.train.trainer!.adam.eps,
            text: document.getElementById('train-eps')!.textContent,
            losses: window.hnn.train.trainer!.losses.slice(),
          };
        });
        expect(glErrors).toEqual([]);
        expect(r.adamEps).toBe(1e-8);
        if (r.backend === 'webgl') {
          expect(r.text).toMatch(/1e-8 on webgl.*default is the backend's: 0\.0001 here/);
          for (let i = 0; i < 2; i++) expect(Math.abs(r.losses[i] - wasmLosses[i]) / wasmLosses[i], `step ${i}`).toBeLessThan(1e-3);
        } else {
          // a machine without WebGL: the page says so and runs on wasm
          expect(r.note).toMatch(/WebGL could not start/);
        }
      } finally {
        await gl.close();
      }
    },
  );

  it('shows itself in a screenshot: the three panels, the plots, the training curve', async () => {
    const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
    // the three panels, cut out of the page's picture
    const box = (await page.locator('#panels canvas').first().boundingBox())!;
    const last = (await page.locator('#panels canvas').last().boundingBox())!;
    const levels = new Set<number>();
    let bright = 0;
    for (let y = Math.ceil(box.y); y < box.y + box.height; y++)
      for (let x = Math.ceil(box.x); x < last.x + last.width; x++) {
        const v = png.data[4 * (y * png.width + x)];
        levels.add(v);
        if (v > 200) bright++;
      }
    expect(levels.size).toBeGreaterThan(20); // frames, not a flat colour
    expect(bright).toBeGreaterThan(50); // the bob
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 7) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
    expect(colours.size).toBeGreaterThan(100);
  });
});
