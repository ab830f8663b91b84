// The Train view: a state task trained live in the page, with its loss curve, the learned vector
// field against the true one, and the energy along a rollout of the learned field, redrawn as it
// learns. Steps run in slices of the animation frame so the page stays responsive.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../models/kinds.ts';
import { integrateHeld } from '../src/integrate/held.ts';
import { getStateTask } from '../src/tasks/registry.ts';
import type { StateTask } from '../src/tasks/task.ts';
import type { SiteStateData, SiteStateTask } from '../src/web/format.ts';
import type { ElementsOf } from './elements.ts';
import { loadStateData } from './load.ts';
import { Axes, boundsOf, drawArrows, drawSeries, type Series } from './plots.ts';
import { ADAM_EPS, LiveTrainer } from './train.ts';

/** The Train view's page elements by role, with the tag each must have; each one's id is `train-<role>`. */
export const TRAIN_TAGS = {
  task: 'select',
  kind: 'select',
  run: 'button',
  reset: 'button',
  status: 'span',
  eps: 'p',
  loss: 'canvas',
  field: 'canvas',
  energy: 'canvas',
} as const;

export type TrainElements = ElementsOf<typeof TRAIN_TAGS>;

/** Time per animation frame given to training steps (the rest draws and answers the user). */
const SLICE_MS = 45;
/** Redraw the plots at most this often while training (a redraw evaluates the learned field a few thousand times). */
const REDRAW_MS = 1000;

export class TrainView {
  trainer: LiveTrainer | null = null;
  running = false;
  private task!: StateTask;
  private data!: SiteStateData;
  private readonly stepMs: number[] = [];
  private lastDraw = 0;
  private readonly cache = new Map<string, SiteStateData>();

  constructor(
    private readonly base: string,
    private readonly tasks: SiteStateTask[],
    private readonly el: TrainElements,
  ) {
    for (const t of tasks) el.task.add(new Option(getStateTask(t.task).description, t.task));
    el.run.onclick = () => this.setRunning(!this.running);
    el.reset.onclick = () => void this.select(el.task.value, el.kind.value as ModelKind);
    el.task.onchange = el.kind.onchange = () => void this.select(el.task.value, el.kind.value as ModelKind);
    // what tf.train.adam would take on this backend without an explicit epsilon
    const backendEps = tf.backend().epsilon();
    el.eps.textContent =
      `Adam's epsilon is ${ADAM_EPS} on ${tf.getBackend()}, given explicitly as in Node (tf.train.adam's default is the backend's: ${backendEps} here` +
      (backendEps > 1e-6 ? ', because webgl reports 16-bit floats even with float32 textures; training would silently differ)' : ')');
  }

  /** A fresh model of `kind` on `task`'s dataset, with the task's protocol (hidden sizes, lr, weight decay, seed 0). */
  async select(task: string, kind: ModelKind): Promise<void> {
    this.setRunning(false);
    const entry = this.tasks.find((t) => t.task === task);
    if (!entry) throw new Error(`this site has no training data for ${task}`);
    if (!this.cache.has(task)) this.cache.set(task, await loadStateData(this.base, entry.path));
    this.el.task.value = task;
    this.el.kind.value = kind;
    this.task = getStateTask(task);
    this.data = this.cache.get(task)!;
    this.trainer?.dispose();
    const p = this.task.train;
    this.trainer = new LiveTrainer(this.data, { kind, hidden: p.hidden, lr: p.lr, weightDecay: p.weightDecay, seed: 0 });
    this.stepMs.length = 0;
    this.draw();
  }

  setRunning(on: boolean): void {
    this.running = on && this.trainer !== null;
    this.el.run.textContent = this.running ? '❚❚ pause training' : '▶ train';
  }

