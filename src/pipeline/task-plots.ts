// Plots comparing the models trained on one state task (baseline, HNN, D-HNN: those given):
// training curves, energy along a rollout against the truth, learned vs true vector field with phase
// portraits (2-D systems; for a D-HNN also its dissipative part beside the true friction term),
// orbits (body problems).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateTask } from '../tasks/task.ts';
import type { ModelKind } from '../../models/dynamics.ts';
import { dissipationFunction, fieldFunction } from '../../models/f64.ts';
import type { NamedWeights } from '../../models/mlp.ts';
import type { EnergyResult, Rollout } from '../eval/energy.ts';
import { linePlot, orbitPlot, vectorFieldPlot, type FieldPanel } from '../media/plot.ts';

/** Plot order and colours of the models. */
const KINDS = ['baseline', 'hnn', 'dhnn'] as const;
const LABEL: Record<ModelKind, string> = { baseline: 'baseline', hnn: 'HNN', dhnn: 'D-HNN' };
const COLOR: Record<ModelKind, string> = { baseline: '#d62728', hnn: '#1f77b4', dhnn: '#2ca02c' };

/** The models to compare: each one's training log, weights and energy evaluation (rollouts included). */
export interface TaskPlotInputs {
  histories: Partial<Record<ModelKind, string>>;
  weights: Partial<Record<ModelKind, NamedWeights>>;
  energies: Partial<Record<ModelKind, EnergyResult>>;
}

function readHistory(path: string): Array<{ step: number; loss: number; testLoss: number }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"event":"step"'))
    .map((l) => JSON.parse(l));
}

/** Column j of a row-major [rows, dim] array. */
function column(y: Float64Array, dim: number, j: number): Float64Array {
  const rows = y.length / dim;
  return Float64Array.from({ length: rows }, (_, i) => y[i * dim + j]);
}

function paddedRange(values: ArrayLike<number>[], pad = 0.25): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) [lo, hi] = [Math.min(lo, v[i]), Math.max(hi, v[i])];
  const m = Math.max(hi - lo, 1e-3) * pad;
  return [lo - m, hi + m];
}

export async function plotTaskComparison(task: StateTask, dir: string, inp: TaskPlotInputs): Promise<string[]> {
  const written: string[] = [];
  const system = task.system;
  const dim = system.dim;
  const name = task.name;
  const kinds = KINDS.filter((k) => inp.weights[k] && inp.energies[k]);
  if (kinds.length === 0) throw new Error('plotTaskComparison: no model given');

  const curves = kinds.flatMap((k) => {
    const h = readHistory(inp.histories[k] ?? '');
    return [
      { name: `${LABEL[k]} train`, x: h.map((r) => r.step), y: h.map((r) => r.loss) },
      { name: `${LABEL[k]} test`, x: h.map((r) => r.step), y: h.map((r) => r.testLoss), dashed: true },
    ];
  });
  written.push(join(dir, 'loss.png'));
  await linePlot(written.at(-1)!, {
    title: `${name}: training curves`,
    xLabel: 'step',
    yLabel: 'MSE of dx/dt',
    logY: true,
    series: curves,
  });

  const truth = inp.energies[kinds[0]]!.truth[0];
  const pred = Object.fromEntries(kinds.map((k) => [k, inp.energies[k]!.predicted[0]])) as Partial<Record<ModelKind, Rollout>>;
  written.push(join(dir, 'energy.png'));
  await linePlot(written.at(-1)!, {
    title: `${name}: energy along a rollout (trajectory 0)`,
    xLabel: 'time',
    yLabel: 'energy',
    series: [
      { name: task.data.source === 'measured' ? 'measured' : 'ground truth', x: truth.t, y: truth.energy, color: '#111111' },
      ...kinds.map((k) => ({ name: LABEL[k], x: pred[k]!.t, y: pred[k]!.energy, color: COLOR[k] })),
    ],
  });

  if (system.dof === 1) {
    const traj = (r: Rollout, name: string) => ({ q: column(r.y, 2, 0), p: column(r.y, 2, 1), name });
    const panels: FieldPanel[] = [];
    if (task.data.source !== 'measured') {
      panels.push({ name: 'true field', field: (q, p) => system.field(0, Float64Array.of(q, p)), trajectories: [traj(truth, 'truth')] });
    }
    for (const k of kinds) {
      const f = fieldFunction(k, inp.weights[k]!);
      panels.push({
        name: `${LABEL[k]} field`,
        field: (q, p) => f(0, Float64Array.of(q, p)),
        trajectories: [traj(truth, 'truth'), traj(pred[k]!, LABEL[k])],
      });
    }
    // the D-HNN's split: its grad D beside the true friction term (each panel scales its own arrows)
    if (inp.weights.dhnn) {
      const d = dissipationFunction(inp.weights.dhnn);
      if (task.data.source !== 'measured' && !system.conservative) {
        const g = new Float64Array(2);
        const onQ = system.frictionOn === 'positions';
        panels.push({
          name: onQ ? 'true friction term (-gamma dH/dq, 0)' : 'true friction term (0, -gamma dH/dp)',
          field: (q, p) => {
            system.gradient(Float64Array.of(q, p), g);
            return onQ ? [-system.friction * g[0], 0] : [0, -system.friction * g[1]];
          },
        });
      }
      panels.push({ name: 'D-HNN dissipative part grad D', field: (q, p) => d([q, p]) });
    }
    const qs = [column(truth.y, 2, 0)];
    const ps = [column(truth.y, 2, 1)];
    written.push(join(dir, 'vector-field.png'));
    await vectorFieldPlot(written.at(-1)!, {
      title: `${name}: vector field and phase portrait`,
      panels,
      qRange: paddedRange(qs),
      pRange: paddedRange(ps),
      xLabel: 'q',
      yLabel: 'p',
    });
  } else if (system.bodies) {
    const bodies = (r: Rollout) => bodyTracks(system.bodies!, r.y, dim);
    written.push(join(dir, 'orbits.png'));
    await orbitPlot(written.at(-1)!, {
      title: `${name}: orbits (trajectory 0)`,
      panels: [{ name: 'ground truth', bodies: bodies(truth) }, ...kinds.map((k) => ({ name: LABEL[k], bodies: bodies(pred[k]!) }))],
    });
  }
  return written;
}

/** The track of every body along a rollout, from the system's own body positions. */
function bodyTracks(positions: (x: Float64Array) => Array<[number, number]>, y: Float64Array, dim: number) {
  const rows = y.length / dim;
  const count = positions(y.subarray(0, dim)).length;
  const tracks = Array.from({ length: count }, (_, b) => ({ x: new Float64Array(rows), y: new Float64Array(rows), name: `body ${b + 1}` }));
  for (let i = 0; i < rows; i++) {
    positions(y.subarray(i * dim, (i + 1) * dim)).forEach(([bx, by], b) => {
      tracks[b].x[i] = bx;
      tracks[b].y[i] = by;
    });
  }
  return tracks;
}
