// The per-seed test-loss table of `hnn reproduce --dissipative`: every model's test loss on every
// seed, under the table's statistic (src/eval/statistic.ts), then the median and the mean ± std/sqrt(n)
// over seeds, so a comparison that holds on one seed and not another shows as such.
import type { ModelKind } from '../../models/kinds.ts';
import { describeStatistic, type TestStatistic } from '../eval/statistic.ts';
import { median } from '../eval/stats.ts';

/** One task's test losses per model and seed (seed 0 first). */
export interface SeedTestRow {
  task: string;
  bySeed: Partial<Record<ModelKind, number[]>>;
  statistic: TestStatistic;
}

/** Mean and std/sqrt(n) (NaN spread for one value). */
function meanSem(values: readonly number[]): [number, number] {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return [mean, NaN];
  return [mean, Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) / n)];
}

const cell = (v: number, bold: boolean) => (Number.isFinite(v) ? (bold ? `**${v.toExponential(2)}**` : v.toExponential(2)) : '-');
const line = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The markdown table: per task, a row per seed (the lowest in bold), then the median and the mean over seeds. */
export function seedTestTable(rows: SeedTestRow[], models: Array<[ModelKind, string]>): string {
  const used = models.filter(([k]) => rows.some((r) => r.bySeed[k]?.length));
  if (used.length === 0) return '';
  const lines = [
    line(['Task', 'Seed', ...used.map(([, label]) => `${label} test loss`), 'lowest']),
    `|${['', '', ...used, ''].map(() => '---').join('|')}|`,
  ];
  const lowestOf = (values: number[]) => {
    const best = values.reduce((b, v, i) => (v < values[b] ? i : b), 0);
    return values.filter((v) => v === values[best]).length === 1 && Number.isFinite(values[best]) ? best : -1;
  };
  for (const r of rows) {
    const seeds = Math.max(...used.map(([k]) => r.bySeed[k]?.length ?? 0));
    for (let s = 0; s < seeds; s++) {
      const values = used.map(([k]) => r.bySeed[k]?.[s] ?? NaN);
      const best = lowestOf(values);
      lines.push(line([r.task, String(s), ...values.map((v, i) => cell(v, i === best)), best >= 0 ? used[best][1] : '-']));
    }
    const medians = used.map(([k]) => median(r.bySeed[k] ?? []));
    const best = lowestOf(medians);
    lines.push(line([r.task, 'median', ...medians.map((v, i) => cell(v, i === best)), best >= 0 ? used[best][1] : '-']));
    const means = used.map(([k]) => meanSem(r.bySeed[k] ?? []));
    lines.push(
      line([
        r.task,
        'mean ± std/sqrt(seeds)',
        ...means.map(([m, sp]) =>
          Number.isFinite(m) ? `${m.toExponential(2)}${Number.isFinite(sp) ? ` ± ${sp.toExponential(1)}` : ''}` : '-',
        ),
        '',
      ]),
    );
  }
  const stats = [...new Set(rows.map((r) => describeStatistic(r.statistic)))];
  return [
    `## Test loss (MSE of dx/dt) per seed`,
    ``,
    `Statistic: ${stats.join('; ')}. The lowest per seed and the lowest median in bold.`,
    ``,
    ...lines,
    ``,
  ].join('\n');
}