  /** Runs `n` steps now, timing each (tests and benchmarks). */
  runSteps(n: number): number[] {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      this.trainer!.step();
      times.push(performance.now() - t0);
    }
    this.stepMs.push(...times);
    this.draw();
    return times;
  }

  /** Draw-loop tick: a slice of steps when running, and a redraw now and then. */
  tick(now: number): void {
    if (!this.running || !this.trainer) return;
    const end = performance.now() + SLICE_MS;
    do {
      const t0 = performance.now();
      this.trainer.step();
      this.stepMs.push(performance.now() - t0);
    } while (performance.now() < end);
    if (now - this.lastDraw > REDRAW_MS) this.draw();
  }

  /** ms the last redraw of the plots took. */
  drawMs = 0;

  private draw(): void {
    const t0 = performance.now();
    const t = this.trainer!;
    const recent = this.stepMs.slice(-50).sort((a, b) => a - b);
    const median = recent.length ? recent[recent.length >> 1] : NaN;
    const last = t.losses.length ? t.losses[t.losses.length - 1] : NaN;
    this.el.status.textContent =
      t.steps === 0
        ? 'step 0 (press train)'
        : `step ${t.steps}   loss ${last.toExponential(3)}   ${median.toFixed(1)} ms/step (median of the last ${recent.length})`;
    this.drawLoss();
    this.drawField();
    this.drawEnergy();
    this.lastDraw = performance.now();
    this.drawMs = this.lastDraw - t0;
  }

  private drawLoss(): void {
    const losses = this.trainer!.losses;
    const series: Series[] = [{ name: 'training loss (full batch)', x: losses.map((_, i) => i), y: losses, color: '#1f6fc0' }];
    const axes = new Axes(this.el.loss.getContext('2d')!, boundsOf(series, true), true);
    axes.frame('loss', 'step', 'MSE of dx/dt');
    drawSeries(axes, series);
  }

  /** The data's box in (q, p), padded. */
  private box() {
    const { x, rows } = this.data.train;
    let [q0, q1, p0, p1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let r = 0; r < rows; r++)
      [q0, q1, p0, p1] = [Math.min(q0, x[2 * r]), Math.max(q1, x[2 * r]), Math.min(p0, x[2 * r + 1]), Math.max(p1, x[2 * r + 1])];
    const [dq, dp] = [0.1 * (q1 - q0), 0.1 * (p1 - p0)];
    return { x0: q0 - dq, x1: q1 + dq, y0: p0 - dp, y1: p1 + dp };
  }

  private drawField(): void {
    const system = this.task.system;
    const learned = this.trainer!.field64();
    const axes = new Axes(this.el.field.getContext('2d')!, this.box());
    axes.frame(`field: true (grey), learned ${this.trainer!.cfg.kind === 'hnn' ? 'HNN' : 'baseline'} (blue)`, 'q', 'p');
    const at = (f: (t: number, x: Float64Array) => Float64Array) => (q: number, p: number) => {
      const v = f(0, Float64Array.of(q, p));
      return [v[0], v[1]] as [number, number];
    };
    drawArrows(axes, [
      { f: at(system.field), color: '#aaa' },
      { f: at(learned), color: '#1f6fc0' },
    ]);
  }

  private drawEnergy(): void {
    const system = this.task.system;
    const x0 = Float64Array.from(this.data.test.x.slice(0, 2));
    const t1 = 'count' in this.task.energy ? this.task.energy.t1 : 20;
    const points = 120;
    const tEval = Float64Array.from({ length: points }, (_, i) => (t1 * i) / (points - 1));
    const energyAlong = (field: (t: number, x: Float64Array) => Float64Array) => {
      const y = new Float64Array(points * 2);
      // a picture, not a metric: a looser tolerance than the energy metric's keeps the redraw short
      integrateHeld(field, x0, tEval, { rtol: 1e-6, atol: 1e-6 }, y);
      return Float64Array.from({ length: points }, (_, i) => system.energy(y.subarray(2 * i, 2 * i + 2)));
    };
    const series: Series[] = [
      { name: 'true field', x: tEval, y: energyAlong(system.field), color: '#222', dashed: true },
      { name: 'learned field', x: tEval, y: energyAlong(this.trainer!.field64()), color: '#1f6fc0' },
    ];
    const axes = new Axes(this.el.energy.getContext('2d')!, boundsOf(series));
    axes.frame('energy along a rollout from a test state', 't', 'H');
    drawSeries(axes, series);
  }
}
