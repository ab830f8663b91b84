// Which test loss a table reports for a run: the final model's (the default), or the D-HNN paper's
// statistic, the mean of the last k periodic test evaluations (analyze_dampedspring.ipynb prints the
// mean of its last 5, one every 100 of 5000 steps). The latter smooths a noisy minibatch training's
// last steps and is not the loss of any one model; tables say which they show.
import { UserError } from '../util/errors.ts';

/** 'final', or the mean of the last k periodic evaluations. */
export type TestStatistic = { kind: 'final' } | { kind: 'last'; k: number };

/** The default statistic: the final model's test loss. */
export const FINAL: TestStatistic = { kind: 'final' };

/** The part of a state run's metrics the statistic reads. */
export interface TestLossRecord {
  testLoss: { mean: number };
  testLossHistory?: { every: number; steps: number[]; testLoss: number[] };
}

/** Parses "final" or "last-K" (K from 1 to 1000), as the command line's --statistic gives it. */
export function parseStatistic(text: string): TestStatistic {
  if (text === 'final') return FINAL;
  const m = /^last-(\d+)$/.exec(text);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 1000) return { kind: 'last', k: Number(m[1]) };
  throw new UserError(`--statistic must be final or last-K with K from 1 to 1000 (e.g. last-5, the D-HNN paper's), got "${text}"`);
}

/** The statistic in words, for table notes. */
export function describeStatistic(s: TestStatistic): string {
  return s.kind === 'final'
    ? "the final model's test loss"
    : `the mean of the last ${s.k} periodic test evaluations (the D-HNN paper's statistic; not the loss of one model)`;
}

/** A run's test loss under the statistic; refuses a run without enough periodic evaluations. */
export function testLossOf(run: TestLossRecord, s: TestStatistic, where: string): number {
  if (s.kind === 'final') return run.testLoss.mean;
  const h = run.testLossHistory;
  if (!h || h.testLoss.length < s.k)
    throw new UserError(
      `${where} holds ${h ? `${h.testLoss.length} periodic test evaluations` : 'no periodic test evaluations (a pixel run, or one made before they were recorded)'}, --statistic last-${s.k} needs ${s.k}: use --statistic final, or retrain it (--force)`,
    );
  const last = h.testLoss.slice(-s.k);
  return last.reduce((a, b) => a + b, 0) / last.length;
}
