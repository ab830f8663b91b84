// Integrators: measured order of convergence against exact or reference solutions, long-run energy
// behaviour (symplectic vs not), and the adaptive RK45's accuracy, bookkeeping and scipy agreement.
import { describe, expect, it } from 'vitest';
import { FIXED_STEP_INTEGRATORS, getFixedStepIntegrator, type FixedStepIntegrator, type FixedStepName } from '../src/integrate/index.ts';
import * as euler from '../src/integrate/euler.ts';
import * as rk4 from '../src/integrate/rk4.ts';
import * as leapfrog from '../src/integrate/leapfrog.ts';
import * as rk45 from '../src/integrate/rk45.ts';
import { solveIvp, solveIvpInto } from '../src/integrate/rk45.ts';
import { spring, springExact } from '../src/systems/spring.ts';
import { pendulum } from '../src/systems/pendulum.ts';
import { twoBody } from '../src/systems/two-body.ts';
import { UserError } from '../src/util/errors.ts';

const X0 = Float64Array.of(0.3, -0.7);

/** Final-state error of fixed steps over [0, T] against `exact`. */
function finalError(
  integrate: FixedStepIntegrator,
  f: typeof spring.field,
  x0: Float64Array,
  T: number,
  n: number,
  exact: Float64Array,
): number {
  const ys = integrate.integrateFixed(f, x0, 0, T / n, n);
  const last = ys.subarray(n * x0.length);
  return Math.max(...Array.from(last, (v, i) => Math.abs(v - exact[i])));
}

/** log2 of successive error ratios when the step is halved. */
function measuredOrders(
  integrate: FixedStepIntegrator,
  f: typeof spring.field,
  x0: Float64Array,
  T: number,
  ns: number[],
  exact: Float64Array,
): number[] {
  const errs = ns.map((n) => finalError(integrate, f, x0, T, n, exact));
  return errs.slice(1).map((e, i) => Math.log2(errs[i] / e));
}

describe('order of convergence', () => {
  const steps: Record<FixedStepName, number[]> = {
    euler: [400, 800, 1600, 3200],
    leapfrog: [50, 100, 200, 400],
    rk4: [20, 40, 80, 160],
    dopri5: [10, 20, 40, 80],
  };
  const pendulumX0 = Float64Array.of(1.5, 0.3);
  const pendulumExact = solveIvp(pendulum.field, [0, 2], pendulumX0, { tEval: [2], rtol: 1e-14, atol: 1e-14 }).y;

  for (const [name, ns] of Object.entries(steps) as Array<[FixedStepName, number[]]>) {
    it(`${name}: declared order ${FIXED_STEP_INTEGRATORS[name].order} measured on the spring (exact) and pendulum (reference)`, () => {
      const integ = FIXED_STEP_INTEGRATORS[name];
      const onSpring = measuredOrders(integ, spring.field, X0, 2, ns, springExact(X0, 2));
      // the nonlinear pendulum reaches the asymptotic regime at smaller steps
      const onPendulum = measuredOrders(
        integ,
        pendulum.field,
        pendulumX0,
        2,
        ns.map((n) => 4 * n),
        pendulumExact,
      );
      for (const p of [...onSpring, ...onPendulum]) expect(Math.abs(p - integ.order)).toBeLessThan(0.3);
    });
  }

  it('each module declares its order and symplecticity', () => {
    expect([euler.order, euler.symplectic]).toEqual([1, false]);
    expect([rk4.order, rk4.symplectic]).toEqual([4, false]);
    expect([leapfrog.order, leapfrog.symplectic]).toEqual([2, true]);
    expect([rk45.order, rk45.symplectic]).toEqual([5, false]);
    expect(getFixedStepIntegrator('leapfrog')).toBe(FIXED_STEP_INTEGRATORS.leapfrog);
    expect(() => getFixedStepIntegrator('verlet')).toThrow(UserError);
    expect(() => getFixedStepIntegrator('verlet')).toThrow(/valid names: euler, rk4, leapfrog, dopri5/);
  });
});

