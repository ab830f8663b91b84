import { describe, expect, it } from 'vitest';
import {
  bobCentre,
  defaultGeometry,
  FRAME_DT,
  OMEGA0_SQUARED,
  pendulumEnergy,
  PendulumRasterizer,
  renderPendulum,
  renderTrial,
  simulate,
  simulateExact,
  simulateMatter,
  sourceInfo,
  type PendulumGeometry,
} from '../renderer/index.ts';

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

const bobOnly = (size: number): PendulumGeometry => ({ ...defaultGeometry(size), rodIntensity: 0, pivotIntensity: 0 });
const rodOnly = (size: number): PendulumGeometry => ({ ...defaultGeometry(size), bobIntensity: 0, pivotIntensity: 0 });

describe('rasteriser', () => {
  it('puts the bob centroid where the geometry says, within half a pixel (and in fact ~0.01 px)', () => {
    for (const size of [28, 17, 64]) {
      const g = bobOnly(size);
      const r = new PendulumRasterizer(g);
      for (const phi of [0, 0.3, -0.5, 1.2, Math.PI / 2, 2.5, -3]) {
        const c = centroid(r.render(phi), size);
        const b = bobCentre(phi, g);
        expect(Math.abs(c.x - b.x)).toBeLessThan(0.5);
        expect(Math.abs(c.y - b.y)).toBeLessThan(0.5);
        expect(Math.hypot(c.x - b.x, c.y - b.y)).toBeLessThan(0.02);
      }
    }
  });

  it('draws the full scene with the bob at the brightest spot and the pivot at the centre', () => {
    const g = defaultGeometry(28);
    const f = renderPendulum(0.4, g);
    // Centroid of the fully bright (bob) pixels is near the bob centre.
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
    const b = bobCentre(0.4, g);
    expect(m).toBeGreaterThan(5);
    expect(Math.hypot(sx / m - b.x, sy / m - b.y)).toBeLessThan(0.5);
    // The four pixels around the pivot are inside the pivot disc (grey 0.5).
    for (const k of [13 * 28 + 13, 13 * 28 + 14, 14 * 28 + 13, 14 * 28 + 14]) expect(f[k]).toBeCloseTo(0.5, 6);
  });

  it('intensity is covered area: bob and rod areas match the geometry, edges are intermediate', () => {
    const g = defaultGeometry(28);
    const bob = centroid(renderPendulum(0.7, bobOnly(28)), 28);
    expect(bob.mass / (Math.PI * g.bobRadius ** 2)).toBeCloseTo(1, 2);
    const rod = centroid(renderPendulum(0.7, rodOnly(28)), 28);
    const capsule = 2 * g.rodHalfWidth * g.rodLength + Math.PI * g.rodHalfWidth ** 2;
    expect(rod.mass / (0.5 * capsule)).toBeCloseTo(1, 2);

    const f = renderPendulum(0.7, g);
    const values = Array.from(f);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(1);
    expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Every shape's outline carries partial-coverage values (bob perimeter ~18 px, rod sides ~20 px).
    const partial = (frame: Float32Array, full: number) => Array.from(frame).filter((v) => v > 0.02 * full && v < 0.98 * full).length;
    expect(partial(renderPendulum(0.7, bobOnly(28)), 1)).toBeGreaterThan(10);
    expect(partial(renderPendulum(0.7, rodOnly(28)), 0.5)).toBeGreaterThan(10);
    expect(values.filter((v) => v > 0.02 && v < 0.98 && v !== 0.5).length).toBeGreaterThan(20);
    expect(new Set(values).size).toBeGreaterThan(20); // not a jagged 0 / 0.5 / 1 picture
    expect(values.filter((v) => v === 0.5).length).toBeGreaterThan(3); // rod interior at grey 0.5
  });

  it('never sums overlapping shapes above the brightest one', () => {
    const g = { ...defaultGeometry(28), rodIntensity: 0.9, pivotIntensity: 0.7, bobRadius: 4 };
    const f = renderPendulum(0.2, g);
    expect(Math.max(...f)).toBeLessThanOrEqual(1);
    const gGrey = { ...defaultGeometry(28), bobIntensity: 0.6 };
    expect(Math.max(...renderPendulum(0.2, gGrey))).toBeCloseTo(0.6, 6);
  });

  it('hangs down at phi = 0 (rows grow downward) and swings right for phi > 0', () => {
    const n = 28;
    const down = centroid(renderPendulum(0, bobOnly(n)), n);
    expect(down.y).toBeGreaterThan(n / 2 + 8);
    expect(down.x).toBeCloseTo(n / 2, 3);
    const right = centroid(renderPendulum(Math.PI / 2, bobOnly(n)), n);
    expect(right.x).toBeGreaterThan(n / 2 + 8);
    expect(right.y).toBeCloseTo(n / 2, 3);
  });

  it('fills the frame like the reference: bob stays inside with a margin, any N scales the picture', () => {
    for (const n of [28, 56]) {
      const g = defaultGeometry(n);
      expect(g.rodLength + g.bobRadius).toBeLessThan(n / 2);
      expect(g.rodLength + g.bobRadius).toBeGreaterThan(0.4 * n);
      const f = renderPendulum(Math.PI / 4, g);
      // nothing drawn on the border rows/cols at any angle in the dataset range or beyond
      for (let k = 0; k < n; k++) {
        expect(f[k]).toBe(0);
        expect(f[(n - 1) * n + k]).toBe(0);
      }
    }
    const c28 = centroid(renderPendulum(0.9, defaultGeometry(28)), 28);
    const c56 = centroid(renderPendulum(0.9, defaultGeometry(56)), 56);
    expect(c56.x / 56).toBeCloseTo(c28.x / 28, 2);
    expect(c56.y / 56).toBeCloseTo(c28.y / 28, 2);
    expect(() => defaultGeometry(3)).toThrow(/frame size/);
  });

  it('writes into a shared buffer at an offset and clears the previous picture', () => {
    const r = new PendulumRasterizer(defaultGeometry(28));
    const buf = new Float32Array(3 * 784).fill(7);
    r.render(0.3, buf, 784);
    expect(buf[0]).toBe(7);
    expect(buf[2 * 784]).toBe(7);
    expect(Array.from(buf.subarray(784, 2 * 784))).toEqual(Array.from(r.render(0.3)));
    r.render(-0.3, buf, 784);
    expect(Array.from(buf.subarray(784, 2 * 784))).toEqual(Array.from(r.render(-0.3)));
    expect(() => r.render(0, buf, 2 * 784 + 1)).toThrow(/does not fit/);
  });
});

