// `hnn web`: a self-contained static site of trained pixel models. It copies the page that
// `npm run build` bundled (dist/web: index.html, style.css, bundle.js, the tfjs wasm binaries), the
// models' artifacts as they are (model.json + weights.bin), a few test trials of their dataset, the
// latent maps, and the datasets of the state tasks the page trains live; site.json describes it
// all (./format.ts). The folder is claimed like every output of hnn and appears only when complete.
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeArtifacts, parseModelJson, weightsPath } from '../../models/artifacts.ts';
import { PIXEL_MODEL_FORMAT, contextOf, type PixelTopology } from '../../models/pixel.ts';
import { loadPixelModel } from '../../models/storage.ts';
import { buildStateDataset } from '../../datasets/state.ts';
import { paramNames } from '../../datasets/pixel.ts';
import type { LatentMap } from '../eval/pixel.ts';
import { fitTrainMap, savedLatentMap } from '../eval/pixel-evaluation.ts';
import { loadPixelDataset, type PixelDataset } from '../../datasets/pixel-load.ts';
import { findPixelModels, refuseUnfinished, type ModelDirs } from '../pipeline/rollout.ts';
import { initBackend } from '../tf/backend.ts';
import { UserError } from '../util/errors.ts';
import { TASKS } from '../tasks/registry.ts';
import { makeDir, writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { claimOutput, markOutput, partialPathFor, publishFolder } from '../util/output.ts';
import { packageRoot } from '../util/package-root.ts';
import { packageVersions } from '../util/versions.ts';
import {
  PAGE_FILES,
  PAIRS_FILE,
  PRELOAD_MARK,
  SITE_FILE,
  SITE_FORMAT,
  type SiteManifest,
  type SiteModel,
  type SiteStateData,
  type SiteTrial,
} from './format.ts';

/** The state tasks the page trains live (StateTask.liveTrain), in the registry's order. */
export function liveTrainTasks(): string[] {
  return TASKS.filter((t) => t.kind === 'state' && t.liveTrain === true).map((t) => t.name);
}

export interface SiteOptions {
  /** A pixel model folder, an experiment folder, or a run folder holding hnn/ and baseline/. */
  model: string;
  /** The site folder (default "site"). */
  out: string;
  /** Dataset folder (default: the one the models were trained on). */
  data?: string;
  /** Test trials to include (default 3). */
  trials?: number;
  /** Frames per rollout (default: the task's). */
  frames?: number;
  /** Replace a site already in `out`. */
  force?: boolean;
  /** Folder of the bundled page (default: the package's dist/web). */
  assets?: string;
  backend?: string;
}

export interface SiteResult {
  dir: string;
  task: string;
  models: string[];
  trials: number;
  bytes: number;
}

/** The wasm binary the browsers that run the page load (all current ones have WebAssembly SIMD; threads need cross-origin isolation, which a plain static server does not give). */
const SIMD_WASM = 'tfjs-backend-wasm-simd.wasm';

/** index.html with preload links (fetch() requests: same-origin credentials, hence crossorigin) in place of its mark. */
function withPreloads(html: string, files: string[]): string {
  if (!html.includes(PRELOAD_MARK)) throw new Error('the bundled index.html lacks its preload mark; rebuild with `npm run build`');
  const links = files.map((f) => `<link rel="preload" href="${f}" as="fetch" crossorigin="anonymous" />`).join('\n    ');
  return html.replace(PRELOAD_MARK, links);
}

/** Where `npm run build` puts the bundled page. */
export function pageAssetsDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

/** The bundled page's files (the fixed ones, the bundle's chunks, the wasm binaries). Refuses an unbuilt package. */
function pageAssets(dir: string): string[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()) : [];
  const missing = [...PAGE_FILES.filter((f) => !files.includes(f)), ...(files.some((f) => f.endsWith('.wasm')) ? [] : ['*.wasm'])];
  if (missing.length)
    throw new UserError(`the web page is not built (${dir} lacks ${missing.join(', ')}); run \`npm run build\` in the hnn-ts folder`);
  return files.sort();
}

/** A model's artifacts read through the page's own parser: what the page will load, checked before it is copied. */
function readModelFiles(dir: string): { json: Buffer; weights: Buffer; topology: PixelTopology; metadata: Record<string, unknown> } {
  const jsonPath = join(dir, 'model.json');
  const json = readFileSync(jsonPath);
  const parsed = parseModelJson<PixelTopology>(json.toString('utf8'), PIXEL_MODEL_FORMAT, jsonPath);
  const binPath = join(dir, weightsPath(parsed));
  if (!existsSync(binPath)) throw new UserError(`model weights missing: ${binPath}; retrain the model`);
  const weights = readFileSync(binPath);
  const art = decodeArtifacts(
    parsed,
    weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    binPath,
  );
  return { json, weights, topology: art.topology, metadata: art.metadata };
}

