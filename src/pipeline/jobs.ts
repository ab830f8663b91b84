// The long jobs that can run side by side in child processes (./workers.ts): each takes plain
// options and returns plain metrics, so it crosses a process boundary as structured-clone data.
import { runPixelExperiment, type PixelRunOptions } from './pixel.ts';
import { type PixelMetrics } from './pixel-metrics.ts';
import { runStateExperiment, type StateMetrics, type StateRunOptions } from './state.ts';

/** Trains and evaluates one pixel model (a task given by name). */
export async function pixelRun(opts: PixelRunOptions & { task: string }): Promise<PixelMetrics | null> {
  return (await runPixelExperiment(opts)).metrics;
}

/** Trains and evaluates one state model (a task given by name); null for imported data, whose metrics.json has no energy. */
export async function stateRun(opts: StateRunOptions & { task: string }): Promise<StateMetrics | null> {
  const r = await runStateExperiment(opts);
  return r.imported ? null : r.metrics;
}

export const JOBS = { pixelRun, stateRun } as const;
export type JobName = keyof typeof JOBS;
