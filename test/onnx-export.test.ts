// `hnn export`: every exported graph passes onnx's own checker (Debian's python3-onnx, full check with
// shape inference) and, run by ONNX Runtime at a batch size other than the one it was recorded at,
// gives what the project's own evaluation gives (the float64 field, H and D; the tfjs encoder and
// decoder). Bad input is refused in one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { DynamicsModel } from '../models/dynamics.ts';
import { PixelModel, DEFAULT_PIXEL_LOSS, type PixelModelSpec } from '../models/pixel.ts';
import { saveDynamicsModel, savePixelModel } from '../models/storage.ts';
import { dissipationFunction, fieldFunction, hamiltonianFunction } from '../models/f64.ts';
import { runGraphOnce } from '../src/engine/ort.ts';
import { runExport } from '../src/pipeline/export.ts';
import { Rng } from '../src/util/rng.ts';
import { hnn } from './helpers/cli.ts';

/** A python with onnx (Debian's python3-onnx is /usr/bin/python3's), or null. */
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import onnx'], { timeout: 60_000 }).status === 0) ?? null;

function onnxCheck(files: string[]): void {
  if (!python) throw new Error('no python with onnx: apt-get install python3-onnx (.ci/run installs it)');
  const script = 'import onnx, sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok")';
  const r = spawnSync(python, ['-c', script, ...files], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('ok');
}

const rows = (n: number, dim: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.range(-1.2, 1.2));
};

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'hnn-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hnn export', () => {
  const cases = [['hnn'], ['baseline'], ['dhnn', 'momenta'], ['dhnn', 'even'], ['dhnn', 'rayleigh']] as const;
  for (const [kind, form] of cases) {
    it(`${kind}${form ? ` (${form})` : ''}: the state model's graphs pass onnx's checker and equal the float64 evaluation at batch 5`, async () => {
      const model = DynamicsModel.init({ kind, dim: 4, hidden: [16, 12], ...(form ? { dissipation: form } : {}) }, 3);
      const weights = model.read();
      const name = `${kind}${form ?? ''}`;
      await saveDynamicsModel(join(dir, name, 'model'), model);
      model.dispose();
      const r = runExport({ modelDir: join(dir, name, 'model'), out: join(dir, name, 'onnx') });
      const want = {
        hnn: ['field.onnx', 'hamiltonian.onnx'],
        baseline: ['field.onnx'],
        dhnn: ['field.onnx', 'hamiltonian.onnx', 'dissipation.onnx'],
      }[kind];
      expect(r.files.map((f) => f.file)).toEqual(want);
      onnxCheck(want.map((f) => join(r.dir, f)));
      const x = rows(5, 4, 7);
      const refs: Record<string, (s: Float64Array) => ArrayLike<number>> = {
        'field.onnx': (s) => fieldFunction(kind, weights)(0, s),
        'hamiltonian.onnx': (s) => [hamiltonianFunction(weights, kind === 'dhnn' ? 'dhnn' : 'hnn')(s)],
      };
      for (const f of r.files) {
        const out = Object.values(await runGraphOnce(readFileSync(join(r.dir, f.file)), { [f.input.name]: { data: x, shape: [5, 4] } }))[0];
        expect(out.length).toBe(5 * (f.output.shape[1] as number));
        if (f.file === 'dissipation.onnx') continue; // checked below through its gradient
        const width = f.output.shape[1] as number;
        for (let i = 0; i < 5; i++) {
          const ref = refs[f.file](Float64Array.from(x.subarray(i * 4, i * 4 + 4)));
          for (let j = 0; j < width; j++)
            expect(Math.abs(out[i * width + j] - ref[j]), `${f.file} row ${i}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref[j])));
        }
      }
      if (kind === 'dhnn') {
        // D's finite-difference gradient on the momenta is the field's dissipative part
        const file = readFileSync(join(r.dir, 'dissipation.onnx'));
        const at = async (s: Float32Array) => (await runGraphOnce(file, { x: { data: s, shape: [1, 4] } })).D[0];
        const s0 = x.subarray(0, 4);
        const grad = dissipationFunction(weights)(Float64Array.from(s0));
        for (const j of [2, 3]) {
          const h = 1e-2;
          const [up, down] = [Float32Array.from(s0), Float32Array.from(s0)];
          up[j] += h;
          down[j] -= h;
          expect(Math.abs(((await at(up)) - (await at(down))) / (2 * h) - grad[j])).toBeLessThan(1e-3);
        }
      }
    });
  }

  for (const encoder of ['mlp', 'conv'] as const) {
    it(`${encoder} autoencoder: the encoder and decoder graphs pass the checker and equal the model's tfjs encode and decode`, async () => {
      const spec: PixelModelSpec = { kind: 'hnn', frameSize: 8, hidden: 12, latent: 2, dynHidden: [10], encoder };
      const model = PixelModel.init(spec, 4);
      await savePixelModel(join(dir, encoder, 'model'), model, DEFAULT_PIXEL_LOSS);
      const r = runExport({ modelDir: join(dir, encoder, 'model'), out: join(dir, encoder, 'onnx') });
      expect(r.files.map((f) => f.file)).toEqual(['encoder.onnx', 'decoder.onnx', 'latent-field.onnx', 'latent-hamiltonian.onnx']);
      onnxCheck(r.files.map((f) => join(r.dir, f.file)));
      const frames = rows(3, model.input, 9).map((v) => Math.abs(v) / 1.2);
      const z = (await runGraphOnce(readFileSync(join(r.dir, 'encoder.onnx')), { frames: { data: frames, shape: [3, model.input] } })).z;
      const zWant = tf.tidy(() => model.encode(tf.tensor2d(frames, [3, model.input]))).dataSync();
      z.forEach((v, i) => expect(Math.abs(v - zWant[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(zWant[i]))));
      const back = (await runGraphOnce(readFileSync(join(r.dir, 'decoder.onnx')), { z: { data: z, shape: [3, 2] } })).frames;
      const backWant = tf.tidy(() => model.decode(tf.tensor2d(z, [3, 2]))).dataSync();
      back.forEach((v, i) => expect(Math.abs(v - backWant[i])).toBeLessThan(1e-5));
      model.dispose();
    });
  }

  it('refuses a folder without a model and a foreign --out, in one line each', async () => {
    mkdirSync(join(dir, 'empty'));
    const a = hnn(['export', '--model', join(dir, 'empty'), '--out', join(dir, 'x')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(
      /^hnn: error: no model found at .*empty \(neither model.json nor model\/model.json\); give --model a run's folder or its model\/ folder\n$/,
    );
    // a run's folder is taken for its model/ folder: the same files, and export.json names the model folder
    const run = runExport({ modelDir: join(dir, 'hnn'), out: join(dir, 'from-run') });
    for (const f of ['field.onnx', 'hamiltonian.onnx'])
      expect(readFileSync(join(run.dir, f)).equals(readFileSync(join(dir, 'hnn', 'onnx', f)))).toBe(true);
    expect(JSON.parse(readFileSync(join(run.dir, 'export.json'), 'utf8')).model).toBe(join(dir, 'hnn', 'model'));
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.txt'), 'keep');
    const b = hnn(['export', '--model', join(dir, 'hnn', 'model'), '--out', join(dir, 'mine')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/holds files hnn did not make \(notes.txt\)/);
    expect(readFileSync(join(dir, 'mine', 'notes.txt'), 'utf8')).toBe('keep');
  });
});