type Kind = 'hnn' | 'baseline';
type ModelFiles = ReturnType<typeof readModelFiles>;
/** The found models' files by kind, read through the page's parser. */
type SiteModels = Partial<Record<Kind, ModelFiles>>;

/** Checks the numbers `hnn web` takes where they enter; returns the trial count. */
function checkSiteNumbers(opts: SiteOptions): number {
  const trialCount = opts.trials ?? 3;
  if (!(Number.isInteger(trialCount) && trialCount >= 1)) throw new UserError(`--trials must be a positive integer, got ${trialCount}`);
  if (opts.frames !== undefined && !(Number.isInteger(opts.frames) && opts.frames >= 2 && opts.frames <= 5000))
    throw new UserError(`--frames must be an integer in 2..5000, got ${opts.frames}`);
  return trialCount;
}

/** Each found model's files; refuses a model of another kind than found, or one whose rows are not a pair of frames. */
function readSiteModels(found: ModelDirs, kinds: readonly Kind[]): SiteModels {
  const models = Object.fromEntries(kinds.map((k) => [k, readModelFiles(found[k]!)])) as SiteModels;
  for (const k of kinds)
    if (models[k]!.topology.kind !== k) throw new UserError(`${found[k]} holds a ${models[k]!.topology.kind} model, found as the ${k}`);
  for (const k of kinds)
    if (contextOf(models[k]!.topology) !== 2)
      throw new UserError(
        `${found[k]} encodes ${contextOf(models[k]!.topology)} frames per row; the page starts rollouts from a pair, so pass a model trained with the default --context 2`,
      );
  return models;
}

/** The dataset the site shows (--data, else the first model's own); refuses imported frames and user systems. */
function siteDataset(
  opts: SiteOptions,
  found: ModelDirs,
  kinds: readonly Kind[],
  models: SiteModels,
): { dataDir: string; ds: PixelDataset } {
  const first = models[kinds[0]]!;
  const dataDir = opts.data ?? (first.metadata.dataset as string | undefined);
  if (!dataDir) throw new UserError(`${found[kinds[0]]} does not record its dataset; pass --data DIR`);
  if (!existsSync(dataDir))
    throw new UserError(`dataset folder not found: ${dataDir}; pass --data DIR or regenerate it with \`hnn generate\``);
  const ds = loadPixelDataset(dataDir);
  if (ds.task.imported)
    throw new UserError(
      `${dataDir} holds imported frames, and the page re-renders each trial's truth from its states, which a video has not; use \`hnn rollout\` for imported data (docs/IMPORT.md)`,
    );
  // the page rebuilds its task from the built-in registry; a user's system (--system) is not in its bundle
  if (!TASKS.includes(ds.task))
    throw new UserError(
      `${ds.task.name} is a user's system: the browser page of hnn web replays only the built-in tasks so far; use hnn rollout --system for its video and plots`,
    );
  return { dataDir, ds };
}

/** Refuses a model whose frame size, channels or recorded task differ from the dataset's. */
function checkModelsFitDataset(kinds: readonly Kind[], models: SiteModels, ds: PixelDataset, dataDir: string): void {
  for (const k of kinds) {
    const size = models[k]!.topology.frameSize;
    if (size !== ds.params.size)
      throw new UserError(
        `the ${k} model takes ${size}x${size} frames but dataset ${dataDir} has ${ds.params.size}x${ds.params.size}; pass the dataset it was trained on with --data`,
      );
    const channels = models[k]!.topology.channels ?? 1;
    if (channels !== ds.params.channels)
      throw new UserError(
        `the ${k} model takes ${channels === 3 ? 'colour' : 'grey'} frames but dataset ${dataDir} has ${ds.params.channels === 3 ? 'colour' : 'grey'} ones; pass the dataset it was trained on with --data`,
      );
    const task = models[k]!.metadata.task;
    if (typeof task === 'string' && task !== ds.task.name)
      throw new UserError(`the ${k} model was trained on ${task}, dataset ${dataDir} is ${ds.task.name}; pass its own dataset with --data`);
  }
}

