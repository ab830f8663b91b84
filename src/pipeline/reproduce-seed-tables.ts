// The per-seed tables of a reproduction: the dissipative table's energy MSE and learned friction per
// seed, and the pixel table's VPT per seed, with the lowest (or longest) per seed marked.
import { seedTestTable } from './seed-tables.ts';
import { VPT_THRESHOLD } from '../eval/pixel.ts';
import { mean } from '../eval/stats.ts';
import { FRICTION_BAND, sharesOfData } from '../eval/dissipation.ts';

import type { ModelKind } from '../../models/dynamics.ts';
import { type DissipationRow, type VptCell, LABELS, type TaskRow, kindsOf, row, header } from './reproduce-table.ts';

/**
 * The dissipative table's extra tables: each model's energy MSE per seed (the lowest in bold, the
 * D-HNN's learned friction beside it), each model's test loss per seed with the median and mean over
 * seeds, and the D-HNN's learned friction against the data's.
 */
export function dissipationTables(rows: TaskRow[]): string {
  const kinds = kindsOf(rows);
  const { lines: perSeed, warnings } = energyPerSeedTable(rows, kinds);
  const withD = rows.filter((r) => r.dissipation);
  return [
    `## Energy MSE per seed`,
    ``,
    ...perSeed,
    ``,
    ...(warnings.length ? [`Warnings:`, ``, ...warnings, ``] : []),
    seedTestTable(
      rows.map((r) => ({ task: r.task, bySeed: r.testBySeed, statistic: r.statistic })),
      kinds.map((k) => [k, LABELS[k]]),
    ),
    ...(withD.length
      ? [
          `## The D-HNN's learned friction`,
          ``,
          `The friction coefficient that would drain the task's energy E as the learned D part does: mean(-grad E . P grad D) / mean(|dE/dp|^2) (|dE/dq|^2 where the data damp the positions), over the points of the D-HNN's energy-MSE rollouts, and over the test inputs (0 on conservative data; the data's friction gamma on damped data; fitted to the measured energy's decay for measured data). D's share: mean |P grad D| / (|J grad H| + |P grad D|) at the test inputs, against the friction term's |gamma dE/dp| / (|J grad E| + |gamma dE/dp|). Mean ± std/sqrt(seeds). The last column counts the seeds whose learned friction is within ${100 * FRICTION_BAND}% of their data's ('-' on conservative data).`,
          ``,
          ...frictionTable(withD),
          ``,
        ]
      : []),
  ].join('\n');
}

/**
 * The energy MSE per seed: a row per task and seed (up to the most seeds any model ran; a missing
 * value reads '-'), the lowest in bold and named, and when any row measured the D-HNN's friction, a
 * column with it (frictionText). Returns the markdown lines and, in row order, a warning line per
 * seed whose learned friction was removed (the cell points to them).
 */
function energyPerSeedTable(rows: TaskRow[], kinds: ModelKind[]): { lines: string[]; warnings: string[] } {
  const seeds = Math.max(...rows.flatMap((r) => kinds.map((k) => r.energyBySeed[k]?.length ?? 0)));
  const withFriction = rows.some((r) => r.frictionBySeed);
  const lines = header([
    'Task',
    'Seed',
    ...kinds.map((k) => `${LABELS[k]} energy MSE`),
    'lowest',
    ...(withFriction ? ['D-HNN learned friction (rollouts / test inputs; data, and the learned as % of it)'] : []),
  ]);
  const warnings: string[] = [];
  for (const r of rows) {
    for (let s = 0; s < seeds; s++) {
      const values = kinds.map((k) => r.energyBySeed[k]?.[s] ?? NaN);
      // a model that learned nothing (marked †, as in the main table) is never the lowest
      const nothing = kinds.map((k) => r.learnedNothing?.some((l) => l.kind === k && l.seed === s) ?? false);
      const candidates = values.map((v, i) => (Number.isFinite(v) && !nothing[i] ? v : Infinity));
      const lowestAt = candidates.reduce((b, v, i) => (v < candidates[b] ? i : b), 0);
      // where every model learned nothing (or has no value), none is the lowest
      const best = Number.isFinite(candidates[lowestAt]) ? lowestAt : -1;
      const text = (v: number, i: number) => `${i === best ? `**${v.toExponential(2)}**` : v.toExponential(2)}${nothing[i] ? ' †' : ''}`;
      const cells = values.map((v, i) => (Number.isFinite(v) ? text(v, i) : '-'));
      const f = r.frictionBySeed?.[s];
      if (f?.warning) warnings.push(`- ${r.task} seed ${s}: ${f.warning}`);
      const frictionCell = f ? frictionText(f) : '-';
      const lowest = best >= 0 ? LABELS[kinds[best]] : '-';
      lines.push(row([r.task, String(s), ...cells, lowest, ...(withFriction ? [frictionCell] : [])]));
    }
  }
  return { lines, warnings };
}

/** One seed's friction cell: learned along the rollouts / at the test inputs (3 digits); that seed's data friction; where it is not 0, the learned as shares of it. */
function frictionText(f: { rollouts: number; test: number; gamma: number; warning?: string }): string {
  const shares = sharesOfData(f.rollouts, f.test, f.gamma);
  return `${f.rollouts.toPrecision(3)} / ${f.test.toPrecision(3)}; ${f.gamma.toPrecision(3)}${shares ? ` (${shares})` : ''}${f.warning ? ' (removed: see below)' : ''}`;
}

