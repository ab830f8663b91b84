// The Play view: truth | baseline | HNN decoded rollouts side by side, a frame counter, speed,
// pause and step; the energy of each rollout over time and the HNN's latent phase portrait over the
// learned H's contours, with the current frame marked on both; and Explore: a test trial or a body
// dragged to a new start, from which the truth is simulated and both models rolled out again.
import { hamiltonianFunction } from '../models/f64.ts';
import type { ModelKind } from '../models/kinds.ts';
import type { RolloutIntegrator } from '../src/eval/pixel.ts';
import type { SiteTrial } from '../src/web/format.ts';
import { Rasterizer } from '../renderer/rasterize.ts';
import { frameZeroBefore, runEpisode, type Episode, type EpisodeSetup } from './episode.ts';
import { grab, poseTo, toWorld } from './drag.ts';
import { Axes, boundsOf, drawContours, drawSeries, FrameView, type Series } from './plots.ts';

// the site builder takes HNN and baseline models (src/web/site.ts); D-HNN for completeness of ModelKind
const COLOURS: Record<'truth' | ModelKind, string> = { truth: '#222', baseline: '#e07b1a', hnn: '#1f6fc0', dhnn: '#2ca02c' };
const LABELS: Record<'truth' | ModelKind, string> = { truth: 'truth', baseline: 'baseline', hnn: 'HNN', dhnn: 'D-HNN' };

export interface PlayElements {
  panels: HTMLElement;
  energy: HTMLCanvasElement;
  phase: HTMLCanvasElement;
  play: HTMLButtonElement;
  back: HTMLButtonElement;
  forward: HTMLButtonElement;
  slider: HTMLInputElement;
  counter: HTMLElement;
  speed: HTMLSelectElement;
  trial: HTMLSelectElement;
  integrator: HTMLSelectElement;
  release: HTMLSelectElement;
  note: HTMLElement;
}

type Panel = 'truth' | ModelKind;

export class PlayView {
  episode!: Episode;
  /** Physical parameters of the current start (a trial's, with --random-params datasets). */
  params: Record<string, number> | null = null;
  /** Bumped by every new episode (tests wait on it). */
  version = 0;
  frame = 0;
  playing = true;
  private readonly views = new Map<Panel, FrameView>();
  private readonly order: Panel[];
  private energyBackground: HTMLCanvasElement | null = null;
  private phaseBackground: HTMLCanvasElement | null = null;
  private energyAxes: Axes | null = null;
  private phaseAxes: Axes | null = null;
  private lastTick = 0;
  /** The pose being dragged to (shown on the truth panel until the rollouts start from it). */
  private pendingPose: Float64Array | null = null;
  private readonly raster: Rasterizer;
  private readonly poseFrame: Float32Array;
  private grabbed: number | null = null;
  /** Draw-loop bookkeeping: ticks and the time spent drawing. */
  readonly ticks = { count: 0, drawMs: 0 };

  constructor(
    private readonly setup: EpisodeSetup,
    private readonly trials: SiteTrial[],
    private readonly pairs: Float32Array,
    private readonly el: PlayElements,
  ) {
    const f = setup.frames;
    this.raster = new Rasterizer(f.size, { samples: f.samples, channels: f.channels });
    this.poseFrame = new Float32Array(this.raster.values);
    this.order = ['truth', ...(['baseline', 'hnn'] as const).filter((k) => setup.models.some((m) => m.kind === k))];
    const scale = Math.max(1, Math.round(168 / f.size));
    for (const p of this.order) {
      const fig = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = f.size * scale;
      canvas.dataset.panel = p;
      canvas.title = 'drag a body to start from there';
      const cap = document.createElement('figcaption');
      cap.textContent = LABELS[p];
      cap.style.color = COLOURS[p];
      fig.append(canvas, cap);
      el.panels.append(fig);
      this.views.set(p, new FrameView(canvas, f.size, f.channels));
      this.attachDrag(canvas);
    }
    trials.forEach((t, i) => el.trial.add(new Option(`test trial ${t.trial}`, String(i))));
    el.trial.add(new Option('dragged start', 'custom'));
    el.slider.max = String(setup.rolloutFrames - 1);
    el.play.onclick = () => this.setPlaying(!this.playing);
    el.back.onclick = () => this.stepBy(-1);
    el.forward.onclick = () => this.stepBy(1);
    el.slider.oninput = () => {
      this.setPlaying(false);
      this.frame = Number(el.slider.value);
    };
    el.trial.onchange = () => {
      if (el.trial.value !== 'custom') this.showTrial(Number(el.trial.value));
    };
    el.integrator.onchange = () => {
      this.setup.integrator = el.integrator.value as RolloutIntegrator;
      this.restart(this.episode.x0, this.params, el.trial.value === 'custom' ? undefined : this.pairOf(Number(el.trial.value)));
    };
  }

