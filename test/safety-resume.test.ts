// Problem 7 of the reliability issue: resume is tied to its inputs. `--resume --data OTHER` used to
// continue training on the other dataset (the checkpoint did not record its data), and a killed
// state run, rerun, appended to the old log. A checkpoint now records its dataset's manifest
// checksum and refuses another; a state run without a checkpoint says it restarts, with a clean log.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePixelDataset as generate, type PixelDatasetOptions } from '../datasets/pixel.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';

const generatePixelDataset = (o: PixelDatasetOptions) => generate(pixelPendulumTask, o);
import { runPixelExperiment } from '../src/pipeline/pixel.ts';
import { MARKER } from '../src/util/output.ts';
import { hnn, expectOneLineError } from './helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'hnn-safety-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resume is tied to its inputs', () => {
  it('refuses to resume a pixel run on another dataset, and resumes on its own', async () => {
    const small = { trials: 5, frames: 8, size: 8, quiet: true, samples: 1 } as const;
    const dsA = join(root, 'a');
    const dsB = join(root, 'b');
    await generatePixelDataset({ out: dsA, seed: 1, ...small });
    await generatePixelDataset({ out: dsB, seed: 2, ...small });
    const run = join(root, 'run');
    const base = { kind: 'baseline' as const, seed: 0, steps: 6, outDir: run, quiet: true, checkpointEvery: 2, frames: 10, backend: 'cpu' };
    const stopped = await runPixelExperiment({ ...base, dataDir: dsA, stopAfter: 3 });
    expect(stopped.metrics).toBeNull();
    const r = hnn([
      'train',
      '--task',
      'pixel-pendulum',
      '--model',
      'baseline',
      '--steps',
      '6',
      '--data',
      dsB,
      '--out',
      run,
      '--resume',
      '--backend',
      'cpu',
    ]);
    expectOneLineError(
      r,
      /checkpoint .*checkpoint\.bin was made on another dataset \(manifest sha256 [0-9a-f]{12}\.\.\.\), not on .*\/b .*resume with --data set to the dataset it was trained on/,
    );
    // what a kill after training but before metrics.json leaves in the log: steps past the checkpoint, a 'done'
    const logPath = join(run, 'log.jsonl');
    writeFileSync(
      logPath,
      readFileSync(logPath, 'utf8') + '{"event":"step","step":5,"loss":1}\n{"event":"done","trainLoss":1}\n{"event":"st',
    );
    const resumed = await runPixelExperiment({ ...base, dataDir: dsA, resume: true });
    expect(resumed.metrics?.resumedFrom).toBe(3);
    const log = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; step?: number });
    expect(log.filter((e) => e.event === 'done')).toHaveLength(1);
    const steps = log.filter((e) => e.event === 'step').map((e) => e.step ?? -1);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
  });

  it('a killed state run is restarted with a clean log, and says so', () => {
    const data = join(root, 'spring');
    expect(hnn(['generate', 'spring', '--out', data]).code).toBe(0);
    const out = join(root, 'killed');
    // what a kill -9 during training leaves: the marker and a log, no metrics, no checkpoint
    mkdirSync(out);
    writeFileSync(join(out, MARKER), JSON.stringify({ kind: 'run', task: 'spring', model: 'hnn', seed: 0 }));
    writeFileSync(join(out, 'log.jsonl'), '{"time":"t","event":"start","old":true}\n{"time":"t","event":"step","step":0,"loss":9}\n');
    const r = hnn(['train', '--task', 'spring', '--steps', '3', '--data', data, '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/restarting: the unfinished run in .*killed was discarded \(it had no checkpoint to resume from\)/);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.filter((e) => e.old)).toEqual([]);
    expect(log[0].event).toBe('start');
    expect(log.filter((e) => e.event === 'start')).toHaveLength(1);
  });
});