/**
 * The D-HNN's learned friction against the data's, a row per task of `withD` (rows that measured
 * it): the data's gamma (marked "(fitted)" unless the system states it), the learned one along the rollouts and at the test
 * inputs (mean ± spread, the spread left out when not finite), and D's share of the field beside the
 * true friction term's.
 */
function frictionTable(withD: TaskRow[]): string[] {
  const g = (v: number) => v.toFixed(4);
  const gs = ([m, sp]: [number, number]) => (Number.isFinite(sp) ? `${g(m)} ± ${g(sp)}` : g(m));
  const pct = ([m, sp]: [number, number]) => `${(100 * m).toFixed(1)}%${Number.isFinite(sp) ? ` ± ${(100 * sp).toFixed(1)}%` : ''}`;
  const lines = header([
    'Task',
    'data friction',
    'D-HNN friction along its rollouts',
    'at the test inputs',
    "D's share of the field (test)",
    "friction term's share",
    `seeds within ${100 * FRICTION_BAND}% of the data's (rollouts / test inputs)`,
  ]);
  for (const r of withD) {
    const d = r.dissipation!;
    lines.push(
      row([
        r.task,
        `${g(d.gamma)}${d.gammaSource === 'system' ? '' : ' (fitted)'}`,
        gs(d.rollouts),
        gs(d.test),
        pct(d.share),
        `${(100 * d.trueShare).toFixed(1)}%`,
        bandText(d),
      ]),
    );
  }
  return lines;
}

/** The friction table's band cell: "1 / 1 of 3" (rollouts / test inputs of the seeds), '-' on conservative data. */
function bandText(d: DissipationRow): string {
  const b = d.withinBand;
  return b ? `${b.rollouts} / ${b.test} of ${b.seeds}` : '-';
}

/** Index of the value that beats every other (`better(a, b)`: a beats b); -1 when the best is tied. */
function uniqueBest(values: number[], better: (a: number, b: number) => boolean): number {
  const best = values.reduce((b, v, i) => (better(v, values[b]) ? i : b), 0);
  return values.filter((v) => v === values[best]).length === 1 ? best : -1;
}

/**
 * The pixel tasks' per-seed table: each model's energy MSE and VPT (median, mean, share of test trials
 * past 50 frames), the lowest energy and the highest median in bold, then the mean over seeds.
 */
export function pixelSeedTable(rows: TaskRow[]): string {
  const withVpt = rows.filter((r) => r.vptBySeed);
  if (withVpt.length === 0) return '';
  const kinds = kindsOf(withVpt);
  const lines = header([
    'Task',
    'Seed',
    ...kinds.map((k) => `${LABELS[k]} energy MSE`),
    ...kinds.map((k) => `${LABELS[k]} VPT median / mean / past 50`),
  ]);
  const bold = (text: string, on: boolean) => (on ? `**${text}**` : text);
  const mark = (nothing: boolean) => (nothing ? ' †' : '');
  const energyText = (v: number, best: boolean, nothing: boolean) =>
    Number.isFinite(v) ? bold(v.toExponential(2), best) + mark(nothing) : '-';
  // a seed's median is a whole or half frame; the mean over seeds gets one decimal
  const medianText = (m: number) => (Number.isInteger(2 * m) ? String(m) : m.toFixed(1));
  const vptText = (v: VptCell | undefined, best: boolean) =>
    v ? `${bold(medianText(v.median), best)} / ${v.mean.toFixed(1)} / ${(100 * v.over50).toFixed(0)}%` : '-';
  const meanCell = (v: VptCell[]): VptCell => ({
    median: mean(v.map((c) => c.median)),
    mean: mean(v.map((c) => c.mean)),
    over50: mean(v.map((c) => c.over50)),
  });
  for (const r of withVpt) {
    const seeds = Math.max(...kinds.map((k) => r.energyBySeed[k]?.length ?? 0));
    for (let s = 0; s <= seeds; s++) {
      const last = s === seeds; // the mean over seeds
      const energy = kinds.map((k) => (last ? mean(r.energyBySeed[k] ?? [NaN]) : (r.energyBySeed[k]?.[s] ?? NaN)));
      const vpt = kinds.map((k) => {
        const v = r.vptBySeed?.[k];
        return v && (last ? meanCell(v) : v[s]);
      });
      // a model that learned nothing on this seed (on any seed, in the mean row) is marked † and never in bold
      const nothing = kinds.map((k) => r.learnedNothing?.some((l) => l.kind === k && (last || l.seed === s)) ?? false);
      const lowest = uniqueBest(
        energy.map((v, i) => (nothing[i] ? Infinity : v)),
        (a, b) => a < b,
      );
      const highest = uniqueBest(
        vpt.map((v, i) => (nothing[i] ? -1 : (v?.median ?? -1))),
        (a, b) => a > b,
      );
      lines.push(
        row([
          r.task,
          last ? 'mean' : String(s),
          ...energy.map((v, i) => energyText(v, i === lowest && !nothing[i], nothing[i])),
          ...vpt.map((v, i) => vptText(v, i === highest && !nothing[i])),
        ]),
      );
    }
  }
  return [
    `## Per seed: energy MSE and valid prediction time`,
    ``,
    `VPT: frames until the decoded rollout's normalised error passes ${VPT_THRESHOLD} (the DeepMind suite's threshold), over the test trials; the lowest energy MSE and the highest median VPT in bold (no bold on a tie, nor for a model that learned nothing, marked †: see the notes under the main table); the last row of a task is the mean over seeds.`,
    ``,
    ...lines,
    ``,
  ].join('\n');
}
