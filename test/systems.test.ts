// Systems: each field is the symplectic gradient of its Hamiltonian (plus friction on the momenta),
// energy behaves as the theory says along accurate trajectories, samplers follow docs/PROTOCOLS.md,
// the registry knows every task, and the real data are intact.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Rng } from '../src/util/rng.ts';
import { UserError } from '../src/util/errors.ts';
import { solveIvp } from '../src/integrate/rk45.ts';
import type { System } from '../src/systems/system.ts';
import { defineSystem } from '../src/systems/define.ts';
import { spring, springExact } from '../src/systems/spring.ts';
import { springTask } from '../src/tasks/builtin/spring.ts';
import { pendulum } from '../src/systems/pendulum.ts';
import { dampedPendulumTask, pixelPendulumTask, realPendulumTask } from '../src/tasks/builtin/pendulum.ts';
import { twoBody, circularSpeed as twoBodySpeed, mirroredState } from '../src/systems/two-body.ts';
import { twoBodyTask } from '../src/tasks/builtin/two-body.ts';
import { threeBody, circularSpeed as threeBodySpeed } from '../src/systems/three-body.ts';
import { getStateTask, getTask, TASK_NAMES, TASKS } from '../src/tasks/registry.ts';
import type { StateTask } from '../src/tasks/task.ts';
import { loadMeasured, parseMeasured } from '../datasets/measured.ts';
import { packageFile } from '../src/util/package-root.ts';

const dampedPendulum = dampedPendulumTask.system;
const realData = realPendulumTask.data as Extract<typeof realPendulumTask.data, { source: 'measured' }>;
/** Every simulated system of the registry, with its task's name. */
const SIMULATED = TASKS.filter((t) => t.kind === 'pixel' || t.data.source === 'simulated').map((t) => [t.name, t.system] as const);

/** (dH/dp, -dH/dq) by central differences. */
function symplecticGradientFd(H: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const n = x.length;
  const k = n / 2;
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Float64Array.from(x);
    const b = Float64Array.from(x);
    a[i] += eps;
    b[i] -= eps;
    grad[i] = (H(a) - H(b)) / (2 * eps);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    out[i] = grad[k + i];
    out[k + i] = -grad[i];
  }
  return out;
}

function states(system: System, n: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => system.sampleInitial(rng));
}

describe('fields are symplectic gradients of their Hamiltonians', () => {
  for (const [name, system] of SIMULATED) {
    it(name, () => {
      for (const x of states(system, 20, 1)) {
        const fd = symplecticGradientFd((y) => system.hamiltonian(y), x);
        const f = system.field(0, x);
        // Friction is the only non-Hamiltonian part: dp/dt gets -gamma dH/dp = -gamma dq/dt.
        const k = system.dof;
        for (let j = 0; j < k; j++) fd[k + j] -= system.friction * fd[j];
        const out = new Float64Array(system.dim);
        system.fieldInto(0, x, out);
        for (let i = 0; i < system.dim; i++) {
          expect(Math.abs(f[i] - fd[i])).toBeLessThan(1e-6 * (1 + Math.abs(f[i])));
          expect(out[i]).toBe(f[i]);
        }
      }
    });
  }
});