describe('long-run energy', () => {
  const energies = (ys: Float64Array) =>
    Float64Array.from({ length: ys.length / 2 }, (_, i) => spring.energy(ys.subarray(2 * i, 2 * i + 2)));
  const E0 = spring.energy(X0);

  it('leapfrog keeps the spring energy bounded over 100000 steps; RK4 drifts; Euler blows up', () => {
    const n = 100_000;
    const dt = 0.1;
    const lf = energies(leapfrog.integrateFixed(spring.field, X0, 0, dt, n));
    const rel = lf.map((e) => Math.abs(e - E0) / E0);
    const maxRel = Math.max(...rel);
    expect(maxRel).toBeLessThan(0.02); // O((omega dt)^2) oscillation, omega = 2
    // no drift: the error band at the end is the band at the start
    const band = (a: number, b: number) => Math.max(...rel.subarray(a, b));
    expect(band(n - 1000, n + 1)).toBeLessThan(1.05 * band(0, 1000));
    expect(band(n - 1000, n + 1)).toBeGreaterThan(0.95 * band(0, 1000));

    // RK4 loses energy monotonically: |R(i z)|^2 = 1 - z^6/72 + z^8/576 < 1 per step (z = 0.2)
    const r4 = energies(rk4.integrateFixed(spring.field, X0, 0, dt, n));
    const z = 2 * dt;
    const predicted = Math.pow(1 - z ** 6 / 72 + z ** 8 / 576, n);
    expect(r4[n] / E0).toBeCloseTo(predicted, 6);
    expect(1 - r4[n] / E0).toBeGreaterThan(0.08);
    expect(r4[n]).toBeLessThan(r4[n / 2]);
    expect(r4[n / 2]).toBeLessThan(r4[0]);

    // Euler gains energy by (1 + z^2) per step
    const eu = energies(euler.integrateFixed(spring.field, X0, 0, dt, 100));
    expect(eu[100] / E0).toBeCloseTo(Math.pow(1 + z * z, 100), 6);
  });
});

