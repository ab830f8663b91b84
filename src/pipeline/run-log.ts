// A run's log.jsonl read back, and the training curves of pixel and state runs.
import { existsSync, readFileSync } from 'node:fs';
import { linePlot } from '../media/plot.ts';

/** The records of a log.jsonl (a line cut by a kill is skipped). */
export function readLog(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Loss curve of every term from log.jsonl (all sessions of a resumed run). */
export async function lossCurvePlot(logPath: string, out: string, title: string): Promise<void> {
  const steps = readLog(logPath).filter((r) => r.event === 'step') as Array<Record<string, number>>;
  if (steps.length === 0) return;
  const x = steps.map((r) => r.step);
  const s = (name: string, key: string, dashed = false) => ({ name, x, y: steps.map((r) => r[key] ?? NaN), dashed });
  await linePlot(out, {
    title,
    xLabel: 'step',
    yLabel: 'loss',
    logY: true,
    series: [
      s('total (batch)', 'loss'),
      s('reconstruction', 'recon'),
      s('consistency', 'consistency'),
      s('latent HNN (unweighted)', 'hnn'),
      s('total (test)', 'testLoss', true),
    ],
  });
}

/** The training curve of a state run: the batch loss and the test loss at every logged step. */
export async function stateLossPlot(path: string, title: string, history: Array<Record<string, number>>): Promise<void> {
  await linePlot(path, {
    title: `${title}: training curve`,
    xLabel: 'step',
    yLabel: 'loss (MSE of dx/dt)',
    logY: true,
    series: [
      { name: 'train (batch)', x: history.map((h) => h.step), y: history.map((h) => h.loss) },
      { name: 'test', x: history.map((h) => h.step), y: history.map((h) => h.testLoss) },
    ],
  });
}