describe('energy along accurate trajectories', () => {
  for (const name of ['spring', 'pendulum', 'two-body', 'three-body'] as const) {
    it(`${name}: conserved by RK45 at rtol 1e-10`, () => {
      const system = getTask(name).system;
      const [x0] = states(system, 1, 7);
      const t1 = name === 'three-body' ? 5 : 20;
      const sol = solveIvp(system.field, [0, t1], x0, { rtol: 1e-10, atol: 1e-10 });
      const h0 = system.energy(x0);
      let worst = 0;
      for (let i = 0; i < sol.t.length; i++)
        worst = Math.max(worst, Math.abs(system.energy(sol.y.subarray(i * system.dim, (i + 1) * system.dim)) - h0));
      expect(sol.t.length).toBeGreaterThan(10);
      expect(worst / Math.abs(h0)).toBeLessThan(1e-7);
    });
  }

  it('damped pendulum: measured dH/dt matches -gamma (dH/dp)^2 = -4 gamma p^2, and energy decreases', () => {
    const sys = pendulum.withFriction(0.3);
    const dt = 1e-3;
    const tEval = Float64Array.from({ length: 5001 }, (_, i) => i * dt);
    const sol = solveIvp(sys.field, [0, 5], Float64Array.of(1.8, 0.4), { tEval, rtol: 1e-12, atol: 1e-12 });
    const H = (i: number) => sys.hamiltonian(sol.y.subarray(2 * i, 2 * i + 2));
    let checked = 0;
    for (let i = 1; i < tEval.length - 1; i += 50) {
      const measured = (H(i + 1) - H(i - 1)) / (2 * dt);
      const p = sol.y[2 * i + 1];
      const theory = -0.3 * (2 * p) ** 2; // dH/dt = dH/dp * (-gamma dH/dp)
      expect(Math.abs(measured - theory)).toBeLessThan(1e-5 * (1 + Math.abs(theory)));
      expect(H(i + 1)).toBeLessThanOrEqual(H(i - 1) + 1e-12);
      checked++;
    }
    expect(checked).toBeGreaterThan(90);
    expect(H(5000)).toBeLessThan(0.5 * H(0));
    expect(dampedPendulum.conservative).toBe(false);
    // the paper-style damped pendulum: dp/dt = -3 sin q - 0.1 p, bit for bit
    expect(dampedPendulum.friction).toBe(0.05);
    for (const x of states(pendulum, 20, 4)) expect(dampedPendulum.field(0, x)[1]).toBe(-3 * Math.sin(x[0]) - 0.1 * x[1]);
  });

  it('friction 0 is the ideal system; friction is validated', () => {
    const sys = pendulum.withFriction(0);
    for (const x of states(pendulum, 5, 3)) expect(Array.from(sys.field(0, x))).toEqual(Array.from(pendulum.field(0, x)));
    expect(() => pendulum.withFriction(-1)).toThrow(/friction/);
  });

  it('defineSystem derives the field of a user system from H and its gradient', () => {
    const definition = {
      name: 'quartic',
      description: 'H = q^4/4 + p^2/2',
      coordinates: ['q'],
      hamiltonian: (x: Float64Array) => x[0] ** 4 / 4 + x[1] ** 2 / 2,
      gradient(x: Float64Array, out: Float64Array) {
        out[0] = x[0] ** 3;
        out[1] = x[1];
      },
    };
    const quartic = defineSystem(definition);
    expect(quartic.dim).toBe(2);
    expect(quartic.stateLabels).toEqual(['q', 'p_q']);
    expect(Array.from(quartic.field(0, Float64Array.of(2, 3)))).toEqual([3, -8]);
    expect(() => quartic.sampleInitial(new Rng(0))).toThrow(/no initial-state sampler/);
    expect(() => defineSystem({ ...definition, name: 'Bad Name' })).toThrow(/lower case/);
  });
});

