// A plot of each metric against each swept option: one line per task and model, each point the mean
// over the seeds (and over the other swept options) at one value of the option. Numbers spanning
// more than a decade are placed by their log10; other values (words, flags) by their position.
import { join } from 'node:path';
import { linePlot, type LineSeries } from '../../media/plot.ts';
import { optionColumns, shownMetrics, type SweepResults } from './results.ts';
import type { OptionValue } from './plan.ts';

export interface PlotFile {
  metric: string;
  option: string;
  file: string;
}

/** Where each value of an option lies on the x axis, and the axis label. */
function axisOf(option: string, values: OptionValue[]): { x: (v: OptionValue) => number; label: string } {
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length === values.length) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    if (lo > 0 && hi / lo > 10) return { x: (v) => Math.log10(v as number), label: `log10 ${option}` };
    return { x: (v) => v as number, label: option };
  }
  const order = values.map((v) => String(v));
  return { x: (v) => order.indexOf(String(v)), label: `${option}: ${order.map((v, i) => `${i} = ${v}`).join(', ')}` };
}

const valueOf = (g: SweepResults['groups'][number], option: string): OptionValue | undefined =>
  option === 'task' ? g.task : option === 'model' ? g.model : g.options[option];

/** Writes the plots into `dir`; returns what was written (file names relative to `dir`). */
export async function writeSweepPlots(res: SweepResults, dir: string): Promise<PlotFile[]> {
  const files: PlotFile[] = [];
  const options = [...optionColumns(res), ...res.swept.filter((k) => k === 'task' || k === 'model')];
  for (const option of options) {
    const values = [
      ...new Map(
        res.groups
          .map((g) => valueOf(g, option))
          .filter((v) => v !== undefined)
          .map((v) => [String(v), v!]),
      ).values(),
    ];
    if (typeof values[0] === 'number') (values as number[]).sort((a, b) => a - b);
    const axis = axisOf(option, values);
    const lineKey = (g: SweepResults['groups'][number]) =>
      [option !== 'task' ? g.task : '', option !== 'model' ? g.model : ''].filter(Boolean).join(' ');
    for (const m of shownMetrics(res)) {
      const lines = new Map<string, Map<number, number[]>>();
      for (const g of res.groups) {
        const s = g.metrics[m.key];
        const v = valueOf(g, option);
        if (!s || v === undefined) continue;
        const line = lines.get(lineKey(g)) ?? new Map<number, number[]>();
        lines.set(lineKey(g), line);
        const x = axis.x(v);
        line.set(x, [...(line.get(x) ?? []), ...s.values]);
      }
      const series: LineSeries[] = [...lines].map(([name, pts]) => {
        const xs = [...pts.keys()].sort((a, b) => a - b);
        return { name: name || 'all', x: xs, y: xs.map((x) => pts.get(x)!.reduce((a, b) => a + b, 0) / pts.get(x)!.length) };
      });
      if (series.length === 0) continue;
      const file = `${m.key}-vs-${option.replace(/[^A-Za-z0-9.-]/g, '_')}.png`;
      const positive = series.every((s) => Array.from(s.y).every((y) => y > 0));
      await linePlot(join(dir, file), {
        title: `${res.sweep}: ${m.label} against ${option} (mean over seeds${options.length > 1 ? ' and other options' : ''})`,
        xLabel: axis.label.length > 90 ? `${axis.label.slice(0, 87)}...` : axis.label,
        yLabel: m.label,
        logY: positive && !m.higherIsBetter,
        series,
      });
      files.push({ metric: m.key, option, file });
    }
  }
  return files;
}
