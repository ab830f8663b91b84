// The renderer's part of `hnn bench`: rasteriser throughput and default pixel-dataset build time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rasterizer } from '../../../renderer/rasterize.ts';
import { generatePixelDataset } from '../../../datasets/pixel.ts';
import { pixelPendulumTask } from '../../tasks/builtin/pendulum.ts';

export interface RendererBench {
  /** Frames rendered per second at size x size on one core (angles sweep (-pi, pi)). */
  framesPerSecond: number;
  /** Wall time to generate and write the default dataset (200 trials x 103 frames, 28x28, ODE). */
  defaultDatasetSeconds: number;
  size: number;
  samples: number;
}

export async function benchRenderer(opts: { seconds?: number; size?: number; dataset?: boolean } = {}): Promise<RendererBench> {
  const size = opts.size ?? 28;
  const raster = new Rasterizer(size);
  const system = pixelPendulumTask.system;
  const draw = (phi: number) => raster.render(system.scene!(Float64Array.of(phi, 0)), system.view!, out);
  const out = new Float32Array(size * size);
  const budget = (opts.seconds ?? 1) * 1000;
  for (let k = 0; k < 2000; k++) draw(k * 1e-3); // warm up the JIT
  let frames = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budget) {
    for (let k = 0; k < 1000; k++) draw(((frames + k) % 6283) * 1e-3 - Math.PI);
    frames += 1000;
    t = performance.now();
  }
  const framesPerSecond = frames / ((t - t0) / 1000);
  let defaultDatasetSeconds = NaN;
  if (opts.dataset !== false) {
    const dir = mkdtempSync(join(tmpdir(), 'hnn-bench-pixel-'));
    try {
      const s0 = performance.now();
      await generatePixelDataset(pixelPendulumTask, { out: join(dir, 'pixel'), quiet: true });
      defaultDatasetSeconds = (performance.now() - s0) / 1000;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { framesPerSecond, defaultDatasetSeconds, size, samples: 8 };
}