describe('samplers follow docs/PROTOCOLS.md', () => {
  it('spring and pendulum radii', () => {
    for (const [sys, lo, hi] of [
      [spring, 0.1, 1.0],
      [pendulum, 1.3, 2.3],
      [dampedPendulum, 1.3, 2.3],
    ] as const satisfies ReadonlyArray<readonly [System, number, number]>) {
      const radii = states(sys, 500, 11).map((x) => Math.hypot(x[0], x[1]));
      expect(Math.min(...radii)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...radii)).toBeLessThan(hi);
      // spread over the whole range, not a point
      expect(Math.max(...radii) - Math.min(...radii)).toBeGreaterThan(0.9 * (hi - lo));
    }
  });

  it('spring exact solution satisfies the field', () => {
    const x0 = Float64Array.of(0.4, -0.2);
    const t = 0.7;
    const eps = 1e-6;
    const a = springExact(x0, t + eps);
    const b = springExact(x0, t - eps);
    const f = spring.field(t, springExact(x0, t));
    for (let i = 0; i < 2; i++) expect((a[i] - b[i]) / (2 * eps)).toBeCloseTo(f[i], 8);
  });

  it('two-body: circular speed keeps a circular orbit at constant separation', () => {
    const px = 0.8;
    const py = 1.1;
    const r = Math.hypot(px, py);
    const v = twoBodySpeed(r);
    const x0 = mirroredState(px, py, (-py / r) * v, (px / r) * v);
    const sol = solveIvp(twoBody.field, [0, 30], x0, { rtol: 1e-12, atol: 1e-12 });
    for (let i = 0; i < sol.t.length; i++) {
      const y = sol.y.subarray(i * 8, i * 8 + 8);
      expect(Math.abs(Math.hypot(y[0] - y[1], y[2] - y[3]) - 2 * r)).toBeLessThan(1e-8);
    }
    // 30 time units cover more than a revolution for these radii
    expect((30 * v) / (2 * Math.PI * r)).toBeGreaterThan(1);
  });

  it('two-body sampler: positions in U(0.5,1.5)^2, near-circular speed, zero momentum and centre of mass', () => {
    const ratios: number[] = [];
    for (const x of states(twoBody, 300, 5)) {
      expect(x[0]).toBeGreaterThanOrEqual(0.5);
      expect(x[0]).toBeLessThan(1.5);
      expect(x[2]).toBeGreaterThanOrEqual(0.5);
      expect(x[2]).toBeLessThan(1.5);
      for (const i of [0, 2, 4, 6]) expect(x[i] + x[i + 1]).toBe(0);
      const r = Math.hypot(x[0], x[2]);
      // velocity perpendicular to the position
      expect(Math.abs(x[0] * x[4] + x[2] * x[6])).toBeLessThan(1e-12);
      ratios.push(Math.hypot(x[4], x[6]) / twoBodySpeed(r));
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const std = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / ratios.length);
    expect(mean).toBeCloseTo(1, 1);
    expect(std).toBeGreaterThan(0.04);
    expect(std).toBeLessThan(0.06);
  });

  it('three-body: circular speed keeps an equilateral orbit over a short horizon', () => {
    const r = 1.05;
    const v = threeBodySpeed(r);
    const x0 = new Float64Array(12);
    for (let k = 0; k < 3; k++) {
      const a = 0.3 + (2 * Math.PI * k) / 3;
      x0[k] = r * Math.cos(a);
      x0[3 + k] = r * Math.sin(a);
      x0[6 + k] = -v * Math.sin(a);
      x0[9 + k] = v * Math.cos(a);
    }
    const sol = solveIvp(threeBody.field, [0, 3], x0, { rtol: 1e-12, atol: 1e-12 });
    for (let i = 0; i < sol.t.length; i++) {
      for (let k = 0; k < 3; k++) expect(Math.abs(Math.hypot(sol.y[i * 12 + k], sol.y[i * 12 + 3 + k]) - r)).toBeLessThan(1e-7);
    }
  });

  it('three-body sampler: rotated triangle, radius U(0.9,1.2), velocities within 20% of circular', () => {
    for (const x of states(threeBody, 200, 9)) {
      const radii = [0, 1, 2].map((k) => Math.hypot(x[k], x[3 + k]));
      expect(Math.max(...radii) - Math.min(...radii)).toBeLessThan(1e-12);
      expect(radii[0]).toBeGreaterThanOrEqual(0.9);
      expect(radii[0]).toBeLessThan(1.2);
      expect(Math.abs(x[0] + x[1] + x[2])).toBeLessThan(1e-12);
      expect(Math.abs(x[3] + x[4] + x[5])).toBeLessThan(1e-12);
      const v = threeBodySpeed(radii[0]);
      for (let k = 0; k < 3; k++) {
        const a = Math.atan2(x[3 + k], x[k]);
        const nominal = [-v * Math.sin(a), v * Math.cos(a)];
        for (const [c, comp] of [x[6 + k], x[9 + k]].entries()) {
          if (Math.abs(nominal[c]) < 1e-9) continue;
          const factor = comp / nominal[c];
          expect(factor).toBeGreaterThanOrEqual(0.8 - 1e-12);
          expect(factor).toBeLessThanOrEqual(1.2 + 1e-12);
        }
      }
    }
  });
});