/** Each model's latent map: the one saved with it (as `hnn rollout` reuses it), else one fitted here on the training split. */
function siteLatentMaps(found: ModelDirs, kinds: readonly Kind[], models: SiteModels, ds: PixelDataset): Partial<Record<Kind, LatentMap>> {
  const maps: Partial<Record<Kind, LatentMap>> = {};
  for (const k of kinds) {
    const saved = savedLatentMap(models[k]!.metadata, ds.task);
    if (saved) maps[k] = saved;
    else {
      const loaded = loadPixelModel(found[k]!);
      try {
        maps[k] = fitTrainMap(loaded.model, ds);
      } finally {
        loaded.model.dispose();
      }
    }
  }
  return maps;
}

/** The first `trialCount` test trials (at most all): initial state, parameters, and the first pair exactly as the dataset holds it. */
function siteTrials(ds: PixelDataset, trialCount: number): { trials: SiteTrial[]; pairs: Float32Array } {
  const count = Math.min(trialCount, ds.testTrials);
  const dim = ds.task.system.dim;
  const names = paramNames(ds.task, ds.params.randomParams);
  const initial = ds.arrays.trialInitial.data as Float64Array;
  const params = ds.arrays.trialParams?.data as Float64Array | undefined;
  const width = 2 * ds.params.size * ds.params.size * ds.params.channels;
  const pairs = new Float32Array(count * width);
  const trials: SiteTrial[] = [];
  for (let t = 0; t < count; t++) {
    trials.push({
      trial: t,
      initial: Array.from(initial.subarray(t * dim, (t + 1) * dim)),
      params: names.length && params ? Object.fromEntries(names.map((n, i) => [n, params[t * names.length + i]])) : null,
    });
    const row = t * ds.perTrial;
    pairs.set(ds.data.test.x.subarray(row * width, (row + 1) * width), t * width);
  }
  return { trials, pairs };
}

/** Writes files under a folder and counts the bytes written. */
interface SiteWriter {
  write(rel: string, data: string | Uint8Array): void;
  bytes: number;
}

/** A writer into `dir` (atomic writes, bytes counted from zero). */
function siteWriter(dir: string): SiteWriter {
  const w: SiteWriter = {
    bytes: 0,
    write(rel, data) {
      writeFileAtomic(join(dir, rel), data);
      w.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    },
  };
  return w;
}

/** The site path of a model's weights, as its model.json names them. */
function siteWeightsPath(k: Kind, model: ModelFiles): string {
  return `models/${k}/${weightsPath(JSON.parse(model.json.toString('utf8')))}`;
}

/** Writes the datasets (seed 0) of the state tasks the page trains live; returns their entries for site.json. */
function writeLiveTrainData(w: SiteWriter): SiteManifest['train'] {
  return liveTrainTasks().map((task) => {
    const d = buildStateDataset(task, 0);
    const data: SiteStateData = {
      task,
      seed: 0,
      dim: d.dim,
      train: { rows: d.trainRows, x: Array.from(d.trainX), dx: Array.from(d.trainDx) },
      test: { rows: d.testRows, x: Array.from(d.testX), dx: Array.from(d.testDx) },
    };
    const path = `data/state-${task}.json`;
    w.write(path, JSON.stringify(data));
    return { task, path };
  });
}

/** site.json's description of the dataset's frames. */
function siteFrames(ds: PixelDataset): SiteManifest['frames'] {
  return {
    size: ds.params.size,
    channels: ds.params.channels,
    samples: ds.params.samples,
    frameDt: ds.params.frameDt,
    substeps: ds.params.substeps,
    engine: ds.params.engine,
  };
}

/** The README.txt that says how to open the site. */
function siteReadme(task: string, kinds: readonly Kind[]): string {
  return [
    `Hamiltonian Neural Networks in the browser: ${task}, ${kinds.join(' and ')} (made by hnn-ts ${packageVersions()['hnn-ts']}).`,
    'Serve this folder over HTTP and open the address it prints (a page opened from file:// cannot load its models):',
    '  hnn serve <this folder>',
    '  (or any static server, e.g. python3 -m http.server --bind 127.0.0.1 --directory <this folder>)',
    '',
  ].join('\n');
}

/** Everything the site holds, read and checked before its folder is claimed. */
interface SiteContent {
  kinds: Kind[];
  models: SiteModels;
  maps: Partial<Record<Kind, LatentMap>>;
  ds: PixelDataset;
  frames: number;
  trials: SiteTrial[];
  pairs: Float32Array;
  assetsDir: string;
  assets: string[];
}