  private pairOf(i: number): Float32Array {
    const w = this.pairs.length / this.trials.length;
    return this.pairs.subarray(i * w, (i + 1) * w);
  }

  /** Rolls out test trial i (index into the site's trials) from its dataset pair. */
  showTrial(i: number): void {
    this.el.trial.value = String(i);
    const t = this.trials[i];
    this.restart(Float64Array.from(t.initial), t.params, this.pairOf(i));
  }

  /**
   * The first frame of test trial i alone, drawn at once: the truth and each model's decoding of the
   * encoded first pair (an episode one frame long). The page shows it while the whole rollouts,
   * which integrate the latent fields at rtol 1e-9 as Node does, are computed.
   */
  preview(i: number): void {
    const t = this.trials[i];
    const first = runEpisode({ ...this.setup, rolloutFrames: 1 }, Float64Array.from(t.initial), t.params, this.pairOf(i));
    this.views.get('truth')!.draw(first.truthFrames, 0);
    for (const [kind, r] of Object.entries(first.rollouts)) this.views.get(kind as ModelKind)!.draw(r.frames, 0);
    this.el.counter.textContent = 'frame 1 (rolling out...)';
  }

  /** A new episode from trial frame 0 = x0: rollout frames restart at 0. */
  restart(x0: Float64Array, params: Record<string, number> | null, pair?: Float32Array): void {
    this.episode = runEpisode(this.setup, x0, params, pair);
    this.params = params;
    this.version++;
    this.frame = 0;
    this.energyBackground = this.phaseBackground = null;
    const ms = this.episode.ms;
    this.el.note.textContent = `truth ${ms.truth.toFixed(0)} ms, rollouts ${ms.rollouts.toFixed(0)} ms (${this.setup.rolloutFrames} frames each)`;
  }

  setPlaying(on: boolean): void {
    this.playing = on;
    this.el.play.textContent = on ? '❚❚ pause' : '▶ play';
  }

  stepBy(d: number): void {
    this.setPlaying(false);
    const n = this.setup.rolloutFrames;
    this.frame = (((Math.round(this.frame) + d) % n) + n) % n;
  }

  /** The state the truth panel shows now (trial frame f + 1). */
  shownState(): Float64Array {
    const dim = this.episode.system.dim;
    const f = Math.floor(this.frame) + 1;
    return this.episode.states.slice(f * dim, (f + 1) * dim);
  }

  private worldOf(canvas: HTMLCanvasElement, e: PointerEvent): [number, number] {
    const r = canvas.getBoundingClientRect();
    const size = this.setup.frames.size;
    return toWorld(this.setup.task.system.view!, size, ((e.clientX - r.left) / r.width) * size, ((e.clientY - r.top) / r.height) * size);
  }

