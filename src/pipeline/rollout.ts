// `hnn rollout`: encode the first pair of a test trial, integrate each model's latent field, decode
// every latent, and show truth | baseline | HNN | D-HNN (those given) side by side (GIF always, MP4
// when ffmpeg is on the PATH), plus a latent phase portrait (contours of the learned H with the
// encoded test trajectory) and the energy of each rollout over time.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { hamiltonianFunction } from '../../models/f64.ts';
import { MODEL_KINDS, type ModelKind } from '../../models/kinds.ts';
import { contextOf, PIXEL_MODEL_FORMAT } from '../../models/pixel.ts';
import { loadPixelModel, type LoadedPixelModel } from '../../models/storage.ts';
import { defaultRolloutIntegrator, taskProjection, type RolloutProjection } from '../eval/integrators.ts';
import { encodeRows, ROLLOUT_INTEGRATORS, type LatentMap, type PixelRollout, type RolloutIntegrator } from '../eval/pixel.ts';
import { contourPlot, linePlot } from '../media/plot.ts';
import { composePanels, hasFfmpeg, writeVideo, type VideoPanel } from '../media/video.ts';
import { initBackend } from '../tf/backend.ts';
import { UserError } from '../util/errors.ts';
import { checkWritable, writeJsonAtomic } from '../util/files.ts';
import { acquireLock } from '../util/lock.ts';
import { checkMemory } from '../util/memory.ts';
import { CHECKPOINT_FILE } from './run-output.ts';
import { packageVersions } from '../util/versions.ts';
import { writeImportedRollout, type ImportedComparison } from './import-rollout.ts';
import { energyName, rolloutTrial, trialTruth } from '../eval/pixel-trials.ts';
import { fitTrainMap, savedLatentMap } from '../eval/pixel-evaluation.ts';
import { loadPixelDataset, withContext, type PixelDataset } from '../../datasets/pixel-load.ts';

/** A model folder per kind. */
export type ModelDirs = Partial<Record<ModelKind, string>>;

/** Video and plot order, labels and colours of the models. */
const KINDS = ['baseline', 'hnn', 'dhnn'] as const;
const LABEL: Record<ModelKind, string> = { baseline: 'baseline', hnn: 'HNN', dhnn: 'D-HNN' };
const COLOR: Record<ModelKind, string> = { baseline: '#ff7f0e', hnn: '#1f77b4', dhnn: '#2ca02c' };

export interface RolloutOptions {
  modelDirs: ModelDirs;
  /** Default: the dataset the models were trained on (from their metadata). */
  dataDir?: string;
  /** The dataset of dataDir, already read (the main job reads it while a model still trains). */
  dataset?: PixelDataset;
  /** FILE.gif or FILE.mp4; a GIF is always written (FILE.gif next to an .mp4). */
  out: string;
  frames?: number;
  /** Default: each model's own (defaultRolloutIntegrator of its latent step, as its evaluation used). */
  integrator?: RolloutIntegrator;
  /** Default: the task's (taskProjection), as the models' evaluation used. */
  projection?: RolloutProjection;
  /** Test trial to roll out (default 0: the first test pair). */
  trial?: number;
  /** Folder of the two PNGs (default: next to the video, named after it). */
  plotsDir?: string;
  backend?: string;
  quiet?: boolean;
  /** Overwrite an existing video of the same name. */
  force?: boolean;
}

export interface RolloutResult {
  /** Video files written (the GIF first). */
  videos: string[];
  phasePlot: string | null;
  energyPlot: string;
  /** Per model: VPT (frames) and energy MSE of this rollout. */
  /** periodRatio: null when the rollout or the truth swings less than twice */
  scores: Record<string, { vpt: number; energyMse: number; periodRatio: number | null }>;
  /** Things the user should know (e.g. no ffmpeg for the MP4). */
  notes: string[];
  /** Imported datasets: the comparison over every held-out trial (scores is then empty: there is no true energy). */
  imported?: ImportedComparison;
}

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

