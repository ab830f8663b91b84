// The renderer: any scene's shapes become anti-aliased frames (covered area, brightest or top-most
// shape wins), world coordinates map to pixels as the view says, and the simulation sources of pixel
// trials follow their systems (the exact one conserves energy; matter-js visibly does not).
import { describe, expect, it } from 'vitest';
import { Rasterizer, simulateFrames, simulateMatter, sourceOf, toPixels } from '../renderer/index.ts';
import { gymPendulum } from '../src/systems/pendulum.ts';
import { pixelPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { spring } from '../src/systems/spring.ts';
import { twoBody } from '../src/systems/two-body.ts';
import type { Shape } from '../src/systems/scene.ts';
import { Rng } from '../src/util/rng.ts';

const system = gymPendulum;
const view = system.view!;
const scene = (phi: number) => system.scene!(Float64Array.of(phi, 0));
/** The bob, the rod or the pivot alone (the pendulum lists them top-most first). */
const only = (phi: number, part: 0 | 1 | 2): Shape[] => [scene(phi)[part]];
const render = (shapes: Shape[], size = 28) => new Rasterizer(size).render(shapes, view);

/** Intensity-weighted centroid in pixel coordinates (pixel (i, j) has centre (j + 0.5, i + 0.5)). */
function centroid(f: Float32Array, n: number): { x: number; y: number; mass: number } {
  let m = 0,
    sx = 0,
    sy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = f[i * n + j];
      m += v;
      sx += v * (j + 0.5);
      sy += v * (i + 0.5);
    }
  }
  return { x: sx / m, y: sy / m, mass: m };
}

/** Where the view puts the bob's centre, in pixels. */
function bobPixel(phi: number, size: number): { x: number; y: number } {
  const p = toPixels(view, size);
  const bob = scene(phi)[0] as Extract<Shape, { kind: 'disc' }>;
  return { x: p.x(bob.x), y: p.y(bob.y) };
}

describe('rasteriser', () => {
  it('puts the bob centroid where the view says, within half a pixel (and in fact ~0.01 px)', () => {
    for (const size of [28, 17, 64]) {
      for (const phi of [0, 0.3, -0.5, 1.2, Math.PI / 2, 2.5, -3]) {
        const c = centroid(render(only(phi, 0), size), size);
        const b = bobPixel(phi, size);
        expect(Math.hypot(c.x - b.x, c.y - b.y)).toBeLessThan(0.02);
      }
    }
  });

  it('draws the full scene with the bob at the brightest spot and the pivot at the centre', () => {
    const f = render(scene(0.4));
    let m = 0,
      sx = 0,
      sy = 0;
    for (let k = 0; k < f.length; k++) {
      if (f[k] > 0.99) {
        m++;
        sx += (k % 28) + 0.5;
        sy += Math.floor(k / 28) + 0.5;
      }
    }
    const b = bobPixel(0.4, 28);
    expect(m).toBeGreaterThan(5);
    expect(Math.hypot(sx / m - b.x, sy / m - b.y)).toBeLessThan(0.5);
    // The four pixels around the pivot are inside the pivot disc (grey 0.5).
    for (const k of [13 * 28 + 13, 13 * 28 + 14, 14 * 28 + 13, 14 * 28 + 14]) expect(f[k]).toBeCloseTo(0.5, 6);
  });

  it('intensity is covered area: bob and rod areas match the scene, edges are intermediate', () => {
    const bobR = 0.1 * 28;
    const bob = centroid(render(only(0.7, 0)), 28);
    expect(bob.mass / (Math.PI * bobR ** 2)).toBeCloseTo(1, 2);
    const half = 0.04 * 28;
    const length = 0.36 * 28;
    const rod = centroid(render(only(0.7, 1)), 28);
    expect(rod.mass / (0.5 * (2 * half * length + Math.PI * half ** 2))).toBeCloseTo(1, 2);
    const values = Array.from(render(scene(0.7)));
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(1);
    expect(new Set(values).size).toBeGreaterThan(20); // not a jagged 0 / 0.5 / 1 picture
    expect(values.filter((v) => v === 0.5).length).toBeGreaterThan(3); // rod interior at grey 0.5
  });

  it('never sums overlapping shapes above the brightest one', () => {
    const bright = scene(0.2).map((s) => ({ ...s, shade: s.shade === 1 ? 1 : 0.9 }));
    expect(Math.max(...render(bright))).toBeLessThanOrEqual(1);
    const grey = scene(0.2).map((s) => (s.shade === 1 ? { ...s, shade: 0.6 } : s));
    expect(Math.max(...render(grey))).toBeCloseTo(0.6, 6);
  });

  it('hangs down at phi = 0 (rows grow downward) and swings right for phi > 0', () => {
    const n = 28;
    const down = centroid(render(only(0, 0)), n);
    expect(down.y).toBeGreaterThan(n / 2 + 8);
    expect(down.x).toBeCloseTo(n / 2, 3);
    const right = centroid(render(only(Math.PI / 2, 0)), n);
    expect(right.x).toBeGreaterThan(n / 2 + 8);
    expect(right.y).toBeCloseTo(n / 2, 3);
  });

  it('fills the frame like the reference: the bob stays inside with a margin, any N scales the picture', () => {
    for (const n of [28, 56]) {
      const f = render(scene(Math.PI / 4), n);
      for (let k = 0; k < n; k++) {
        expect(f[k]).toBe(0);
        expect(f[(n - 1) * n + k]).toBe(0);
      }
    }
    const c28 = centroid(render(scene(0.9), 28), 28);
    const c56 = centroid(render(scene(0.9), 56), 56);
    expect(c56.x / 56).toBeCloseTo(c28.x / 28, 2);
    expect(c56.y / 56).toBeCloseTo(c28.y / 28, 2);
    expect(() => new Rasterizer(3)).toThrow(/frame size/);
  });

  it('writes into a shared buffer at an offset and clears the previous picture', () => {
    const r = new Rasterizer(28);
    const buf = new Float32Array(3 * 784).fill(7);
    r.render(scene(0.3), view, buf, 784);
    expect(buf[0]).toBe(7);
    expect(buf[2 * 784]).toBe(7);
    expect(Array.from(buf.subarray(784, 2 * 784))).toEqual(Array.from(r.render(scene(0.3), view)));
    r.render(scene(-0.3), view, buf, 784);
    expect(Array.from(buf.subarray(784, 2 * 784))).toEqual(Array.from(r.render(scene(-0.3), view)));
    expect(() => r.render(scene(0), view, buf, 2 * 784 + 1)).toThrow(/does not fit/);
  });

  it('draws colour frames with the top-most shape showing, and grey frames from the same scene', () => {
    const r = new Rasterizer(28, { channels: 3 });
    const f = r.render(scene(0.4), view);
    expect(f.length).toBe(28 * 28 * 3);
    const b = bobPixel(0.4, 28);
    const at = 3 * (Math.floor(b.y) * 28 + Math.floor(b.x));
    expect(Array.from(f.subarray(at, at + 3)).map((v) => +v.toFixed(4))).toEqual([0.95, 0.75, 0.2]); // the bob's colour, whole pixel
    // the bob covers the rod where they meet: no pixel mixes more than the bob and background there
    const grey = new Rasterizer(28).render(scene(0.4), view);
    let lit = 0;
    for (let k = 0; k < 784; k++) if (grey[k] > 0) lit += f[3 * k] + f[3 * k + 1] + f[3 * k + 2] > 0 ? 1 : 0;
    expect(lit).toBe(Array.from(grey).filter((v) => v > 0).length);
  });

  it('draws every system that has a scene: a spring, two bodies', () => {
    const s = new Rasterizer(32).render(spring.scene!(Float64Array.of(0.5, 0)), spring.view!);
    expect(Array.from(s).filter((v) => v > 0).length).toBeGreaterThan(40);
    const x = twoBody.sampleInitial(new Rng(3));
    const t = centroid(new Rasterizer(32).render(twoBody.scene!(x), twoBody.view!), 32);
    // two bodies mirrored through the origin: the intensity-weighted centroid leans to the brighter body 1
    expect(t.mass).toBeGreaterThan(10);
    const p = toPixels(twoBody.view!, 32);
    expect(Math.sign(t.x - 16)).toBe(Math.sign(p.x(x[0]) - 16));
  });
});