/**
 * Writes the whole site into `partial`; returns the bytes written. index.html comes last (it marks
 * the site finished: src/util/output.ts), with the data the page fetches first listed for
 * preloading, so they arrive while the bundle starts rather than after.
 */
function writeSiteFiles(partial: string, c: SiteContent): number {
  const w = siteWriter(partial);
  const siteModels: SiteModel[] = [];
  for (const k of c.kinds) {
    w.write(`models/${k}/model.json`, c.models[k]!.json);
    w.write(siteWeightsPath(k, c.models[k]!), c.models[k]!.weights);
    siteModels.push({ kind: k, path: `models/${k}/model.json`, latentMap: c.maps[k]! });
  }
  w.write(PAIRS_FILE, new Uint8Array(c.pairs.buffer));
  const train = writeLiveTrainData(w);
  const manifest: SiteManifest = {
    format: SITE_FORMAT,
    generatedBy: `hnn-ts ${packageVersions()['hnn-ts']}`,
    task: c.ds.task.name,
    frames: siteFrames(c.ds),
    rolloutFrames: c.frames,
    models: siteModels,
    trials: c.trials,
    pairs: PAIRS_FILE,
    train,
  };
  writeJsonAtomic(join(partial, SITE_FILE), manifest);
  w.write('README.txt', siteReadme(c.ds.task.name, c.kinds));
  for (const f of c.assets.filter((a) => a !== 'index.html')) {
    copyFileSync(join(c.assetsDir, f), join(partial, f));
    w.bytes += statSync(join(partial, f)).size;
  }
  const weightFiles = siteModels.map((m) => siteWeightsPath(m.kind as Kind, c.models[m.kind as Kind]!));
  const preload = [SITE_FILE, ...siteModels.map((m) => m.path), ...weightFiles, PAIRS_FILE, ...c.assets.filter((a) => a === SIMD_WASM)];
  w.write('index.html', withPreloads(readFileSync(join(c.assetsDir, 'index.html'), 'utf8'), preload));
  return w.bytes;
}

/** Reads and checks everything the site holds: the models, the page's assets, the dataset, the latent maps and the trials. */
async function readSiteContent(opts: SiteOptions): Promise<SiteContent> {
  const trialCount = checkSiteNumbers(opts);
  const found = findPixelModels(opts.model);
  const assetsDir = resolve(opts.assets ?? pageAssetsDir());
  const assets = pageAssets(assetsDir);
  const kinds = (['hnn', 'baseline'] as const).filter((k) => found[k]);
  for (const k of kinds) refuseUnfinished(found[k]!);
  // tf.io decodes the weights (and a model without a saved latent map is run to fit one)
  await initBackend(opts.backend ?? 'auto');
  const models = readSiteModels(found, kinds);
  const { dataDir, ds } = siteDataset(opts, found, kinds, models);
  checkModelsFitDataset(kinds, models, ds, dataDir);
  const frames = opts.frames ?? ds.task.evaluation.rolloutFrames;
  const maps = siteLatentMaps(found, kinds, models, ds);
  const { trials, pairs } = siteTrials(ds, trialCount);
  return { kinds, models, maps, ds, frames, trials, pairs, assetsDir, assets };
}

/**
 * Builds the site into `opts.out`: claims the folder (refusing one of ours without --force), writes
 * into a partial folder and publishes it only when complete.
 */
export async function buildSite(opts: SiteOptions): Promise<SiteResult> {
  const c = await readSiteContent(opts);
  const claim = claimOutput(opts.out, 'site', 'hnn web');
  const partial = partialPathFor(claim.dir);
  try {
    if (claim.before.state === 'ours' && !opts.force)
      throw new UserError(`${claim.dir} already holds a web site; choose another --out or pass --force to replace it`);
    if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
    makeDir(partial);
    markOutput(partial, 'site', { command: 'hnn web', task: c.ds.task.name });
    const bytes = writeSiteFiles(partial, c);
    publishFolder(partial, claim.dir);
    return { dir: claim.dir, task: c.ds.task.name, models: c.kinds.slice(), trials: c.trials.length, bytes };
  } finally {
    if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
    claim.release();
  }
}

/** `hnn web`: builds the site and says how to open it. */
export async function runWebCommand(o: SiteOptions & { quiet?: boolean }): Promise<void> {
  const r = await buildSite(o);
  console.log(
    `wrote ${r.dir}: ${r.task}, ${r.models.join(' and ')}, ${r.trials} test trial${r.trials === 1 ? '' : 's'} (${(r.bytes / 1e6).toFixed(1)} MB)\n` +
      `open it with: hnn serve ${r.dir}`,
  );
}
