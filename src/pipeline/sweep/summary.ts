// What a sweep keeps of a run's metrics.json: its numbers that rank and compare runs (plain numbers,
// small enough for a queue job's return value), never paths or anything else of the machine.
import { learnedNothing, type RunMetricsBase } from '../metrics.ts';
export interface RunSummary {
  steps: number;
  backend: string;
  trainSeconds: number;
  msPerStep: number;
  /** metric name -> value (means over the run's rows or trials); no rollout metric for a model that learned nothing */
  metrics: Record<string, number>;
  /** present when the model learned nothing: against what (src/pipeline/metrics.ts: learnedNothing) */
  learnedNothing?: string;
}

/** The metrics a sweep reports, in table order: name, where metrics.json keeps it, and whether higher is better. */
export const METRICS: ReadonlyArray<{ key: string; label: string; path: string[]; higherIsBetter?: boolean; rollout?: boolean }> = [
  { key: 'energyMse', label: 'energy MSE', path: ['energyMse', 'mean'], rollout: true },
  { key: 'testLoss', label: 'test loss', path: ['testLoss', 'mean'] },
  { key: 'trainLoss', label: 'train loss', path: ['trainLoss', 'mean'] },
  { key: 'vptMedian', label: 'VPT median (frames)', path: ['vptMedian'], higherIsBetter: true, rollout: true },
  { key: 'periodErrorMean', label: 'period error', path: ['periodErrorMean'], rollout: true },
];

export function metricInfo(key: string) {
  return METRICS.find((m) => m.key === key);
}

function at(m: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = m;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/**
 * A run's numbers for the sweep. The rollout metrics of a model that learned nothing are left out:
 * when its rollouts barely move, its energy MSE is near 0 by construction and would rank it first.
 */
export function summarizeMetrics(m: Record<string, unknown>): RunSummary {
  const nothing = learnedNothing(m as Pick<RunMetricsBase<string>, 'againstNoMotion' | 'againstMeanFrame'>);
  const metrics: Record<string, number> = {};
  for (const { key, path, rollout } of METRICS) {
    const v = at(m, path);
    if (typeof v === 'number' && Number.isFinite(v) && !(rollout && nothing)) metrics[key] = v;
  }
  const num = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : NaN);
  return {
    steps: num('steps'),
    backend: String(m.backend ?? ''),
    trainSeconds: num('trainSeconds'),
    msPerStep: num('msPerStep'),
    metrics,
    ...(nothing ? { learnedNothing: nothing.why } : {}),
  };
}