describe('simulation sources', () => {
  const energy = (s: Float64Array, f: number) => system.energy(s.subarray(2 * f, 2 * f + 2));

  it('the exact source conserves energy along a trial to 1e-6 relative', () => {
    for (const [phi0, w0] of [
      [0.5, 0.9],
      [-0.1, -1],
      [0.001, 0.0],
      [2.8, 0.5],
    ]) {
      const s = simulateFrames(system, [phi0, w0], 1000, { dt: 0.05, substeps: 64 });
      const e0 = energy(s, 0);
      let worst = 0;
      for (let f = 0; f < 1000; f++) worst = Math.max(worst, Math.abs(energy(s, f) - e0) / e0);
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it("the exact source follows phi'' = -15 sin phi: small-angle period 2 pi / sqrt(15)", () => {
    const period = (2 * Math.PI) / Math.sqrt(15);
    const n = Math.round(period / 0.05) + 1;
    const s = simulateFrames(system, [1e-4, 0], n, { dt: period / (n - 1), substeps: 64 });
    expect(s[2 * (n - 1)] / 1e-4).toBeCloseTo(1, 5);
    // a quarter period later the small-angle pendulum is at the bottom
    const q = simulateFrames(system, [1e-4, 0], 2, { dt: period / 4, substeps: 64 });
    expect(Math.abs(q[2])).toBeLessThan(1e-9);
  });

  it('the matter-js source runs, tracks the exact one early on, and loses energy', () => {
    const m = simulateMatter(0.4, 0.5, 103, { dt: 0.05, w2: 15 });
    const e = simulateFrames(system, [0.4, 0.5], 103, { dt: 0.05, substeps: 64 });
    expect(m.states.length).toBe(206);
    expect(Math.abs(m.states[20] - e[20])).toBeLessThan(0.02); // frame 10
    expect(m.relativeEnergyLoss).toBeGreaterThan(0.005);
    expect(m.relativeEnergyLoss).toBeLessThan(0.2);
    expect(energy(m.states, 102)).toBeLessThan(energy(m.states, 50));
    expect(energy(m.states, 50)).toBeLessThan(energy(m.states, 0));
    const p = { frameDt: 0.05, substeps: 64 };
    expect(sourceOf(pixelPendulumTask, 'matter', p).conservative).toBe(false);
    expect(sourceOf(pixelPendulumTask, 'ode', p).conservative).toBe(true);
    expect(Array.from(sourceOf(pixelPendulumTask, 'matter', p).simulate(Float64Array.of(0.4, 0.5), 103, p))).toEqual(Array.from(m.states));
    expect(() => sourceOf(pixelPendulumTask, 'bullet', p)).toThrow(/engine must be one of ode, matter/);
  });
});
