// Joint training of the pixel model on a tiny rendered dataset: losses go down, tensors do not
// leak, a killed-and-resumed run ends bit-identical to an uninterrupted one, bad input is refused.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { generatePixelDataset as generate, type PixelDatasetOptions } from '../datasets/pixel.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';

const generatePixelDataset = (o: PixelDatasetOptions) => generate(pixelPendulumTask, o);
import { loadCheckpoint } from '../src/train/checkpoint.ts';
import { latentWeightDecay, pixelVariables, splitSampleLosses, trainPixelModel, type PixelTrainConfig } from '../src/train/pixel.ts';
import { type PixelData } from '../datasets/pixel-load.ts';
import { DEFAULT_PIXEL_LOSS, PixelModel, type PixelLossConfig } from '../models/pixel.ts';
import { loadPixelModel } from '../models/storage.ts';
import { CHECKPOINT_FILE, runPixelExperiment } from '../src/pipeline/pixel.ts';
import { pixelProtocolMismatch, runPixelEvaluation } from '../src/pipeline/pixel-metrics.ts';
import { JsonlLog } from '../src/train/log.ts';
import { splitColumns, WindowBatcher } from '../src/train/pixel-batches.ts';
import { activeInputsOf } from '../models/autoencoder-pass.ts';
import { inputColumnsNote } from '../src/cli/train-summary.ts';

const SIZE = 8;
let dir: string;
let data: PixelData;

function tinyConfig(over: Partial<PixelTrainConfig> = {}): PixelTrainConfig {
  return {
    spec: { kind: 'hnn', frameSize: SIZE, hidden: 24, latent: 2, dynHidden: [16, 16] },
    seed: 3,
    steps: 29,
    batchSize: 32,
    lr: 1e-3,
    weightDecay: 1e-5,
    loss: DEFAULT_PIXEL_LOSS,
    logEvery: 10,
    checkpointEvery: 10,
    ...over,
  };
}

function mean(a: Float64Array): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'pixel-train-'));
  await generatePixelDataset({ out: join(dir, 'data'), trials: 6, frames: 24, size: SIZE, seed: 1, quiet: true, samples: 2 });
  data = loadPixelDataset(join(dir, 'data')).data;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pixel training', () => {
  for (const kind of ['hnn', 'baseline'] as const) {
    it(`${kind}: 50 steps lower every loss term on the training set`, async () => {
      const cfg = tinyConfig({ spec: { ...tinyConfig().spec, kind }, steps: 49 });
      const before = PixelModel.init(cfg.spec, cfg.seed);
      const l0 = splitSampleLosses(before, data.train);
      before.dispose();
      const run = await trainPixelModel(cfg, data, { quiet: true });
      const l1 = splitSampleLosses(run.model, data.train);
      run.model.dispose();
      expect(run.lastStep).toBe(50);
      for (const k of ['total', 'recon', 'consistency', 'hnn'] as const) expect(mean(l1[k]), k).toBeLessThan(mean(l0[k]));
    });
  }

  it('leaves tf.memory().numTensors flat across training (tfjs engine)', async () => {
    const before = tf.memory().numTensors;
    const run = await trainPixelModel(tinyConfig({ steps: 30 }), data, { quiet: true });
    run.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a killed-and-resumed run ends with the same weights as an uninterrupted one', async () => {
    const cfg = tinyConfig();
    const full = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: join(dir, 'a.bin') });
    const want = full.model.read();
    full.model.dispose();

    const ck = join(dir, 'b.bin');
    const log = new JsonlLog(join(dir, 'b.jsonl'));
    const killed = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: ck, stopAfter: 17, log });
    expect(killed.finished).toBe(false);
    killed.model.dispose();
    expect(loadCheckpoint(ck).step).toBe(17);
    const resumed = await trainPixelModel(cfg, data, { quiet: true, checkpointPath: ck, resume: true, log });
    expect(resumed.startStep).toBe(17);
    expect(resumed.finished).toBe(true);
    const got = resumed.model.read();
    resumed.model.dispose();
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (const k of Object.keys(want)) expect(bytes(got[k].values).equals(bytes(want[k].values)), k).toBe(true);
    // the log holds each logged step once across the two sessions
    const steps = readFileSync(join(dir, 'b.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.event === 'step')
      .map((r) => r.step);
    expect(steps).toEqual([0, 10, 20, 29]);
  });

  it('refuses to resume with a different configuration or without a checkpoint', async () => {
    const ck = join(dir, 'c.bin');
    const run = await trainPixelModel(tinyConfig(), data, { quiet: true, checkpointPath: ck, stopAfter: 5 });
    run.model.dispose();
    await expect(trainPixelModel(tinyConfig({ lr: 5e-4 }), data, { quiet: true, checkpointPath: ck, resume: true })).rejects.toThrow(
      /different configuration/,
    );
    // the checkpoint holds the resolved latent decay (1e-6 by default), not "whatever the default is"
    await expect(
      trainPixelModel(tinyConfig({ dynamicsWeightDecay: 1e-5 }), data, { quiet: true, checkpointPath: ck, resume: true }),
    ).rejects.toThrow(/different configuration/);
    await expect(trainPixelModel(tinyConfig(), data, { quiet: true, checkpointPath: join(dir, 'none.bin'), resume: true })).rejects.toThrow(
      /no checkpoint/,
    );
    await expect(trainPixelModel(tinyConfig({ spec: { ...tinyConfig().spec, frameSize: 28 } }), data, { quiet: true })).rejects.toThrow(
      /frames are 8x8/,
    );
  });
});

