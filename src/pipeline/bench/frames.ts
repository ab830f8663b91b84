// The pixel pendulum's seed-0 dataset, generated once per bench into a temporary folder: the frames
// the pixel steps and the real runs train on, as `hnn train --task pixel-pendulum` does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePixelDataset } from '../../../datasets/pixel.ts';
import { loadPixelDataset, type PixelData } from '../../../datasets/pixel-load.ts';
import { pixelPendulumTask } from '../../tasks/builtin/pendulum.ts';

export interface BenchFrames {
  /** The dataset's folder (an `hnn train --data` argument). */
  dir: string;
  data: PixelData;
  /** Removes the folder. */
  dispose(): void;
}

export async function pixelPendulumFrames(): Promise<BenchFrames> {
  const root = mkdtempSync(join(tmpdir(), 'hnn-bench-frames-'));
  try {
    const dir = join(root, 'dataset');
    await generatePixelDataset(pixelPendulumTask, { out: dir, seed: 0, quiet: true });
    const data = loadPixelDataset(dir, pixelPendulumTask).data;
    return { dir, data, dispose: () => rmSync(root, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