export async function runRollout(opts: RolloutOptions): Promise<RolloutResult> {
  const frames = opts.frames ?? 200;
  const trial = opts.trial ?? 0;
  const ext = extname(opts.out).toLowerCase();
  const kinds = KINDS.filter((k) => opts.modelDirs[k]);
  checkRolloutRequest(opts, kinds.length);
  if (kinds.length === 0) throw new UserError('no model given: pass --model DIR (an HNN or baseline pixel model folder)');

  for (const k of kinds) refuseUnfinished(opts.modelDirs[k]!);
  const lock = acquireLock(opts.out, 'hnn rollout');
  await initBackend(opts.backend ?? 'auto');
  const models: Partial<Record<ModelKind, LoadedPixelModel>> = {};
  try {
    for (const k of kinds) {
      const m = loadPixelModel(opts.modelDirs[k]!);
      if (m.topology.kind !== k) throw new UserError(`${opts.modelDirs[k]} holds a ${m.topology.kind} model, given as the ${k}`);
      models[k] = m;
    }
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
    if (ds.task.imported) return await writeImportedRollout(models, kinds, ds, { ...opts, dataDir });

    const rollouts: Partial<Record<ModelKind, PixelRollout>> = {};
    const maps: Partial<Record<ModelKind, LatentMap>> = {};
    const integrators: Partial<Record<ModelKind, RolloutIntegrator>> = {};
    const projection = opts.projection ?? taskProjection(ds.task);
    for (const k of kinds) {
      const m = models[k]!;
      const integrator = (integrators[k] = opts.integrator ?? defaultRolloutIntegrator(m.topology.loss.latentStep));
      // a map saved with the model is reused when it fits (older models mapped elsewhere, or affinely)
      const own = withContext(ds, contextOf(m.topology));
      maps[k] = savedLatentMap(m.metadata, ds.task) ?? fitTrainMap(m.model, own);
      rollouts[k] = rolloutTrial(m.model, m.weights, own, maps[k]!, trial, frames, integrator, projection);
    }
    const truth = trialTruth(ds, trial, frames);
    const NN = ds.params.size * ds.params.size * ds.params.channels;
    const split = (a: Float32Array) => Array.from({ length: frames }, (_, f) => a.subarray(f * NN, (f + 1) * NN));
    const panels: VideoPanel[] = [
      { label: 'truth', frames: split(truth.frames) },
      ...kinds.map((k) => ({ label: LABEL[k], frames: split(rollouts[k]!.frames) })),
    ];
    // about 168 px per panel: the 28-pixel frames at 6x
    const video = composePanels(panels, ds.params.size, {
      scale: Math.max(1, Math.round(168 / ds.params.size)),
      counter: true,
      channels: ds.params.channels,
    });
    const fps = 1 / ds.params.frameDt;
    const out = resolve(opts.out);
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

    const used = [...new Set(Object.values(integrators))];
    const integrator = used.length === 1 ? used[0]! : integrators;
    const stem = join(opts.plotsDir ? resolve(opts.plotsDir) : dirname(out), basename(out, extname(out)));
    const energyPlot = `${stem}-energy.png`;
    await linePlot(energyPlot, {
      title: `${ds.task.name}: energy along the rollout (test trial ${trial}, ${used.join(' / ')}${projection === 'none' ? '' : ', projected'})`,
      xLabel: 'frame',
      yLabel: energyName(ds.task),
      series: [
        { name: 'truth', x: range(frames), y: truth.energy, dashed: true, color: '#222222' },
        ...kinds.map((k) => ({ name: LABEL[k], x: range(frames), y: rollouts[k]!.energy, color: COLOR[k] })),
      ],
    });
    let phasePlot: string | null = null;
    // the HNN's learned H (else the D-HNN's)
    const withH = (['hnn', 'dhnn'] as const).find((k) => models[k]);
    if (withH && ds.task.system.dof === 1) {
      phasePlot = `${stem}-phase.png`;
      await phasePortrait(phasePlot, withH, models[withH]!, withContext(ds, contextOf(models[withH]!.topology)), trial, rollouts[withH]!);
    }
    const scores: RolloutResult['scores'] = {};
    for (const k of kinds)
      scores[k] = {
        vpt: rollouts[k]!.vpt,
        energyMse: rollouts[k]!.energyMse,
        periodRatio: Number.isFinite(rollouts[k]!.periodRatio) ? rollouts[k]!.periodRatio : null,
      };
    // what made the video, beside it
    writeJsonAtomic(`${out.slice(0, -ext.length)}.json`, {
      models: opts.modelDirs,
      dataset: dataDir,
      trial,
      frames,
      integrator,
      projection,
      fps,
      videos,
      plots: { energy: energyPlot, phase: phasePlot },
      scores,
      versions: packageVersions(),
    });
    if (!opts.quiet) for (const n of notes) process.stderr.write(n + '\n');
    return { videos, phasePlot, energyPlot, scores, notes };
  } finally {
    for (const m of Object.values(models)) m?.model.dispose();
    lock.release();
  }
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

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Contours of the learned H over the latent plane, the encoded test trajectory and the model's rollout on top. */
async function phasePortrait(
  path: string,
  kind: 'hnn' | 'dhnn',
  m: LoadedPixelModel,
  ds: PixelDataset,
  trial: number,
  rollout: PixelRollout,
): Promise<void> {
  const w = m.model.input;
  const rows = ds.perTrial;
  const start = trial * rows;
  const z = encodeRows(m.model, ds.data.test.x.subarray(start * w, (start + rows) * w), rows);
  const col = (a: Float64Array, c: number) => Array.from({ length: a.length / 2 }, (_, i) => a[2 * i + c]);
  const xs = [...col(z, 0), ...col(rollout.latent.z, 0)].filter(Number.isFinite);
  const ys = [...col(z, 1), ...col(rollout.latent.z, 1)].filter(Number.isFinite);
  const padded = (v: number[]): [number, number] => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = 0.25 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  const H = hamiltonianFunction(m.weights, kind);
  await contourPlot(path, {
    title: `learned H in the latent plane (test trial ${trial})`,
    f: (q, p) => H([q, p]),
    xRange: padded(xs),
    yRange: padded(ys),
    levels: 14,
    overlay: [
      { x: col(z, 0), y: col(z, 1), name: 'encoded test frames' },
      { x: col(rollout.latent.z, 0), y: col(rollout.latent.z, 1), name: `${LABEL[kind]} latent rollout` },
    ],
    xLabel: 'z_q',
    yLabel: 'z_p',
  });
}