describe('adaptive RK45 (Dormand-Prince 5(4))', () => {
  const tEval = Float64Array.from({ length: 101 }, (_, i) => i * 0.2);
  const maxErr = (sol: { y: Float64Array; t: Float64Array }) => {
    let m = 0;
    sol.t.forEach((t, i) => {
      const e = springExact(X0, t);
      m = Math.max(m, Math.abs(e[0] - sol.y[2 * i]), Math.abs(e[1] - sol.y[2 * i + 1]));
    });
    return m;
  };

  it('matches the exact spring to ~1e-10 at rtol 1e-12, and errors fall with rtol', () => {
    const errs = [1e-3, 1e-6, 1e-9, 1e-12].map((rtol) => maxErr(solveIvp(spring.field, [0, 20], X0, { tEval, rtol, atol: rtol })));
    expect(errs[3]).toBeLessThan(1e-10);
    for (let i = 1; i < errs.length; i++) expect(errs[i]).toBeLessThan(errs[i - 1] / 100);
  });

  it('takes the same steps as scipy solve_ivp(method="RK45") and agrees with its output', () => {
    // nfev printed by scipy 1.x for this problem with rtol = atol = 1e-3, 1e-6, 1e-9, 1e-12
    const scipyNfev = [218, 848, 3392, 13520];
    [1e-3, 1e-6, 1e-9, 1e-12].forEach((rtol, i) =>
      expect(solveIvp(spring.field, [0, 20], X0, { tEval, rtol, atol: rtol }).nfev).toBe(scipyNfev[i]),
    );
    // pendulum from (1.5, 0.3), default tolerances, t_eval = 0, 0.5, ..., 3: scipy's last row and nfev
    const sol = solveIvp(pendulum.field, [0, 3], Float64Array.of(1.5, 0.3), { tEval: [0, 0.5, 1, 1.5, 2, 2.5, 3] });
    expect(sol.nfev).toBe(62);
    expect(sol.y[12]).toBeCloseTo(1.49846668217, 10);
    expect(sol.y[13]).toBeCloseTo(0.292891871871, 10);
    expect(sol.y[2]).toBeCloseTo(1.05581715405, 10); // a dense-output point
  });

  it('bookkeeping: outputs exactly at tEval, FSAL evaluation count, every-step mode', () => {
    const sol = solveIvp(spring.field, [0, 20], X0, { tEval, rtol: 1e-8, atol: 1e-8 });
    expect(Array.from(sol.t)).toEqual(Array.from(tEval));
    expect(sol.y.length).toBe(tEval.length * 2);
    expect(Array.from(sol.y.subarray(0, 2))).toEqual(Array.from(X0));
    expect(sol.nfev).toBe(2 + 6 * (sol.nsteps + sol.nrejected));
    const all = solveIvp(spring.field, [0, 20], X0, { rtol: 1e-8, atol: 1e-8 });
    expect(all.t.length).toBe(all.nsteps + 1);
    expect(all.t[all.t.length - 1]).toBe(20);
    for (let i = 1; i < all.t.length; i++) expect(all.t[i]).toBeGreaterThan(all.t[i - 1]);
    // dense output is no worse than a few times the error at the step points
    expect(maxErr(sol)).toBeLessThan(5 * Math.max(maxErr(all), 1e-12));
  });

  it('dense-output coefficients reproduce the step result at s = 1', () => {
    rk45.P.forEach((row, k) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(rk45.B[k], 14));
  });

  it('integrates backward in time', () => {
    const x20 = springExact(X0, 20);
    const back = solveIvp(spring.field, [20, 0], x20, { tEval: [20, 10, 0], rtol: 1e-12, atol: 1e-12 });
    expect(Array.from(back.t)).toEqual([20, 10, 0]);
    const mid = springExact(X0, 10);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(back.y[2 + i] - mid[i])).toBeLessThan(1e-10);
      expect(Math.abs(back.y[4 + i] - X0[i])).toBeLessThan(1e-10);
    }
  });

  it('in-place and allocating forms agree; empty span returns x0', () => {
    const a = solveIvp(pendulum.field, [0, 3], Float64Array.of(1, 0), { tEval: [0, 1, 3], rtol: 1e-9 });
    const b = solveIvpInto(pendulum.fieldInto!, [0, 3], Float64Array.of(1, 0), { tEval: [0, 1, 3], rtol: 1e-9 });
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    const z = solveIvp(spring.field, [1, 1], X0, { tEval: [1] });
    expect(Array.from(z.y)).toEqual(Array.from(X0));
    expect(z.nfev).toBe(0);
  });

  it('rejects bad requests and stops on a singularity instead of hanging', () => {
    expect(() => solveIvp(spring.field, [0, 1], X0, { tEval: [0, 2] })).toThrow(/outside tSpan/);
    expect(() => solveIvp(spring.field, [0, 1], X0, { tEval: [0.5, 0.2] })).toThrow(/monotone/);
    expect(() => solveIvp(spring.field, [0, 1], X0, { rtol: 0 })).toThrow(/rtol/);
    expect(() => solveIvp(spring.field, [0, 100], X0, { maxSteps: 10, rtol: 1e-10 })).toThrow(/gave up after 10 steps/);
    // two bodies released at rest collide at t = pi/4 * sqrt(d^3 / 2) ~ 0.555 for d = 1
    const fall = Float64Array.of(0.5, -0.5, 0, 0, 0, 0, 0, 0);
    expect(() => solveIvp(twoBody.field, [0, 2], fall, { rtol: 1e-9, atol: 1e-9 })).toThrow(/step size fell below|gave up/);
  });
});
