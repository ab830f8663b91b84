// The tables of `hnn reproduce` as sweep presets: their tasks, models and the per-task `hnn train`
// options that give each table's protocol (the paper's table keeps the paper's one-step Euler latent
// loss on pixel tasks; the pixel table takes the tasks' defaults; the dissipative table adds D-HNN).
import { suiteTasks } from '../../tasks/registry.ts';
import type { OptionValue } from './plan.ts';

export const PRESETS = {
  paper: { suite: 'paper', models: ['baseline', 'hnn'] },
  pixels: { suite: 'pixels', models: ['baseline', 'hnn'] },
  dissipative: { suite: 'dissipative', models: ['baseline', 'hnn', 'dhnn'] },
} as const satisfies Record<string, { suite: 'paper' | 'pixels' | 'dissipative'; models: readonly string[] }>;
export type PresetName = keyof typeof PRESETS;

/** The paper's pixel protocol as `hnn train` options: one Euler latent step per pair. */
export const PAPER_PIXEL_OPTIONS: Record<string, OptionValue> = { 'latent-step': 'euler', 'rollout-steps': 1 };

/** A preset's tasks, each with the train options of its table. */
export function presetTasks(name: PresetName): Array<{ task: string; train: Record<string, OptionValue> }> {
  return suiteTasks(PRESETS[name].suite).map((t) => ({
    task: t.name,
    train: name === 'paper' && t.kind === 'pixel' ? { ...PAPER_PIXEL_OPTIONS } : {},
  }));
}
