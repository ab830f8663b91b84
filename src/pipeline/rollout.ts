// `hnn rollout`: encode the first pair of a test trial, integrate each model's latent field, decode
// every latent, and show truth | baseline | HNN | D-HNN (those given) side by side (GIF always, MP4
// when ffmpeg is on the PATH), plus a latent phase portrait (contours of the learned H with the
// encoded test trajectory) and the energy of each rollout over time.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MODEL_KINDS, type ModelKind } from '../../models/kinds.ts';
import { contextOf, PIXEL_MODEL_FORMAT } from '../../models/pixel.ts';
import { loadPixelModel } from '../../models/storage.ts';
import { modelFolder } from '../../models/io.ts';
import { defaultRolloutIntegrator, taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import { ROLLOUT_INTEGRATORS, type LatentMap, type RolloutIntegrator, type RolloutTruth } from '../eval/pixel.ts';
import { composePanels, hasFfmpeg, writeVideo, type VideoPanel } from '../media/video.ts';
import { initBackend } from '../tf/backend.ts';
import { UserError } from '../util/errors.ts';
import { checkWritable, writeJsonAtomic } from '../util/files.ts';
import { acquireLock } from '../util/lock.ts';
import { checkMemory } from '../util/memory.ts';
import { CHECKPOINT_FILE } from './run-output.ts';
import { learnedNothing, readMetrics, type RunMetricsBase } from './metrics.ts';
import { packageVersions } from '../util/versions.ts';
import { writeImportedRollout } from './import-rollout.ts';
import { rolloutTrial, trialTruth } from '../eval/pixel-trials.ts';
import { fitTrainMap, savedLatentMap } from '../eval/pixel-evaluation.ts';
import { loadPixelDataset, withContext, type PixelDataset } from '../../datasets/pixel-load.ts';
import type { ModelDirs, RolloutOptions, RolloutResult } from './rollout-options.ts';
import { LABEL, plotLearnedH, plotRolloutEnergy, type LoadedModels, type Rollouts } from './rollout-plots.ts';

export type { ModelDirs, RolloutOptions, RolloutResult } from './rollout-options.ts';
/** Video and plot order of the models. */
const KINDS = ['baseline', 'hnn', 'dhnn'] as const;

/** The kind of the pixel model in `dir` (holding model.json), or null when it holds none. */
function pixelModelKind(dir: string): ModelKind | null {
  const json = join(dir, 'model.json');
  if (!existsSync(json)) return null;
  try {
    const m = JSON.parse(readFileSync(json, 'utf8')) as { format?: string; modelTopology?: { kind?: string } };
    const kind = MODEL_KINDS.find((k) => k === m.modelTopology?.kind);
    return m.format === PIXEL_MODEL_FORMAT && kind ? kind : null;
  } catch {
    return null;
  }
}

/**
 * Pixel models for `--model DIR`: DIR may be a model folder (model.json), an experiment folder
 * (DIR/model/model.json), or a run folder holding experiments (e.g. npm start's hnn/ and baseline/).
 */
export function findPixelModels(dir: string): ModelDirs {
  if (!existsSync(dir)) throw new UserError(`model folder not found: ${dir}; train one with \`hnn train --task <pixel task>\``);
  const out: ModelDirs = {};
  const consider = (d: string) => {
    const kind = pixelModelKind(d);
    if (kind && !out[kind]) out[kind] = d;
    return kind !== null;
  };
  if (consider(dir) || consider(join(dir, 'model'))) return out;
  if (existsSync(join(dir, 'model.json')))
    throw new UserError(`${dir}/model.json is not a pixel model; pass a model trained with \`hnn train --task <pixel task>\``);
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (statSync(sub).isDirectory() && !consider(sub)) consider(join(sub, 'model'));
  }
  if (Object.keys(out).length === 0)
    throw new UserError(
      `no pixel model in ${dir}: pass a model folder (with model.json), or a run folder holding hnn/ and baseline/ experiments`,
    );
  return out;
}

/**
 * The model folder of one pixel model given as a model folder or as the run folder holding it in
 * model/ (what `hnn train` writes); refused when neither holds a pixel model.
 */
