// Progress reporting for long jobs: a live bar with ETA on a terminal, plain periodic lines otherwise.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

function formatFields(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toExponential(3) : v}`)
    .join('  ');
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  // round once, before splitting into units: 299.7 s is 5m00s, not 4m60s
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  const m = Math.round(t / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * @param total number of units of work
 * @param label what is running
 * @param quiet print nothing (tests, nested jobs)
 * @param start units already done before this job began (a resumed run): the ETA counts the rate of this job's own
 */
export function startProgress(total: number, label: string, quiet = false, start = 0): Progress {
  if (quiet) return { update() {}, stop() {} };
  const stream = process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% {value}/{total} ETA {eta_formatted} {info}`, etaBuffer: 50, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { info: '' });
    return {
      update: (done, fields) => bar.update(done, { info: fields ? formatFields(fields) : '' }),
      stop: () => bar.stop(),
    };
  }
  const t0 = performance.now();
  let lastPrint = -Infinity;
  return {
    update(done, fields) {
      const now = performance.now();
      if (now - lastPrint < 5000 && done < total) return;
      lastPrint = now;
      const elapsed = (now - t0) / 1000;
      const eta = done > start ? (elapsed * (total - done)) / (done - start) : NaN;
      stream.write(
        `${label} ${done}/${total} (${((100 * done) / total).toFixed(0)}%) elapsed ${formatSeconds(elapsed)} ETA ${formatSeconds(eta)}${fields ? '  ' + formatFields(fields) : ''}\n`,
      );
    },
    stop() {},
  };
}
