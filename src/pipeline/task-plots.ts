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

/**
 * Writes the comparison plots of the models in `inp` (those with both weights and an energy
 * evaluation, in plot order) into `dir`: loss.png, energy.png, then vector-field.png (one degree of
 * freedom) or orbits.png (body problems). Returns the paths written, in that order. Every plot draws
 * trajectory 0 of the energy evaluations, the truth from the first model's.
 */
export async function plotTaskComparison(task: StateTask, dir: string, inp: TaskPlotInputs): Promise<string[]> {
  const kinds = KINDS.filter((k) => inp.weights[k] && inp.energies[k]);
  if (kinds.length === 0) throw new Error('plotTaskComparison: no model given');
  const truth = inp.energies[kinds[0]]!.truth[0];
  const pred = Object.fromEntries(kinds.map((k) => [k, inp.energies[k]!.predicted[0]])) as Partial<Record<ModelKind, Rollout>>;
  const c: Comparison = { task, dir, inp, kinds, truth, pred };
  const written = [await plotLossCurves(c), await plotEnergies(c)];
  if (task.system.dof === 1) written.push(await plotVectorFields(c));
  else if (task.system.bodies) written.push(await plotOrbits(c));
  return written;
}

/** What each plot of plotTaskComparison draws from: the models in plot order, trajectory 0's truth and each model's rollout. */
interface Comparison {
  task: StateTask;
  dir: string;
  inp: TaskPlotInputs;
  kinds: ModelKind[];
  truth: Rollout;
  pred: Partial<Record<ModelKind, Rollout>>;
}

/** loss.png: each model's train (solid) and test (dashed) loss over the steps of its log, log scale; a missing log draws empty curves. */
async function plotLossCurves({ task, dir, inp, kinds }: Comparison): Promise<string> {
  const curves = kinds.flatMap((k) => {
    const h = readHistory(inp.histories[k] ?? '');
    return [
      { name: `${LABEL[k]} train`, x: h.map((r) => r.step), y: h.map((r) => r.loss) },
      { name: `${LABEL[k]} test`, x: h.map((r) => r.step), y: h.map((r) => r.testLoss), dashed: true },
    ];
  });
  const path = join(dir, 'loss.png');
  await linePlot(path, {
    title: `${task.name}: training curves`,
    xLabel: 'step',
    yLabel: 'MSE of dx/dt',
    logY: true,
    series: curves,
  });
  return path;
}

/** energy.png: the energy along the true trajectory (named "measured" for measured data) and along each model's rollout. */
async function plotEnergies({ task, dir, kinds, truth, pred }: Comparison): Promise<string> {
  const path = join(dir, 'energy.png');
  await linePlot(path, {
    title: `${task.name}: energy along a rollout (trajectory 0)`,
    xLabel: 'time',
    yLabel: 'energy',
    series: [
      { name: task.data.source === 'measured' ? 'measured' : 'ground truth', x: truth.t, y: truth.energy, color: '#111111' },
      ...kinds.map((k) => ({ name: LABEL[k], x: pred[k]!.t, y: pred[k]!.energy, color: COLOR[k] })),
    ],
  });
  return path;
}

/** vector-field.png of a one-degree-of-freedom system: the panels of fieldPanels over the true trajectory's range (padded). */
async function plotVectorFields(c: Comparison): Promise<string> {
  const { task, dir, truth } = c;
  const path = join(dir, 'vector-field.png');
  await vectorFieldPlot(path, {
    title: `${task.name}: vector field and phase portrait`,
    panels: fieldPanels(c),
    qRange: paddedRange([column(truth.y, 2, 0)]),
    pRange: paddedRange([column(truth.y, 2, 1)]),
    xLabel: 'q',
    yLabel: 'p',
  });
  return path;
}

/**
 * The vector-field panels, in order: the true field (simulated data only) with the true trajectory,
 * each model's learned field with the true trajectory and its rollout, and for a D-HNN its
 * dissipative part grad D, after the true friction term when the data are simulated and damped
 * (each panel scales its own arrows).
 */
function fieldPanels({ task, inp, kinds, truth, pred }: Comparison): FieldPanel[] {
  const system = task.system;
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
  if (inp.weights.dhnn) {
    const d = dissipationFunction(inp.weights.dhnn);
    if (task.data.source !== 'measured' && !system.conservative) panels.push(frictionPanel(task));
    panels.push({ name: 'D-HNN dissipative part grad D', field: (q, p) => d([q, p]) });
  }
  return panels;
}

/** The true friction term of a damped one-degree-of-freedom system: -gamma times dH/dq or dH/dp, on the coordinate it damps. */
function frictionPanel(task: StateTask): FieldPanel {
  const system = task.system;
  const g = new Float64Array(2);
  const onQ = system.frictionOn === 'positions';
  return {
    name: onQ ? 'true friction term (-gamma dH/dq, 0)' : 'true friction term (0, -gamma dH/dp)',
    field: (q, p) => {
      system.gradient(Float64Array.of(q, p), g);
      return onQ ? [-system.friction * g[0], 0] : [0, -system.friction * g[1]];
    },
  };
}

/** orbits.png of a body problem: the bodies' tracks along the truth and each model's rollout, a panel each. */
async function plotOrbits({ task, dir, kinds, truth, pred }: Comparison): Promise<string> {
  const bodies = (r: Rollout) => bodyTracks(task.system.bodies!, r.y, task.system.dim);
  const path = join(dir, 'orbits.png');
  await orbitPlot(path, {
    title: `${task.name}: orbits (trajectory 0)`,
    panels: [{ name: 'ground truth', bodies: bodies(truth) }, ...kinds.map((k) => ({ name: LABEL[k], bodies: bodies(pred[k]!) }))],
  });
  return path;
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