export function pixelModelFolder(dir: string): string {
  if (!existsSync(dir)) throw new UserError(`model folder not found: ${dir}; train one with \`hnn train --task <pixel task>\``);
  const folder = modelFolder(dir);
  if (folder && pixelModelKind(folder)) return folder;
  throw new UserError(
    folder
      ? `${join(folder, 'model.json')} is not a pixel model; pass a model trained with \`hnn train --task <pixel task>\``
      : `no pixel model at ${dir} (neither model.json nor model/model.json); pass a run's folder or its model/ folder`,
  );
}

const FFMPEG_HINT = 'install ffmpeg to get the MP4 too (Debian/Ubuntu: `apt-get install -y ffmpeg`; macOS: `brew install ffmpeg`)';

/** Checks a rollout request before any work: frame count and its memory, integrator, where the video goes. */
export function checkRolloutRequest(opts: Pick<RolloutOptions, 'frames' | 'integrator' | 'out' | 'force'>, models = 2): void {
  const frames = opts.frames ?? 200;
  const integrator = opts.integrator;
  if (!(Number.isInteger(frames) && frames >= 2)) throw new UserError(`--frames must be an integer >= 2, got ${frames}`);
  if (integrator !== undefined && !ROLLOUT_INTEGRATORS.includes(integrator))
    throw new UserError(`unknown integrator "${integrator}"; choose one of ${ROLLOUT_INTEGRATORS.join(', ')}`);
  const ext = extname(opts.out).toLowerCase();
  if (ext !== '.gif' && ext !== '.mp4') throw new UserError(`--out must end in .gif or .mp4, got "${opts.out}"`);
  if (existsSync(opts.out) && !opts.force)
    throw new UserError(`${opts.out} already exists; choose another --out or pass --force to overwrite it`);
  checkWritable(opts.out, 'file');
  checkMemory(`a rollout of ${frames} frames`, rolloutBytes(frames, models), 'roll out fewer --frames');
}

/**
 * `hnn rollout`: checks the request, refuses unfinished runs, takes the lock on the output, then
 * loads the models and their dataset and writes the video(s), the plots and the record beside the
 * video (rolloutAndWrite), or an imported dataset's comparison. Every loaded model is disposed and
 * the lock released however it ends.
 */
export async function runRollout(opts: RolloutOptions): Promise<RolloutResult> {
  const kinds = KINDS.filter((k) => opts.modelDirs[k]);
  checkRolloutRequest(opts, kinds.length);
  if (kinds.length === 0) throw new UserError('no model given: pass --model DIR (an HNN or baseline pixel model folder)');

  for (const k of kinds) refuseUnfinished(opts.modelDirs[k]!);
  const lock = acquireLock(opts.out, 'hnn rollout');
  await initBackend(opts.backend ?? 'auto');
  const models: LoadedModels = {};
  try {
    loadModels(opts.modelDirs, kinds, models);
    const { dataDir, ds } = rolloutDataset(opts, kinds, models);
    const warnings = kinds.flatMap((k) => learnedNothingNote(k, opts.modelDirs[k]!));
    const r = ds.task.imported
      ? await writeImportedRollout(models, kinds, ds, { ...opts, dataDir })
      : await rolloutAndWrite(opts, kinds, models, dataDir, ds);
    return { ...r, notes: [...warnings, ...r.notes] };
  } finally {
    for (const m of Object.values(models)) m?.model.dispose();
    lock.release();
  }
}

/**
 * A warning when the run that trained a model recorded that it learned nothing (src/pipeline/metrics.ts).
 * A model without a readable metrics.json beside it (copied alone) rolls out without one.
 */
function learnedNothingNote(kind: ModelKind, modelDir: string): string[] {
  const path = join(dirname(resolve(modelDir)), 'metrics.json');
  let m: RunMetricsBase<string>;
  try {
    m = readMetrics<RunMetricsBase<string>>(path);
  } catch {
    return [];
  }
  const n = learnedNothing(m);
  return n ? [`WARNING: the ${LABEL[kind]} learned nothing (${path}: ${n.why}); its rollout shows nothing it learned`] : [];
}

/** Loads each kind's model into `models` (filled as it goes, so that the caller disposes what loaded before a failure); a folder holding another kind is refused. */
function loadModels(dirs: ModelDirs, kinds: ModelKind[], models: LoadedModels): void {
  for (const k of kinds) {
    const m = loadPixelModel(dirs[k]!);
    if (m.topology.kind !== k) throw new UserError(`${dirs[k]} holds a ${m.topology.kind} model, given as the ${k}`);
    models[k] = m;
  }
}