describe('registry', () => {
  it('knows every task and rejects unknown names with the list', () => {
    for (const name of TASK_NAMES) expect(getTask(name).name).toBe(name);
    expect(new Set(TASK_NAMES).size).toBe(TASK_NAMES.length);
    expect(() => getTask('planet')).toThrow(UserError);
    expect(() => getTask('planet')).toThrow(/choose one of spring, pendulum, damped-pendulum, real-pendulum, two-body, three-body/);
    expect(() => getTask('toString')).toThrow(UserError);
    expect(() => getStateTask('pixel-pendulum')).toThrow(/is a pixel task/);
  });

  it('every task is consistent: latent and label sizes follow the system, pixel systems can draw themselves', () => {
    for (const t of TASKS) {
      expect(t.system.dim).toBe(2 * t.system.dof);
      if (t.kind === 'pixel') {
        expect(t.system.scene).toBeDefined();
        expect(t.system.view).toBeDefined();
        expect(t.data.sample(new Rng(1))).toHaveLength(t.system.dim);
      } else if (t.data.source === 'simulated') {
        expect(t.system.sampleInitial(new Rng(1))).toHaveLength(t.system.dim);
      }
    }
  });

  it('carries the published reference values', () => {
    expect(springTask.published?.energyHnn).toEqual([0.38, 0.1]);
    expect(twoBodyTask.published?.scale).toBe(1e6);
    expect(realPendulumTask.published?.testHnn).toEqual([6.0, 0.6]);
    expect(pixelPendulumTask.publishedScales).toEqual({ loss: 1e5, energy: 1e3 });
  });

  it("puts each of paperRow's columns in its field (the real pendulum's and two-body's rows of Table 1, all columns distinct)", () => {
    // the table's columns in order: train loss, test loss, energy MSE, each baseline then HNN
    const columns = ['trainBaseline', 'trainHnn', 'testBaseline', 'testHnn', 'energyBaseline', 'energyHnn'] as const;
    // the rows as the table of docs/PROTOCOLS.md ("Published results") prints them
    const rows: Array<[StateTask, number, string]> = [
      [realPendulumTask, 1e3, '2.7 +- 0.2 | 9.2 +- 0.5 | 2.2 +- 0.3 | 6.0 +- 0.6 | 390 +- 70 | 14 +- 5'],
      [twoBodyTask, 1e6, '33 +- 1 | 3.0 +- 0.1 | 30 +- 0.9 | 2.8 +- 0.1 | 6.3e4 +- 3e4 | 39 +- 5'],
    ];
    for (const [task, scale, row] of rows) {
      const figures = row.split('|').map((cell) => cell.split('+-').map(Number));
      const published = task.published!;
      expect(published.scale, task.name).toBe(scale);
      columns.forEach((column, i) => expect(published[column], `${task.name} ${column}`).toEqual(figures[i]));
      // no other field, and the fields in the table's order (as the records wrote them before paperRow)
      expect(Object.keys(published)).toEqual(['scale', ...columns]);
    }
  });
});

describe('real pendulum data', () => {
  it('is the published file, byte for byte, and parses to 556 rows', () => {
    const bytes = readFileSync(packageFile(realData.file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(realData.sha256);
    const d = loadMeasured(realData);
    expect(d.rows).toBe(556);
    expect(d.t[0]).toBe(5);
    expect(d.t[555]).toBeCloseTo(99.5, 10);
    expect(d.trial.every((v) => v === 0)).toBe(true);
    const steps = Array.from({ length: 555 }, (_, i) => d.t[i + 1] - d.t[i]);
    expect(steps.filter((s) => Math.abs(s - 1 / 6) < 1e-6).length).toBe(545);
    expect(Math.max(...Array.from(d.q))).toBeGreaterThan(1.4);
    // analysis energy of the first point: 2.4 (1 - cos q) + p^2
    const x = Float64Array.of(d.q[0], d.p[0]);
    expect(realPendulumTask.system.energy(x)).toBeCloseTo(2.4 * (1 - Math.cos(d.q[0])) + d.p[0] ** 2, 14);
  });

  it('reports missing or malformed files as UserError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnn-real-'));
    expect(() => loadMeasured(realData, join(dir, 'absent.txt'))).toThrow(UserError);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '%o v\r\n 0 5.0 1.0\r\n');
    expect(() => loadMeasured(realData, bad)).toThrow(/line 2 is not 4 numbers/);
    expect(() => parseMeasured('%o v\n0 2 0.1 0.2\n0 1 0.1 0.2\n')).toThrow(/do not increase/);
  });
});
