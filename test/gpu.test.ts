// The GPU engines, where a GPU and their binaries exist: ONNX Runtime's CUDA provider (installed with
// `npm install --onnxruntime-node-install=cuda12`) and tfjs-node-gpu train the spring HNN as the CPU
// engine does, to float32 noise. Elsewhere each test is reported as "skipped: no GPU" (or which
// binary is missing), with the reason in its name.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initBackend } from '../src/tf/backend.ts';
import { trainStateModel } from '../src/train/state.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { springTask } from '../src/tasks/builtin/spring.ts';

const gpu = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' }).status === 0;

function ortCudaMissing(): string | null {
  if (!gpu) return 'no GPU';
  const bin = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))
    ? null
    : 'no CUDA provider (npm install --onnxruntime-node-install=cuda12)';
}

function tfjsGpuMissing(): string | null {
  if (!gpu) return 'no GPU';
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return null;
  } catch {
    return 'no @tensorflow/tfjs-node-gpu';
  }
}

async function springWeights(backend: string): Promise<Float32Array> {
  await initBackend(backend);
  const p = springTask.train;
  const r = await trainStateModel(
    { kind: 'hnn', seed: 0, steps: 19, batchSize: null, weightDecay: p.weightDecay, lr: p.lr, hidden: p.hidden },
    toStateData(buildStateDataset(springTask, 0)),
    { quiet: true },
  );
  const w = Float32Array.from(r.model.variables().flatMap((v) => Array.from(v.dataSync())));
  r.model.dispose();
  return w;
}

const maxGap = (a: Float32Array, b: Float32Array) => a.reduce((g, v, i) => Math.max(g, Math.abs(v - b[i])), 0);

describe('GPU engines', () => {
  const cuda = ortCudaMissing();
  it.skipIf(cuda !== null)(
    `ONNX Runtime's CUDA provider trains the spring HNN as the CPU does${cuda ? ` (skipped: ${cuda})` : ''}`,
    async () => {
      const [cpu, gpuW] = [await springWeights('ort'), await springWeights('ort-cuda')];
      expect(maxGap(cpu, gpuW)).toBeLessThan(1e-3);
    },
  );

  const tfjs = tfjsGpuMissing();
  it.skipIf(tfjs !== null)(
    `tfjs-node-gpu trains the spring HNN as ONNX Runtime's CPU engine does${tfjs ? ` (skipped: ${tfjs})` : ''}`,
    async () => {
      const [cpu, gpuW] = [await springWeights('ort'), await springWeights('tfjs-node-gpu')];
      expect(maxGap(cpu, gpuW)).toBeLessThan(1e-3);
      await initBackend('wasm');
    },
  );

  it('asking for the CUDA provider without it fails in one line that names the fix', async () => {
    if (cuda === null) return void expect(cuda).toBeNull(); // a machine with the provider cannot show the refusal
    await expect(initBackend('ort-cuda')).rejects.toThrow(
      /CUDA provider could not start .*npm install --onnxruntime-node-install=cuda12.*--backend ort/,
    );
  });
});
