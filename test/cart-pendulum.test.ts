// The pendulum on a cart (src/systems/cart-pendulum.ts, its tasks src/tasks/builtin/cart-pendulum.ts):
// the gradient of H against central differences, energy and horizontal momentum kept by the exact
// field, a small pixel dataset, and a few training steps from states and from pixels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { solveIvp } from '../src/integrate/rk45.ts';
import { Rng } from '../src/util/rng.ts';
import { initBackend } from '../src/tf/backend.ts';
import { cartPendulum, cartPendulumSystem } from '../src/systems/cart-pendulum.ts';
import { cartPendulumTask, pixelCartPendulumTask } from '../src/tasks/builtin/cart-pendulum.ts';
import { getTask } from '../src/tasks/registry.ts';
import { generatePixelDataset } from '../datasets/pixel.ts';
import { loadPixelDataset } from '../datasets/pixel-load.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { trainPixelModel } from '../src/train/pixel.ts';
import { trainStateModel } from '../src/train/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { DEFAULT_PIXEL_LOSS } from '../models/pixel.ts';

/** dH/dx by central differences. */
function differenceGradient(H: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  return Float64Array.from(x, (_, i) => {
    const a = Float64Array.from(x);
    const b = Float64Array.from(x);
    a[i] += eps;
    b[i] -= eps;
    return (H(a) - H(b)) / (2 * eps);
  });
}

/** States from the system's sampler and the pixel task's, plus a few far from rest. */
function testStates(): Float64Array[] {
  const rng = new Rng(5);
  const states: Float64Array[] = [];
  for (let i = 0; i < 10; i++) states.push(cartPendulum.sampleInitial(rng), pixelCartPendulumTask.data.sample(rng));
  states.push(Float64Array.of(0.3, 2.5, -1.2, 0.8), Float64Array.of(-1, -Math.PI / 2, 0.7, -2));
  return states;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hnn-cart-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cart-pendulum: the system', () => {
  it('its gradient is the central difference of H, for several masses and lengths', () => {
    const systems = [cartPendulum, cartPendulumSystem({ cartMass: 2.5, bobMass: 0.4, length: 0.7, gravity: 9.81 })];
    for (const system of systems) {
      for (const x of testStates()) {
        const fd = differenceGradient((y) => system.hamiltonian(y), x);
        const grad = new Float64Array(4);
        system.gradient(x, grad);
        for (let i = 0; i < 4; i++) expect(Math.abs(grad[i] - fd[i])).toBeLessThan(1e-7 * (1 + Math.abs(grad[i])));
      }
    }
  });

  it('H is the Lagrangian energy: velocities from the field give T + V', () => {
    const x = Float64Array.of(0.2, 0.7, 0.4, -0.3);
    const [dx, dth] = cartPendulum.field(0, x);
    // M = m = l = 1, g = 10: T = (M + m) x'^2 / 2 + m l x' theta' cos theta + m l^2 theta'^2 / 2
    const T = dx * dx + dx * dth * Math.cos(x[1]) + (dth * dth) / 2;
    expect(cartPendulum.energy(x)).toBeCloseTo(T + 10 * (1 - Math.cos(x[1])), 12);
  });

  it('the exact field keeps H and the horizontal momentum over a rollout', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 3; i++) {
      const x0 = cartPendulum.sampleInitial(rng);
      const sol = solveIvp(cartPendulum.field, [0, 20], x0, { rtol: 1e-10, atol: 1e-10 });
      const h0 = cartPendulum.energy(x0);
      expect(sol.t.length).toBeGreaterThan(10);
      for (let j = 0; j < sol.t.length; j++) {
        const x = sol.y.subarray(4 * j, 4 * j + 4);
        expect(Math.abs(cartPendulum.energy(x) - h0)).toBeLessThan(1e-7 * Math.max(1, Math.abs(h0)));
        expect(Math.abs(x[2] - x0[2])).toBeLessThan(1e-9); // p_x: x is cyclic
      }
    }
  });
});

describe('cart-pendulum: the tasks', () => {
  it('are registered', () => {
    expect(getTask('cart-pendulum')).toBe(cartPendulumTask);
    expect(getTask('pixel-cart-pendulum')).toBe(pixelCartPendulumTask);
  });

  it('a small pixel dataset generates, the cart and bob inside the frame', async () => {
    const out = join(dir, 'pixels');
    const m = await generatePixelDataset(pixelCartPendulumTask, { out, trials: 4, frames: 12, size: 16, samples: 2, seed: 0, quiet: true });
    expect(m.arrays.trialStates.shape).toEqual([4, 12, 4]);
    const ds = loadPixelDataset(out);
    expect(ds.data.train.x.length).toBeGreaterThan(0);
    const view = pixelCartPendulumTask.system.view!;
    for (const x of testStates().slice(0, 20)) {
      if (x[2] !== 0) continue; // the pixel task's states: centre of mass at rest
      for (const [bx, by] of pixelCartPendulumTask.system.bodies!(x)) {
        expect(Math.abs(bx - view.centre[0]) * view.scale).toBeLessThan(0.45);
        expect(Math.abs(by - view.centre[1]) * view.scale).toBeLessThan(0.45);
      }
    }
  });

  it('a few training steps run, from pixels and from states', async () => {
    await initBackend('wasm');
    const data = loadPixelDataset(join(dir, 'pixels')).data;
    const pixel = await trainPixelModel(
      {
        spec: { kind: 'hnn', frameSize: 16, hidden: 16, latent: 4, dynHidden: [16, 16] },
        seed: 0,
        steps: 4,
        batchSize: 8,
        lr: 1e-3,
        weightDecay: 1e-5,
        loss: DEFAULT_PIXEL_LOSS,
        logEvery: 1,
        checkpointEvery: 100,
      },
      data,
      { quiet: true },
    );
    pixel.model.dispose();
    expect(pixel.lastStep).toBe(5);
    expect(pixel.history.every((h) => Object.values(h).every(Number.isFinite))).toBe(true);

    const ds = buildStateDataset(cartPendulumTask, 0, { trajectories: 4, points: 10 });
    const cfg = { kind: 'hnn' as const, seed: 0, steps: 4, batchSize: null, weightDecay: 0, lr: 1e-3, hidden: [16, 16], logEvery: 1 };
    const state = await trainStateModel(cfg, toStateData(ds), { quiet: true });
    state.model.dispose();
    expect(state.lastStep).toBe(5);
    expect(state.history.every((h) => Object.values(h).every(Number.isFinite))).toBe(true);
  });
});