describe('runPixelExperiment', () => {
  it('kill + --resume gives the same model as one run; guards finished results and checkpoints', async () => {
    const ds = join(dir, 'ds');
    await generatePixelDataset({ out: ds, trials: 6, frames: 24, size: SIZE, seed: 2, quiet: true, samples: 2 });
    const base = { kind: 'hnn' as const, seed: 0, steps: 12, dataDir: ds, quiet: true, checkpointEvery: 5, frames: 30, backend: 'wasm' };
    const one = await runPixelExperiment({ ...base, outDir: join(dir, 'one') });
    expect(one.metrics?.energyMse.perTrial.length).toBe(1); // 6 trials -> 1 test trial
    expect(Number.isFinite(one.metrics!.testLoss.mean)).toBe(true);
    expect(existsSync(join(dir, 'one', 'plots', 'loss.png'))).toBe(true);
    expect(existsSync(join(dir, 'one', CHECKPOINT_FILE))).toBe(false);
    // its encoder was fed the columns lit in some training frame (28 of 8 x 8 x 2 here), and it says so
    const train = loadPixelDataset(ds).data.train;
    const lit = activeInputsOf([train.x, train.next], 128)!.columns.length;
    expect(lit).toBeLessThan(64);
    expect(one.metrics?.training?.inputColumns).toEqual({ active: lit, of: 128 });
    expect(inputColumnsNote(one.metrics!)).toEqual([
      `  encoder input: the ${lit} of 128 pixel columns lit in some training frame (the rest are 0 in every one)`,
    ]);
    // a default run records the resolved latent decay; a run under the literal protocol is not reused as a default one
    const m = one.metrics!;
    expect(m.protocol.dynamicsWeightDecay).toBe(1e-6);
    expect(pixelProtocolMismatch(m)).toBeNull();
    expect(pixelProtocolMismatch({ ...m, protocol: { ...m.protocol, dynamicsWeightDecay: 1e-5 } })).toMatch(/weight decay 1e-5, not 1e-6/);
    expect(
      pixelProtocolMismatch({ ...m, protocol: { ...m.protocol, dynamicsWeightDecay: 1e-5 } }, { dynamicsWeightDecay: 1e-5 }),
    ).toBeNull();
    expect(pixelProtocolMismatch({ ...m, protocol: { ...m.protocol, loss: { ...DEFAULT_PIXEL_LOSS, latentStep: 'rk4' } } })).toMatch(
      /non-default settings/,
    );
    // the default trains with leapfrog latent steps and rolls out with that same step, once per frame
    expect((m.protocol.loss as PixelLossConfig).latentStep).toBe('leapfrog');
    expect(m.rollout.integrator).toBe('leapfrog-frame');
    // a reproduction with another latent step reuses only runs made with it
    const eulerRun = { ...m, protocol: { ...m.protocol, loss: { ...(m.protocol.loss as object), latentStep: 'euler' } } };
    expect(pixelProtocolMismatch(m, { latentStep: 'euler' })).toMatch(/non-default settings/);
    expect(pixelProtocolMismatch(eulerRun, { latentStep: 'euler' })).toBeNull();
    expect(pixelProtocolMismatch(eulerRun)).toMatch(/non-default settings/);

    const two = join(dir, 'two');
    const stopped = await runPixelExperiment({ ...base, outDir: two, stopAfter: 7 });
    expect(stopped.metrics).toBeNull();
    await expect(runPixelExperiment({ ...base, outDir: two })).rejects.toThrow(/unfinished run.*--resume/);
    const resumed = await runPixelExperiment({ ...base, outDir: two, resume: true });
    expect(resumed.metrics?.resumedFrom).toBe(7);
    const a = loadPixelModel(join(dir, 'one', 'model'));
    const b = loadPixelModel(join(two, 'model'));
    for (const k of Object.keys(a.weights)) expect(Array.from(b.weights[k].values), k).toEqual(Array.from(a.weights[k].values));
    a.model.dispose();
    b.model.dispose();
    expect(resumed.metrics!.testLoss).toEqual(one.metrics!.testLoss);

    // re-evaluation from the saved model reproduces the metrics (and may change the rollout settings)
    const again = await runPixelEvaluation({ outDir: join(dir, 'one'), frames: 20 });
    expect(again.testLoss.mean).toBeCloseTo(one.metrics!.testLoss.mean, 9);
    expect(again.rollout.frames).toBe(20);
    expect(again.trainSeconds).toBe(one.metrics!.trainSeconds);
    expect(JSON.parse(readFileSync(join(dir, 'one', 'metrics.json'), 'utf8')).rollout.frames).toBe(20);

    await expect(runPixelExperiment({ ...base, outDir: two })).rejects.toThrow(/already holds a finished result/);
    await expect(runPixelExperiment({ ...base, outDir: join(dir, 'three'), resume: true })).rejects.toThrow(/no checkpoint/);
    await expect(runPixelExperiment({ ...base, outDir: join(dir, 'four'), dataDir: join(dir, 'missing') })).rejects.toThrow(
      /dataset folder not found/,
    );
  });
});