/**
 * The dataset to roll out on: --data, else the one the first model records. opts.dataset is used
 * when it is that folder, else the folder is read. Refused: no dataset known or found, a frame size
 * a model does not take, a trial outside the test trials.
 */
function rolloutDataset(opts: RolloutOptions, kinds: ModelKind[], models: LoadedModels): { dataDir: string; ds: PixelDataset } {
  const trial = opts.trial ?? 0;
  const first = models[kinds[0]]!;
  const dataDir = opts.dataDir ?? (first.metadata.dataset as string | undefined);
  if (!dataDir) throw new UserError(`${opts.modelDirs[kinds[0]]} does not record its dataset; pass --data DIR`);
  if (!existsSync(dataDir))
    throw new UserError(`dataset folder not found: ${dataDir}; pass --data DIR or regenerate it with \`hnn generate\``);
  const ds = opts.dataset && resolve(opts.dataset.dir) === resolve(dataDir) ? opts.dataset : loadPixelDataset(dataDir);
  for (const k of kinds) {
    const fs = models[k]!.topology.frameSize;
    if (fs !== ds.params.size)
      throw new UserError(
        `the ${k} model takes ${fs}x${fs} frames but dataset ${dataDir} has ${ds.params.size}x${ds.params.size}; pass the dataset it was trained on with --data`,
      );
  }
  if (!(Number.isInteger(trial) && trial >= 0 && trial < ds.testTrials))
    throw new UserError(`--trial must be in 0..${ds.testTrials - 1}, got ${trial}`);
  return { dataDir, ds };
}

/**
 * Rolls every model out from the test trial and writes, in this order: the GIF (and the MP4 when
 * asked and ffmpeg runs), the energy plot, the phase portrait (one-degree-of-freedom systems with an
 * HNN or D-HNN), and FILE.json beside the video recording what made it. The notes are returned,
 * for the caller to print (the CLI prints each once).
 */
async function rolloutAndWrite(
  opts: RolloutOptions,
  kinds: ModelKind[],
  models: LoadedModels,
  dataDir: string,
  ds: PixelDataset,
): Promise<RolloutResult> {
  const frames = opts.frames ?? 200;
  const trial = opts.trial ?? 0;
  const ext = extname(opts.out).toLowerCase();
  const projection = opts.projection ?? taskProjection(ds.task);
  const { rollouts, integrators } = rollEachModel(opts, kinds, models, ds, trial, frames, projection);
  const truth = trialTruth(ds, trial, frames);
  const out = resolve(opts.out);
  const fps = 1 / ds.params.frameDt;
  const { videos, notes } = await writeRolloutVideos(out, ext, videoPanels(ds, frames, truth, kinds, rollouts), ds, fps);

  const used = [...new Set(Object.values(integrators))];
  const stem = join(opts.plotsDir ? resolve(opts.plotsDir) : dirname(out), basename(out, extname(out)));
  const energyPlot = `${stem}-energy.png`;
  await plotRolloutEnergy(
    energyPlot,
    ds,
    trial,
    frames,
    `${used.join(' / ')}${projection === 'none' ? '' : ', projected'}`,
    truth,
    kinds,
    rollouts,
  );
  const phasePlot = await plotLearnedH(stem, ds, trial, models, rollouts);
  const scores = rolloutScores(kinds, rollouts);
  // what made the video, beside it
  writeJsonAtomic(`${out.slice(0, -ext.length)}.json`, {
    models: opts.modelDirs,
    dataset: dataDir,
    trial,
    frames,
    integrator: used.length === 1 ? used[0]! : integrators,
    projection,
    fps,
    videos,
    plots: { energy: energyPlot, phase: phasePlot },
    scores,
    versions: packageVersions(),
  });
  return { videos, phasePlot, energyPlot, scores, notes };
}

/**
 * Each model's rollout of the test trial, with its integrator: the one asked for, else the model's
 * own default (as its evaluation used). A latent map saved with the model is reused when it fits the
 * task; otherwise one is fitted on the training set, as the model's evaluation did.
 */
