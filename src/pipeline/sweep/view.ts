// The coordinator's view of a sweep while it runs: a progress bar over its runs with an ETA, and one
// line per running run (worker, step, loss). Live bars on a terminal; plain lines every 10 s (and at
// every finished run) otherwise, for logs.
import cliProgress from 'cli-progress';
import { formatSeconds } from '../../util/progress.ts';

export interface ActiveRun {
  id: string;
  name: string;
  worker?: string;
  phase?: string;
  step?: number;
  steps?: number;
  loss?: number | null;
}

export interface ViewState {
  total: number;
  completed: number;
  failed: number;
  active: ActiveRun[];
}

export interface SweepView {
  update(s: ViewState): void;
  stop(): void;
}

/** Runs done, counting each running run by its share of steps. */
function progressOf(s: ViewState): number {
  const partial = s.active.reduce((a, r) => a + (r.steps ? Math.min(1, (r.step ?? 0) / r.steps) : 0), 0);
  return s.completed + s.failed + partial;
}

function runLine(r: ActiveRun): string {
  const step = r.steps ? `step ${r.step ?? 0}/${r.steps}` : (r.phase ?? 'starting');
  const loss = typeof r.loss === 'number' ? `  loss ${r.loss.toExponential(3)}` : '';
  return `  ${(r.worker ?? '?').padEnd(20)} ${r.name}  ${r.phase === 'evaluating' ? 'evaluating' : step}${loss}`;
}

/** ETA from this view's own rate (runs finished before it started do not count). */
function etaClock(): (s: ViewState) => string {
  const t0 = performance.now();
  let start: number | null = null;
  return (s) => {
    const now = progressOf(s);
    start ??= now;
    const rate = (now - start) / ((performance.now() - t0) / 1000);
    return rate > 0 ? formatSeconds((s.total - now) / rate) : '?';
  };
}

export interface ViewOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  /** plain lines even on a terminal (a one-time snapshot) */
  plain?: boolean;
}

export function startView(label: string, o: ViewOptions = {}): SweepView {
  if (o.quiet) return { update() {}, stop() {} };
  const stream = o.stream ?? process.stderr;
  const eta = etaClock();
  if (!stream.isTTY || o.plain) {
    let last = -Infinity;
    let lastDone = -1;
    return {
      update(s) {
        const done = s.completed + s.failed;
        if (performance.now() - last < 10_000 && done === lastDone) return;
        last = performance.now();
        lastDone = done;
        const head = `${label}: ${s.completed}/${s.total} runs done${s.failed ? `, ${s.failed} failed` : ''}, ${s.active.length} running, ETA ${eta(s)}`;
        stream.write([head, ...s.active.map(runLine)].join('\n') + '\n');
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: '{label} [{bar}] {percentage}% {info}', stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const main = multi.create(1, 0, { label, info: '' });
  const lines = new Map<string, cliProgress.SingleBar>();
  return {
    update(s) {
      main.setTotal(Math.max(1, s.total));
      main.update(progressOf(s), {
        label,
        info: `${s.completed}/${s.total} done${s.failed ? `, ${s.failed} failed` : ''}, ${s.active.length} running, ETA ${eta(s)}`,
      });
      const ids = new Set(s.active.map((r) => r.id));
      for (const [id, bar] of lines)
        if (!ids.has(id)) {
          multi.remove(bar);
          lines.delete(id);
        }
      for (const r of s.active) {
        const bar = lines.get(r.id) ?? multi.create(1, 0, { label: '', info: '' });
        lines.set(r.id, bar);
        bar.setTotal(Math.max(1, r.steps ?? 1));
        bar.update(r.step ?? 0, {
          label: `  ${(r.worker ?? '?').padEnd(20)} ${r.name}`,
          info: runLine(r).trim().split('  ').slice(-2).join('  '),
        });
      }
    },
    stop: () => multi.stop(),
  };
}
