// Summary statistics used by the paper's tables.

export interface MeanSem {
  mean: number;
  /** std over all elements / sqrt(rows), the paper's "+-" for losses. */
  sem: number;
}

export interface MeanCi {
  mean: number;
  /** std of the means of `groups` consecutive groups / sqrt(groups), the paper's "+-" for energy MSE. */
  ci: number;
}

/** Mean and std/sqrt(rows) of squared errors (std unbiased, as torch.std). */
export function squaredErrorStats(squared: ArrayLike<number>, rows: number): MeanSem {
  const n = squared.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += squared[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (squared[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { mean, sem: std / Math.sqrt(rows) };
}

/** Mean of per-trajectory values and the spread of `groups` group means. */
export function groupedInterval(values: ArrayLike<number>, groups = 5): MeanCi {
  const n = values.length;
  const all = Array.from(values);
  const mean = all.reduce((a, b) => a + b, 0) / n;
  const size = Math.floor(n / groups);
  if (size === 0) return { mean, ci: NaN };
  const means: number[] = [];
  for (let g = 0; g < groups; g++) {
    const part = all.slice(g * size, (g + 1) * size);
    means.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  const m = means.reduce((a, b) => a + b, 0) / groups;
  const std = Math.sqrt(means.reduce((a, b) => a + (b - m) ** 2, 0) / (groups - 1));
  return { mean, ci: std / Math.sqrt(groups) };
}

/**
 * "mean +- spread" for a summary line; a spread that is not finite (too few rollouts or trials to
 * group: metrics.json holds null) is said in words, not printed as NaN.
 */
export function withSpread(mean: number, spread: number, format: (v: number) => string = (v) => v.toExponential(3)): string {
  return Number.isFinite(spread) ? `${format(mean)} +- ${format(spread)}` : `${format(mean)} (no +-: too few rollouts to group)`;
}

/** The mean of values (NaN for none). */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The median of values (the mean of the middle two for an even count; NaN for none). */
export function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return NaN;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