describe('simulation sources', () => {
  it('the exact source conserves energy along a trial to 1e-6 relative', () => {
    for (const [phi0, w0] of [
      [0.5, 0.9],
      [-0.1, -1],
      [0.001, 0.0],
      [2.8, 0.5],
    ]) {
      const s = simulateExact(phi0, w0, 1000);
      const e0 = pendulumEnergy(phi0, w0);
      let worst = 0;
      for (let f = 0; f < 1000; f++) worst = Math.max(worst, Math.abs(pendulumEnergy(s[2 * f], s[2 * f + 1]) - e0) / e0);
      expect(worst).toBeLessThan(1e-6);
      expect(Math.abs(simulate('ode', phi0, w0, 103).relativeEnergyLoss)).toBeLessThan(1e-6);
    }
  });

  it("the exact source follows phi'' = -15 sin phi: small-angle period 2 pi / sqrt(15)", () => {
    const period = (2 * Math.PI) / Math.sqrt(OMEGA0_SQUARED);
    const n = Math.round(period / FRAME_DT) + 1;
    const dt = period / (n - 1); // land exactly on one period
    const s = simulateExact(1e-4, 0, n, { dt });
    expect(s[2 * (n - 1)] / 1e-4).toBeCloseTo(1, 5);
    // a quarter period later the small-angle pendulum is at the bottom
    const q = simulateExact(1e-4, 0, 2, { dt: period / 4 });
    expect(Math.abs(q[2])).toBeLessThan(1e-9);
  });

  it('the matter-js source runs, tracks the ODE early on, and reports its energy loss', () => {
    const m = simulateMatter(0.4, 0.5, 103);
    const e = simulateExact(0.4, 0.5, 103);
    expect(m.states.length).toBe(206);
    expect(Math.abs(m.states[20] - e[20])).toBeLessThan(0.02); // frame 10
    expect(m.relativeEnergyLoss).toBeGreaterThan(0.005); // it does lose energy
    expect(m.relativeEnergyLoss).toBeLessThan(0.2);
    // energy decreases along the trial
    const E = (f: number) => pendulumEnergy(m.states[2 * f], m.states[2 * f + 1]);
    expect(E(102)).toBeLessThan(E(50));
    expect(E(50)).toBeLessThan(E(0));
    expect(sourceInfo('matter').conservative).toBe(false);
    expect(sourceInfo('ode').conservative).toBe(true);
    expect(simulate('matter', 0.4, 0.5, 103).relativeEnergyLoss).toBe(m.relativeEnergyLoss); // deterministic
  });

  it('renderTrial renders the true continuation deterministically for any length', () => {
    const a = renderTrial({ phi: 0.3, omega: -0.4 }, 50, { size: 20 });
    const b = renderTrial({ phi: 0.3, omega: -0.4 }, 200, { size: 20 });
    expect(a.frames.length).toBe(50 * 400);
    expect(b.frames.length).toBe(200 * 400);
    expect(Buffer.compare(Buffer.from(a.frames.buffer), Buffer.from(b.frames.buffer, 0, a.frames.byteLength))).toBe(0);
    const r = new PendulumRasterizer(defaultGeometry(20));
    expect(Array.from(b.frames.subarray(199 * 400))).toEqual(Array.from(r.render(b.states[2 * 199])));
  });
});