  private attachDrag(canvas: HTMLCanvasElement): void {
    canvas.addEventListener('pointerdown', (e) => {
      const x = this.shownState();
      const [wx, wy] = this.worldOf(canvas, e);
      this.grabbed = grab(this.episode.system, this.setup.task.system.view!, x, wx, wy);
      if (this.grabbed === null) return;
      canvas.setPointerCapture(e.pointerId);
      this.setPlaying(false);
      this.el.trial.value = 'custom';
      this.dragTo(x, canvas, e);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.grabbed !== null) this.dragTo(this.pendingPose ?? this.shownState(), canvas, e);
    });
    const end = (e: PointerEvent) => {
      if (this.grabbed === null) return;
      this.dragTo(this.pendingPose ?? this.shownState(), canvas, e);
      this.grabbed = null;
      const pose = this.pendingPose!;
      this.pendingPose = null;
      // the truth and both rollouts from the pose (rollout frame 0 shows it)
      this.restart(frameZeroBefore(this.episode.system, pose, this.setup.frames), this.params);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /**
   * The pose for the pointer, drawn on the truth panel at once. The rollouts start from it when the
   * body is let go: integrating the learned fields at Node's tolerance takes too long to follow a
   * pointer (up to a second for a trained HNN and 200 frames).
   */
  private dragTo(from: Float64Array, canvas: HTMLCanvasElement, e: PointerEvent): void {
    const [wx, wy] = this.worldOf(canvas, e);
    const system = this.episode.system;
    this.pendingPose = poseTo(system, from, this.grabbed!, wx, wy, this.el.release.value === 'rest');
    this.raster.render(system.scene!(this.pendingPose), this.setup.task.system.view!, this.poseFrame);
  }

  /** One draw-loop tick: advance when playing, draw the panels and the two plots. */
  tick(now: number, framesPerSecond: number): void {
    const dt = this.lastTick ? (now - this.lastTick) / 1000 : 0;
    this.lastTick = now;
    const n = this.setup.rolloutFrames;
    if (this.playing) this.frame = (this.frame + dt * framesPerSecond) % n;
    const t0 = performance.now();
    const f = Math.floor(this.frame);
    const NN = this.setup.frames.size ** 2 * this.setup.frames.channels;
    if (this.pendingPose) this.views.get('truth')!.draw(this.poseFrame, 0);
    else this.views.get('truth')!.draw(this.episode.truthFrames, f * NN);
    for (const [kind, r] of Object.entries(this.episode.rollouts)) this.views.get(kind as ModelKind)!.draw(r.frames, f * NN);
    this.el.slider.value = String(f);
    this.el.counter.textContent = `frame ${f + 1} / ${n}   t = ${(f * this.setup.frames.frameDt).toFixed(2)}`;
    this.drawEnergy(f);
    this.drawPhase(f);
    this.ticks.count++;
    this.ticks.drawMs += performance.now() - t0;
  }

  private drawEnergy(f: number): void {
    const ep = this.episode;
    const canvas = this.el.energy;
    if (!this.energyBackground) {
      const x = Array.from({ length: this.setup.rolloutFrames }, (_, i) => i);
      const series: Series[] = [{ name: 'truth', x, y: ep.truthEnergy, color: COLOURS.truth, dashed: true }];
      for (const [kind, r] of Object.entries(ep.rollouts))
        series.push({ name: LABELS[kind as ModelKind], x, y: r.energy, color: COLOURS[kind as ModelKind] });
      const bg = offscreen(canvas);
      const axes = new Axes(bg.getContext('2d')!, boundsOf(series));
      axes.frame('energy of each rollout (re-encoded frames, latent map)', 'frame', 'H');
      drawSeries(axes, series);
      this.energyBackground = bg;
      this.energyAxes = new Axes(canvas.getContext('2d')!, axes.box);
    }
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(this.energyBackground, 0, 0);
    const a = this.energyAxes!;
    ctx.strokeStyle = '#c33';
    ctx.beginPath();
    ctx.moveTo(a.px(f), a.top);
    ctx.lineTo(a.px(f), a.top + a.height);
    ctx.stroke();
  }

  private drawPhase(f: number): void {
    const ep = this.episode;
    const canvas = this.el.phase;
    const hnn = this.setup.models.find((m) => m.kind === 'hnn');
    const r = ep.rollouts.hnn;
    const ctx = canvas.getContext('2d')!;
    if (!hnn || !r || !ep.encodedTruth) {
      if (!this.phaseBackground) {
        this.phaseBackground = offscreen(canvas);
        const c = this.phaseBackground.getContext('2d')!;
        c.fillStyle = '#fff';
        c.fillRect(0, 0, canvas.width, canvas.height);
        c.fillStyle = '#555';
        c.fillText('no HNN in this site: no learned H to draw', 20, 30);
      }
      ctx.drawImage(this.phaseBackground, 0, 0);
      return;
    }
    const d = hnn.codec.spec.latent;
    const k = d / 2;
    const col = (z: Float64Array, c: number) => Float64Array.from({ length: z.length / d }, (_, i) => z[i * d + c]);
    if (!this.phaseBackground) {
      const series: Series[] = [
        { name: 'encoded true frames', x: col(ep.encodedTruth, 0), y: col(ep.encodedTruth, k), color: '#888', dashed: true },
        { name: 'HNN latent rollout', x: col(r.latent.z, 0), y: col(r.latent.z, k), color: COLOURS.hnn },
      ];
      const box = paddedBox(series);
      const bg = offscreen(canvas);
      const axes = new Axes(bg.getContext('2d')!, box);
      axes.frame(k === 1 ? 'learned H in the latent plane' : `learned H on the slice through z(0) (${d}-D latent)`, 'z_q1', 'z_p1');
      const H = hamiltonianFunction(hnn.weights);
      const z0 = Float64Array.from(r.latent.z.subarray(0, d));
      drawContours(axes, (q, p) => {
        const z = Float64Array.from(z0);
        z[0] = q;
        z[k] = p;
        return H(z);
      });
      drawSeries(axes, series);
      this.phaseBackground = bg;
      this.phaseAxes = new Axes(ctx, box);
    }
    ctx.drawImage(this.phaseBackground, 0, 0);
    const a = this.phaseAxes!;
    ctx.fillStyle = '#c33';
    ctx.beginPath();
    ctx.arc(a.px(r.latent.z[f * d]), a.py(r.latent.z[f * d + k]), 4, 0, 2 * Math.PI);
    ctx.fill();
  }

  /** Client coordinates of the grabbable disc `disc` (scene order) on a panel at the current frame (tests). */
  discOnScreen(panel: Panel, disc: number): { x: number; y: number } {
    const canvas = this.el.panels.querySelector<HTMLCanvasElement>(`canvas[data-panel="${panel}"]`)!;
    const r = canvas.getBoundingClientRect();
    const view = this.setup.task.system.view!;
    const d = this.episode.system.scene!(this.shownState()).filter((s) => s.kind === 'disc')[disc] as { x: number; y: number };
    const size = this.setup.frames.size;
    const s = view.scale * size;
    const px = size / 2 + s * (d.x - view.centre[0]);
    const py = size / 2 - s * (d.y - view.centre[1]);
    return { x: r.left + (px / size) * r.width, y: r.top + (py / size) * r.height };
  }
}

/** Both axes' finite range of the series, padded by 15% (a phase portrait's box). */
function paddedBox(series: Series[]): { x0: number; x1: number; y0: number; y1: number } {
  const range = (key: 'x' | 'y') => {
    const v = series.flatMap((s) => Array.from(s[key])).filter(Number.isFinite);
    const [lo, hi] = [Math.min(...v), Math.max(...v)];
    const pad = 0.15 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = range('x');
  const [y0, y1] = range('y');
  return { x0, x1, y0, y1 };
}

function offscreen(like: HTMLCanvasElement): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = like.width;
  c.height = like.height;
  return c;
}