describe('pixel windows', () => {
  it('a window loss longer than the trials is refused with the frames it needs and has, and the two fixes', () => {
    // trials of 5 frames hold 2 samples each: a 3-step window needs more than 6 frames
    const split = { x: new Float32Array(4 * 8), next: new Float32Array(4 * 8), rows: 4 };
    expect(() => new WindowBatcher(split, 2, 3, 1, 8)).toThrow(
      /^the 3-step window loss \(--rollout-steps 3\) needs trials of more than 6 frames, and these have 5; pass a smaller --rollout-steps or generate longer trials \(--frames\)$/,
    );
    expect(new WindowBatcher(split, 2, 1, 1, 8).starts).toEqual(Int32Array.of(0, 1, 2, 3));
  });

  it("the encoder is fed the columns lit in some training frame, and the decoder's targets whole", () => {
    // 4 rows of width 4 (one trial of 4 pairs): columns 1 and 3 lit somewhere, 0 and 2 never
    const x = Float32Array.of(0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0);
    const next = Float32Array.of(0, 5, 0, 0, 0, 0, 0, 6, 0, 7, 0, 0, 0, 0, 0, 8);
    const active = activeInputsOf([x, next], 4)!;
    expect(active.columns).toEqual(Int32Array.of(1, 3));
    expect(active.rowOf).toEqual(Int32Array.of(2, 0, 2, 1));
    expect(activeInputsOf([x, Float32Array.of(9, 0, 9, 0, ...next.subarray(4))], 4)).toBeNull(); // every column lit
    expect(activeInputsOf([new Float32Array(8)], 4)).toBeNull(); // nothing lit: nothing to leave out
    expect(() => activeInputsOf([new Float32Array(6)], 4)).toThrow(/6 values are not rows of 4/);
    const split = { x, next, rows: 4 };
    const narrow = splitColumns(split, 4, active.columns);
    expect(narrow.x).toEqual(Float32Array.of(1, 0, 2, 0, 0, 3, 4, 0));
    // windows of K = 2 starting at rows 0 and 1: pairs x_r, x_r+1, next_r+1 at the lit columns; head x_r, x_r+1 whole
    const b = new WindowBatcher(split, 4, 2, 2, 4, { split: narrow, width: 2 });
    b.fill([0, 1]);
    expect(b.pairs).toEqual(Float32Array.of(1, 0, 2, 0, 2, 0, 0, 3, 0, 6, 7, 0));
    expect(b.head).toEqual(Float32Array.of(...x.subarray(0, 4), ...x.subarray(4, 8), ...x.subarray(4, 8), ...x.subarray(8, 12)));
  });
});

describe('pixel optimiser', () => {
  it('decays the autoencoder by weightDecay and the latent model by weightDecay x the HNN weight, unless told', () => {
    const model = PixelModel.init(tinyConfig().spec, 0);
    const ae = model.ae.variables().length;
    const dyn = model.dyn.variables().length;
    const split = (aeWd: number, dynWd: number) => [...Array(ae).fill(aeWd), ...Array(dyn).fill(dynWd)];
    const decays = (cfg: PixelTrainConfig) => pixelVariables(model, cfg).map((v) => v.weightDecay);
    expect(latentWeightDecay(tinyConfig())).toBe(1e-6);
    expect(decays(tinyConfig())).toEqual(split(1e-5, 1e-6));
    expect(decays(tinyConfig({ loss: { ...DEFAULT_PIXEL_LOSS, hnn: 1 } }))).toEqual(split(1e-5, 1e-5));
    expect(decays(tinyConfig({ dynamicsWeightDecay: 1e-5 }))).toEqual(split(1e-5, 1e-5));
    model.dispose();
  });
});