function rollEachModel(
  opts: RolloutOptions,
  kinds: ModelKind[],
  models: LoadedModels,
  ds: PixelDataset,
  trial: number,
  frames: number,
  projection: RolloutProjection,
): { rollouts: Rollouts; integrators: Partial<Record<ModelKind, RolloutIntegrator>> } {
  const rollouts: Rollouts = {};
  const integrators: Partial<Record<ModelKind, RolloutIntegrator>> = {};
  for (const k of kinds) {
    const m = models[k]!;
    const integrator = (integrators[k] = opts.integrator ?? defaultRolloutIntegrator(m.topology.loss.latentStep));
    const own = withContext(ds, contextOf(m.topology));
    const map: LatentMap = savedLatentMap(m.metadata, ds.task) ?? fitTrainMap(m.model, own);
    rollouts[k] = rolloutTrial(m.model, m.weights, own, map, trial, frames, integrator, projection);
  }
  return { rollouts, integrators };
}

/** The video's panels, left to right: the truth, then each model's decoded rollout, a frame array each. */
function videoPanels(ds: PixelDataset, frames: number, truth: RolloutTruth, kinds: ModelKind[], rollouts: Rollouts): VideoPanel[] {
  const NN = ds.params.size * ds.params.size * ds.params.channels;
  const split = (a: Float32Array) => Array.from({ length: frames }, (_, f) => a.subarray(f * NN, (f + 1) * NN));
  return [{ label: 'truth', frames: split(truth.frames) }, ...kinds.map((k) => ({ label: LABEL[k], frames: split(rollouts[k]!.frames) }))];
}

/**
 * Writes the panels side by side at the dataset's frame rate: always as a GIF (FILE.gif next to an
 * .mp4), then the MP4 when `out` is one and ffmpeg runs, else a note saying why not. Returns the
 * videos written (the GIF first) and the notes.
 */
async function writeRolloutVideos(
  out: string,
  ext: string,
  panels: VideoPanel[],
  ds: PixelDataset,
  fps: number,
): Promise<{ videos: string[]; notes: string[] }> {
  // about 168 px per panel: the 28-pixel frames at 6x
  const video = composePanels(panels, ds.params.size, {
    scale: Math.max(1, Math.round(168 / ds.params.size)),
    counter: true,
    channels: ds.params.channels,
  });
  const gif = ext === '.gif' ? out : out.slice(0, -ext.length) + '.gif';
  const videos: string[] = [];
  const notes: string[] = [];
  await writeVideo(gif, video, { fps });
  videos.push(gif);
  if (ext === '.mp4') {
    if (hasFfmpeg()) {
      await writeVideo(out, video, { fps });
      videos.push(out);
    } else {
      notes.push(`MP4 skipped: ffmpeg is not on the PATH; wrote ${gif} instead. ${FFMPEG_HINT}`);
    }
  }
  return { videos, notes };
}

/** Each model's VPT and energy MSE, and its period ratio (null when not finite: a swing too short to time). */
function rolloutScores(kinds: ModelKind[], rollouts: Rollouts): RolloutResult['scores'] {
  const scores: RolloutResult['scores'] = {};
  for (const k of kinds)
    scores[k] = {
      vpt: rollouts[k]!.vpt,
      energyMse: rollouts[k]!.energyMse,
      periodRatio: Number.isFinite(rollouts[k]!.periodRatio) ? rollouts[k]!.periodRatio : null,
    };
  return scores;
}

/**
 * Memory of a rollout per frame, for `models` models: latents, decoded pairs and their first frames,
 * re-encodings, and models + 1 video panels of at most 168 x 168 RGB (plus the GIF's palette copy).
 */
function rolloutBytes(frames: number, models: number): Record<string, number> {
  const pair = 2 * 64 * 64 * 4; // frames of up to 64 x 64
  return {
    'decoded frames': frames * models * (pair + pair / 2),
    'video frames': frames * 2 * ((models + 1) * 176) * (176 + 48) * 3,
  };
}

/** A model inside a run folder that holds no metrics.json is unfinished (killed, or still training). */
export function refuseUnfinished(modelDir: string): void {
  const run = dirname(resolve(modelDir));
  if (existsSync(join(run, 'metrics.json'))) return;
  if (existsSync(join(run, CHECKPOINT_FILE)) || existsSync(join(run, 'log.jsonl'))) {
    throw new UserError(
      `${run} is an unfinished training run (no metrics.json): finish it with \`hnn train ... --resume\` (or retrain it) before rolling it out`,
    );
  }
}
