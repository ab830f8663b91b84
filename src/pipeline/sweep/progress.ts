// A running run's progress, read from the log.jsonl that training appends to (src/train/log.ts): the
// steps of its configuration, the last logged step and loss; after the last step, its evaluation.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunProgress {
  phase: 'dataset' | 'training' | 'evaluating';
  step: number;
  steps: number;
  loss: number | null;
}

/** The progress in `runDir`'s log, or null before training has started. */
export function readRunProgress(runDir: string): RunProgress | null {
  const path = join(runDir, 'log.jsonl');
  if (!existsSync(path)) return null;
  let steps = 0;
  let step = 0;
  let loss: number | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line being appended
    }
    if (r.event === 'start') {
      const cfg = (r.config ?? r.protocol) as { steps?: unknown } | undefined;
      if (typeof cfg?.steps === 'number') steps = cfg.steps;
    } else if ((r.event === 'step' || r.event === 'resume') && typeof r.step === 'number') {
      step = r.step;
      if (typeof r.loss === 'number') loss = r.loss;
    }
  }
  return { phase: steps > 0 && step >= steps ? 'evaluating' : 'training', step, steps, loss };
}
