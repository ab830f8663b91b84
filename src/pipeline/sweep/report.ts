// A sweep's report folder: results.md and results.json (the table, best first, and the failed runs),
// plots/ (each metric against each swept option) and index.html, a static page of all of it that
// needs no server. Built beside the folder and published whole (src/util/output.ts), so a reader
// never sees half a report and an earlier report stays until the new one is complete.
import { join } from 'node:path';
import { esc } from '../../media/svg.ts';
import { makeDir, writeFileAtomic, writeJsonAtomic } from '../../util/files.ts';
import { claimOutput, markOutput, partialPathFor, publishFolder } from '../../util/output.ts';
import { packageVersions } from '../../util/versions.ts';
import { writeSweepPlots, type PlotFile } from './plots.ts';
import {
  formatValue,
  LEARNED_NOTHING_NOTE,
  optionCell,
  optionColumns,
  resultsMarkdown,
  seedsCell,
  shownMetrics,
  type SweepResults,
} from './results.ts';

export interface ReportFiles {
  dir: string;
  markdown: string;
  json: string;
  page: string;
  plots: PlotFile[];
}

function cell(s: { mean: number; spread: number } | undefined): string {
  if (!s) return '-';
  return Number.isFinite(s.spread) ? `${formatValue(s.mean)} ± ${formatValue(s.spread)}` : formatValue(s.mean);
}

export function reportPage(res: SweepResults, plots: PlotFile[]): string {
  const metrics = shownMetrics(res);
  const opts = optionColumns(res);
  const head = ['#', 'task', 'model', ...opts, 'seeds', ...metrics.map((m) => m.label)];
  const rows = res.groups.map((g, i) => {
    const cells = [String(i + 1), g.task, g.model, ...opts.map((k) => optionCell(g.options[k])), seedsCell(g)];
    const metricCells = metrics.map((m) => `<td${m.key === res.metric ? ' class="ranked"' : ''}>${esc(cell(g.metrics[m.key]))}</td>`);
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}${metricCells.join('')}</tr>`;
  });
  const failures = res.failures.map((f) => `<li><b>${esc(f.run)}</b> (${esc(f.name)}): <code>${esc(f.error)}</code></li>`);
  const nothing = res.learnedNothing.map((l) => `<li><b>${esc(l.run)}</b> (${esc(l.name)}): ${esc(l.why)}</li>`);
  const figures = plots.map((p) => `<figure><img src="plots/${esc(p.file)}" alt="${esc(`${p.metric} against ${p.option}`)}"></figure>`);
  const r = res.runs;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep ${esc(res.sweep)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td.ranked{font-weight:bold}figure{display:inline-block;margin:8px}img{max-width:640px}
</style></head>
<body>
<h1>Sweep ${esc(res.sweep)}</h1>
<p id="summary">${r.total} runs: ${r.completed} completed, ${r.failed} failed, ${r.pending} not finished. Best first by ${esc(res.metric)}; ± is std/sqrt(seeds).</p>
<table id="results"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${failures.length ? `<h2>Failed runs</h2><ul id="failures">${failures.join('')}</ul>` : ''}
${nothing.length ? `<h2>Runs whose model learned nothing</h2><p>${esc(LEARNED_NOTHING_NOTE)}</p><ul id="learned-nothing">${nothing.join('')}</ul>` : ''}
<h2>Plots</h2>
<div id="plots">${figures.join('\n')}</div>
<p><a href="results.json">results.json</a> · <a href="results.md">results.md</a></p>
</body></html>
`;
}

/** Writes the report of `res` into `dir` (replacing an earlier report there once the new one is complete). */
export async function writeReport(res: SweepResults, dir: string): Promise<ReportFiles> {
  const claim = claimOutput(dir, 'site', 'hnn sweep report');
  try {
    const work = partialPathFor(claim.dir);
    makeDir(work);
    markOutput(work, 'site', { sweep: res.sweep });
    const plots = await writeSweepPlots(res, join(work, 'plots'));
    writeFileAtomic(join(work, 'results.md'), resultsMarkdown(res));
    writeJsonAtomic(join(work, 'results.json'), { ...res, versions: packageVersions() });
    writeFileAtomic(join(work, 'index.html'), reportPage(res, plots));
    publishFolder(work, claim.dir);
    const d = claim.dir;
    return { dir: d, markdown: join(d, 'results.md'), json: join(d, 'results.json'), page: join(d, 'index.html'), plots };
  } finally {
    claim.release();
  }
}
