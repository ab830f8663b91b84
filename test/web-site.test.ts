// `hnn web` and `hnn serve` without a browser: the site of every pixel task, read back through the
// page's own loader over the project's server, gives the truth and the rollouts of Node's `hnn
// rollout` (the page's code is DOM-free where it computes); a dragged body lands where the pointer
// is for every system; the server serves the site and nothing else. test/browser.test.ts drives the
// page itself in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePixelDataset } from '../datasets/pixel.ts';
import { loadArtifacts } from '../models/io.ts';
import { decodeArtifacts, parseModelJson } from '../models/artifacts.ts';
import { PIXEL_MODEL_FORMAT, PixelModel } from '../models/pixel.ts';
import { loadPixelModel } from '../models/storage.ts';
import { decodeLatents, encodeRows } from '../src/eval/pixel.ts';
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';
import { rolloutTrial, trialTruth } from '../src/eval/pixel-trials.ts';
import { taskProjection } from '../src/eval/integrators.ts';
import { pixelTasks } from '../src/tasks/registry.ts';
import { initBackend } from '../src/tf/backend.ts';
import { PRELOAD_MARK, SITE_FILE, type SiteManifest } from '../src/web/format.ts';
import { startSiteServer, type SiteServer } from '../src/web/serve.ts';
import { buildSite } from '../src/web/site.ts';
import { grab, poseTo } from '../web/drag.ts';
import { frameZeroBefore, runEpisode } from '../web/episode.ts';
import { decodeSite, fetchSite } from '../web/load.ts';
import { BIN, expectOneLineError, hnn } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for dist/web: the builder's own logic does not depend on what the bundle holds. */
function fakeAssets(): string {
  const assets = join(dir, 'assets');
  mkdirSync(assets, { recursive: true });
  writeFileSync(join(assets, 'index.html'), `<html><head>${PRELOAD_MARK}</head></html>`);
  for (const f of ['style.css', 'bundle.js', 'chunk-X.js', 'tfjs-backend-wasm-simd.wasm']) writeFileSync(join(assets, f), f);
  return assets;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('hnn web: the site of every pixel task, read by the page code', () => {
  const FRAMES = 12;
  let assets: string;
  beforeAll(async () => {
    await initBackend('wasm');
    assets = fakeAssets();
  });

  for (const task of pixelTasks()) {
    it(`${task.name}: truth and rollout equal Node's, a drag moves the body to the pointer`, async () => {
      const base = join(dir, task.name);
      const data = join(base, 'ds');
      await generatePixelDataset(task, { out: data, trials: 3, frames: 8, size: 12, samples: 2, seed: 1, quiet: true });
      // one update: what the page does with a model does not depend on how well it is trained
      await runPixelExperiment({
        task,
        kind: 'hnn',
        seed: 0,
        steps: 0,
        dataDir: data,
        outDir: join(base, 'hnn'),
        quiet: true,
        frames: 4,
        backend: 'wasm',
      });
      const site = join(base, 'site');
      const built = await buildSite({ model: join(base, 'hnn'), out: site, frames: FRAMES, trials: 2, assets, backend: 'wasm' });
      expect(built).toMatchObject({ task: task.name, models: ['hnn'], trials: 1 });
      const server = await startSiteServer(site);
      try {
        const loaded = decodeSite(await fetchSite(server.url));
        const m = loaded.models[0];
        const codec = PixelModel.fromWeights(m.topology, m.weights);
        const setup = {
          task: loaded.task,
          frames: loaded.manifest.frames,
          rolloutFrames: FRAMES,
          integrator: 'rk45' as const,
          models: [{ kind: m.topology.kind, codec, weights: m.weights, map: m.site.latentMap }],
        };
        const trial = loaded.manifest.trials[0];
        const episode = runEpisode(setup, Float64Array.from(trial.initial), trial.params, loaded.pairs);

        // Node's rollout of the same trial with the same model (as `hnn rollout` makes it)
        const ds = loadPixelDataset(data);
        const node = loadPixelModel(join(base, 'hnn', 'model'));
        const truth = trialTruth(ds, 0, FRAMES);
        const rollout = rolloutTrial(node.model, node.weights, ds, m.site.latentMap, 0, FRAMES, 'rk45', taskProjection(ds.task));
        node.model.dispose();
        expect(maxAbsDiff(episode.truthFrames, truth.frames)).toBe(0);
        expect(maxAbsDiff(episode.truthEnergy, truth.energy)).toBe(0);
        expect(maxAbsDiff(episode.rollouts.hnn!.frames, rollout.frames)).toBeLessThan(1e-6);
        expect(maxAbsDiff(episode.rollouts.hnn!.energy, rollout.energy)).toBeLessThan(1e-6);
        // the pair the page renders itself for a new start is the dataset's pair, to the bit
        const rendered = runEpisode(setup, Float64Array.from(trial.initial), trial.params);
        expect(maxAbsDiff(rendered.pair, episode.pair)).toBe(0);

        // a drag: grab the first body that moves, pull it to where another pose puts it
        const system = episode.system;
        const view = task.system.view!;
        const x = episode.states.slice(system.dim, 2 * system.dim);
        const discs = system.scene!(x).filter((s) => s.kind === 'disc');
        const index = discs.findIndex((d) => grab(system, view, x, d.x, d.y) !== null);
        expect(index).toBeGreaterThanOrEqual(0);
        const grabbed = grab(system, view, x, discs[index].x, discs[index].y)!;
        const other = Float64Array.from(x, (v, i) => (i < system.dof ? v + 0.3 : v));
        const target = system.scene!(other).filter((s) => s.kind === 'disc')[grabbed] as { x: number; y: number };
        const pose = poseTo(system, x, grabbed, target.x, target.y, true);
        const landed = system.scene!(pose).filter((s) => s.kind === 'disc')[grabbed] as { x: number; y: number };
        expect(Math.hypot(landed.x - target.x, landed.y - target.y)).toBeLessThan(1e-6);
        expect(Array.from(pose.subarray(system.dof))).toEqual(new Array(system.dof).fill(0)); // let go at rest
        expect(Array.from(poseTo(system, x, grabbed, target.x, target.y, false).subarray(system.dof))).toEqual(
          Array.from(x.subarray(system.dof)),
        );
        // the rollout from a pose starts at the pose: trial frame 1 (rollout frame 0) is the pose
        const fromPose = runEpisode(setup, frameZeroBefore(system, pose, setup.frames), null);
        expect(maxAbsDiff(fromPose.states.subarray(system.dim, 2 * system.dim), pose)).toBeLessThan(1e-9);
        codec.dispose();
      } finally {
        await server.close();
      }
    });
  }
});

describe('hnn web: the builder', () => {
  it("copies the model artifacts as they are, which the page's parser reads as models/io.ts does", async () => {
    const site = join(dir, 'pixel-pendulum', 'site');
    const manifest = JSON.parse(readFileSync(join(site, SITE_FILE), 'utf8')) as SiteManifest;
    expect(manifest).toMatchObject({ format: 'hnn-ts/site', task: 'pixel-pendulum', rolloutFrames: 12 });
    expect(manifest.models[0].latentMap.coef).toHaveLength(2);
    expect(manifest.train.map((t) => t.task)).toEqual(['spring', 'pendulum']);
    const model = join(dir, 'pixel-pendulum', 'hnn', 'model');
    for (const f of ['model.json', 'weights.bin'])
      expect(readFileSync(join(site, 'models/hnn', f)).equals(readFileSync(join(model, f))), f).toBe(true);
    const viaIo = loadArtifacts(model, PIXEL_MODEL_FORMAT);
    const bin = readFileSync(join(model, 'weights.bin'));
    const parsed = parseModelJson(readFileSync(join(model, 'model.json'), 'utf8'), PIXEL_MODEL_FORMAT, 'model.json');
    const viaParser = decodeArtifacts(
      parsed,
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
      'weights.bin',
    );
    expect(viaParser.topology).toEqual(viaIo.topology);
    expect(viaParser.metadata).toEqual(viaIo.metadata);
    expect(Object.keys(viaParser.weights).sort()).toEqual(Object.keys(viaIo.weights).sort());
    const bytes = (v: Float32Array | Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (const k of Object.keys(viaIo.weights)) {
      expect(viaParser.weights[k].shape).toEqual(viaIo.weights[k].shape);
      expect(bytes(viaParser.weights[k].values).equals(bytes(viaIo.weights[k].values)), k).toBe(true);
    }
    // every file the page needs, and index.html preloading what the page fetches first
    for (const f of [
      'index.html',
      'bundle.js',
      'chunk-X.js',
      'style.css',
      'tfjs-backend-wasm-simd.wasm',
      'data/pairs.bin',
      'data/state-spring.json',
      'README.txt',
    ])
      expect(existsSync(join(site, f)), f).toBe(true);
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    for (const f of ['site.json', 'models/hnn/model.json', 'models/hnn/weights.bin', 'data/pairs.bin', 'tfjs-backend-wasm-simd.wasm'])
      expect(html).toContain(`<link rel="preload" href="${f}" as="fetch" crossorigin="anonymous" />`);
  });

  it('refuses a site it would overwrite, another kind of folder, bad options and an unbuilt page', async () => {
    const run = join(dir, 'pixel-pendulum', 'hnn');
    const site = join(dir, 'pixel-pendulum', 'site');
    const assets = join(dir, 'assets');
    await expect(buildSite({ model: run, out: site, assets })).rejects.toThrow(/already holds a web site; .*--force/);
    await expect(buildSite({ model: run, out: join(dir, 'pixel-pendulum', 'ds'), assets })).rejects.toThrow(
      /holds a dataset, not a web site/,
    );
    await expect(buildSite({ model: run, out: join(dir, 'x'), assets, trials: 0 })).rejects.toThrow(/--trials must be a positive integer/);
    await expect(buildSite({ model: run, out: join(dir, 'x'), assets, frames: 1 })).rejects.toThrow(
      /--frames must be an integer in 2\.\.5000/,
    );
    await expect(buildSite({ model: join(dir, 'nothing'), out: join(dir, 'x'), assets })).rejects.toThrow(/model folder not found/);
    await expect(buildSite({ model: run, out: join(dir, 'x'), assets: join(dir, 'no-assets') })).rejects.toThrow(
      /web page is not built .*npm run build/,
    );
    const again = await buildSite({ model: run, out: site, assets, force: true, frames: 5 });
    expect(JSON.parse(readFileSync(join(again.dir, SITE_FILE), 'utf8')).rolloutFrames).toBe(5);
  });

  it('plays a convolutional pair model with its own encoder, and refuses a model of more than two frames per row', async () => {
    const task = pixelTasks()[0];
    const data = join(dir, task.name, 'ds');
    const train = (out: string, context: number) =>
      runPixelExperiment({
        task,
        kind: 'hnn',
        seed: 0,
        steps: 0,
        dataDir: data,
        outDir: out,
        quiet: true,
        frames: 4,
        backend: 'wasm',
        encoder: 'conv',
        context,
        // the dataset's 8-frame trials are too short for the default 4-frame windows over 3-frame stacks
        loss: { rolloutSteps: 1 },
      });
    const conv = join(dir, 'conv2');
    await train(conv, 2);
    const site = join(dir, 'conv2-site');
    await buildSite({ model: conv, out: site, frames: 5, trials: 1, assets: join(dir, 'assets'), backend: 'wasm' });
    const server = await startSiteServer(site);
    try {
      const loaded = decodeSite(await fetchSite(server.url));
      const codec = PixelModel.fromWeights(loaded.models[0].topology, loaded.models[0].weights);
      const node = loadPixelModel(join(conv, 'model'));
      const z = encodeRows(codec, loaded.pairs, 1);
      expect(maxAbsDiff(z, encodeRows(node.model, loaded.pairs, 1))).toBe(0);
      expect(maxAbsDiff(decodeLatents(codec, z), decodeLatents(node.model, z))).toBe(0);
      codec.dispose();
      node.model.dispose();
    } finally {
      await server.close();
    }
    await train(join(dir, 'conv3'), 3);
    await expect(buildSite({ model: join(dir, 'conv3'), out: join(dir, 'x'), assets: join(dir, 'assets') })).rejects.toThrow(
      /encodes 3 frames per row; .*--context 2/,
    );
  });
});

/** A raw GET: the path goes out as written (fetch would resolve `..` itself). */
function get(
  port: number,
  path: string,
  opts: { method?: string; host?: string } = {},
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c) => (body += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

describe('hnn serve', () => {
  let server: SiteServer;
  let site: string;
  beforeAll(async () => {
    site = join(dir, 'pixel-pendulum', 'site');
    writeFileSync(join(dir, 'secret.txt'), 'not for the browser');
    symlinkSync(join(dir, 'secret.txt'), join(site, 'link.txt'));
    mkdirSync(join(site, 'empty'));
    server = await startSiteServer(site);
  });
  afterAll(() => server.close());

  it('serves the site on 127.0.0.1 with the types a browser needs', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const types: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/index.html': 'text/html; charset=utf-8',
      '/bundle.js': 'text/javascript; charset=utf-8',
      '/style.css': 'text/css; charset=utf-8',
      '/site.json': 'application/json; charset=utf-8',
      '/tfjs-backend-wasm-simd.wasm': 'application/wasm',
      '/models/hnn/weights.bin': 'application/octet-stream',
      '/data/pairs.bin?v=1': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const r = await get(server.port, path);
      expect([path, r.status, r.type]).toEqual([path, 200, type]);
    }
    expect((await get(server.port, '/models/hnn/weights.bin')).body.length).toBe(readFileSync(join(site, 'models/hnn/weights.bin')).length);
    expect((await get(server.port, '/site.json', { method: 'HEAD' })).status).toBe(200);
  });

  it('serves nothing outside the site, no listings, and only GET and HEAD for 127.0.0.1', async () => {
    for (const path of [
      '/../secret.txt',
      '/models/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/link.txt',
    ])
      expect([path, (await get(server.port, path)).status]).toEqual([path, 403]);
    expect((await get(server.port, '/nothing.js')).status).toBe(404);
    expect((await get(server.port, '/empty/')).status).toBe(404);
    expect((await get(server.port, '/%E0%A4%A')).status).toBe(400);
    expect((await get(server.port, '/index.html%00.js')).status).toBe(400);
    expect((await get(server.port, '/', { method: 'POST' })).status).toBe(405);
    expect((await get(server.port, '/', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses a folder that is not a site, and a port in use', async () => {
    await expect(startSiteServer(join(dir, 'pixel-pendulum', 'ds'))).rejects.toThrow(/is not a site made by `hnn web`/);
    await expect(startSiteServer(join(dir, 'missing'))).rejects.toThrow(/site folder not found/);
    await expect(startSiteServer(site, { port: server.port })).rejects.toThrow(new RegExp(`port ${server.port} is in use`));
  });

  it('`hnn serve` prints the address and stops on Ctrl-C; `hnn web` refuses bad input on one line', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', site], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((done) => child.stdout.once('data', (d) => done(String(d))));
    const url = line.match(/http:\/\/127\.0\.0\.1:\d+\//)![0];
    expect((await fetch(url)).status).toBe(200);
    child.kill('SIGINT');
    expect(await new Promise((done) => child.on('exit', done))).toBe(0);
    expectOneLineError(hnn(['serve', join(dir, 'missing')]), /site folder not found/);
    expectOneLineError(hnn(['web', '--model', join(dir, 'missing')]), /model folder not found/);
  });
});
