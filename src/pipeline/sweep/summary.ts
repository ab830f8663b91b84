// What a sweep keeps of a run's metrics.json: its numbers that rank and compare runs (plain numbers,
// small enough for a queue job's return value), never paths or anything else of the machine.
export interface RunSummary {
  steps: number;
  backend: string;
  trainSeconds: number;
  msPerStep: number;
  /** metric name -> value (means over the run's rows or trials) */
  metrics: Record<string, number>;
}

/** The metrics a sweep reports, in table order: name, where metrics.json keeps it, and whether higher is better. */
export const METRICS: ReadonlyArray<{ key: string; label: string; path: string[]; higherIsBetter?: boolean }> = [
  { key: 'energyMse', label: 'energy MSE', path: ['energyMse', 'mean'] },
  { key: 'testLoss', label: 'test loss', path: ['testLoss', 'mean'] },
  { key: 'trainLoss', label: 'train loss', path: ['trainLoss', 'mean'] },
  { key: 'vptMedian', label: 'VPT median (frames)', path: ['vptMedian'], higherIsBetter: true },
  { key: 'periodErrorMean', label: 'period error', path: ['periodErrorMean'] },
];

export function metricInfo(key: string) {
  return METRICS.find((m) => m.key === key);
}

function at(m: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = m;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

export function summarizeMetrics(m: Record<string, unknown>): RunSummary {
  const metrics: Record<string, number> = {};
  for (const { key, path } of METRICS) {
    const v = at(m, path);
    if (typeof v === 'number' && Number.isFinite(v)) metrics[key] = v;
  }
  const num = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : NaN);
  return { steps: num('steps'), backend: String(m.backend ?? ''), trainSeconds: num('trainSeconds'), msPerStep: num('msPerStep'), metrics };
}
