// The integrators' parts: the Dormand-Prince tableau as data, the generic stepper on other tableaux,
// every fixed-step integrator's declared order and symplecticity measured on the harmonic
// oscillator, the step-size rules, and dense output.
import { describe, expect, it } from 'vitest';
import { FIXED_STEP_INTEGRATORS, type FixedStepIntegrator } from '../src/integrate/index.ts';
import { fixedStep } from '../src/integrate/runge-kutta.ts';
import { DOPRI5, type Tableau } from '../src/integrate/tableau.ts';
import { accepts, minStepSize, nextStepSize } from '../src/integrate/controller.ts';
import { interpolate } from '../src/integrate/dense.ts';
import { Trajectory } from '../src/integrate/trajectory.ts';
import { iterateSteps } from '../src/integrate/fixed.ts';
import { spring, springExact } from '../src/systems/spring.ts';

const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

describe('the Dormand-Prince tableau', () => {
  it('is consistent: row sums, order conditions, FSAL row, error weights, dense output', () => {
    const { a, b, c, e, dense } = DOPRI5;
    const stages = b.length;
    expect([c.length, a.length, e.length, dense.length]).toEqual([stages, stages, stages, stages]);
    a.forEach((row, s) => {
      expect(row.length).toBe(s);
      expect(sum(row)).toBeCloseTo(c[s], 14);
    });
    // quadrature conditions sum b c^(q-1) = 1/q up to the order, and up to the error order for the embedded solution
    const embedded = b.map((bs, s) => bs - e[s]);
    for (let q = 1; q <= DOPRI5.order; q++) expect(sum(b.map((bs, s) => bs * c[s] ** (q - 1)))).toBeCloseTo(1 / q, 14);
    for (let q = 1; q <= DOPRI5.errorOrder; q++) expect(sum(embedded.map((bs, s) => bs * c[s] ** (q - 1)))).toBeCloseTo(1 / q, 14);
    // FSAL: the last stage is f at the step's solution, at the step's end
    expect(DOPRI5.fsal).toBe(true);
    expect(a[stages - 1]).toEqual(b.slice(0, stages - 1));
    expect([b[stages - 1], c[stages - 1]]).toEqual([0, 1]);
    dense.forEach((row, s) => expect(sum(row)).toBeCloseTo(b[s], 14));
  });
});

// Heun's method (the explicit trapezoid rule) as data: order 2 like leapfrog, but not symplectic,
// and not FSAL, so it also exercises the generic stepper's other path.
const HEUN: Tableau = { name: 'heun', order: 2, fsal: false, c: [0, 1], a: [[], [1]], b: [1 / 2, 1 / 2] };
const heunStep = fixedStep(HEUN);
const heun: FixedStepIntegrator = {
  name: 'heun',
  order: 2,
  symplectic: false,
  step: heunStep,
  integrateFixed: (f, x0, t0, dt, n) => iterateSteps(heunStep, f, x0, t0, dt, n),
};

describe('fixed-step integrators on the harmonic oscillator', () => {
  const cases = [...Object.values(FIXED_STEP_INTEGRATORS), heun];
  const x0 = Float64Array.of(0.3, -0.7);
  const E0 = spring.energy(x0);
  const relEnergyErrors = (ys: Float64Array) =>
    Float64Array.from({ length: ys.length / 2 }, (_, i) => Math.abs(spring.energy(ys.subarray(2 * i, 2 * i + 2)) - E0) / E0);
  /** Largest energy error over the last tenth of a long run, over the largest over the first tenth. */
  const drift = (integ: FixedStepIntegrator, dt: number, n: number) => {
    const rel = relEnergyErrors(integ.integrateFixed(spring.field, x0, 0, dt, n));
    return { growth: Math.max(...rel.subarray(n - n / 10)) / Math.max(...rel.subarray(1, n / 10)), max: Math.max(...rel) };
  };

  it.each(cases.map((integ) => [integ.name, integ] as const))('%s: declared order and symplecticity hold', (_name, integ) => {
    // Halve the step from 2^-2 and keep the errors between the pre-asymptotic range and rounding.
    const T = 2;
    const exact = springExact(x0, T);
    const errors: number[] = [];
    for (let k = 2; k <= 16; k++) {
      const n = T * 2 ** k;
      const last = integ.integrateFixed(spring.field, x0, 0, T / n, n).subarray(2 * n);
      const err = Math.max(Math.abs(last[0] - exact[0]), Math.abs(last[1] - exact[1]));
      if (err < 1e-11) break;
      if (err < 1e-3) errors.push(err);
    }
    const orders = errors.slice(1).map((err, i) => Math.log2(errors[i] / err));
    expect(orders.length).toBeGreaterThanOrEqual(2);
    for (const p of orders) expect(Math.abs(p - integ.order)).toBeLessThan(0.3);

    // Long runs: a symplectic method's energy error stays in its initial band; a non-symplectic one
    // of the same order drifts away from it (a steady drift makes the last tenth's errors about ten
    // times the first tenth's).
    const dt = 0.05;
    const n = 4000;
    const own = drift(integ, dt, n);
    if (integ.symplectic) {
      expect(own.growth).toBeLessThan(1.05);
      const rival = cases.find((other) => !other.symplectic && other.order === integ.order);
      expect(rival, `a non-symplectic method of order ${integ.order}`).toBeDefined();
      const theirs = drift(rival!, dt, n);
      expect(theirs.growth).toBeGreaterThan(5);
      expect(theirs.max).toBeGreaterThan(10 * own.max);
    } else {
      expect(own.growth).toBeGreaterThan(5);
    }
  });
});

describe('step-size rules', () => {
  it('accept below 1; grow at most 10x, shrink at most 5x, never grow after a rejection, respect maxStep', () => {
    expect([accepts(0.999), accepts(1), accepts(NaN), accepts(Infinity)]).toEqual([true, false, false, false]);
    expect(nextStepSize(0, 1, 4, false, Infinity)).toBe(10);
    expect(nextStepSize(1e-12, 1, 4, false, Infinity)).toBe(10);
    expect(nextStepSize(0.5, 1, 4, false, Infinity)).toBe(0.9 * Math.pow(0.5, -0.2));
    expect(nextStepSize(0.5, 1, 4, true, Infinity)).toBe(1);
    expect(nextStepSize(0.5, 1, 4, false, 0.25)).toBe(0.25);
    expect(nextStepSize(2, 1, 4, false, Infinity)).toBe(0.9 * Math.pow(2, -0.2));
    expect(nextStepSize(1e9, 1, 4, false, Infinity)).toBe(0.2);
    expect(nextStepSize(NaN, 1, 4, false, Infinity)).toBe(0.2);
    expect(nextStepSize(Infinity, 1, 4, false, Infinity)).toBe(0.2);
  });

  it('floor the step at ten units in the last place of the time', () => {
    expect(minStepSize(0)).toBe(10 * Number.MIN_VALUE);
    expect(minStepSize(1)).toBe(10 * Number.EPSILON);
    expect(minStepSize(-1024)).toBe(10 * 1024 * Number.EPSILON);
  });
});

describe('dense output', () => {
  it('starts at the step start and ends at the step result', () => {
    const dim = 2;
    const y = Float64Array.of(0.3, -0.7);
    const k = DOPRI5.b.map((_, s) => Float64Array.of(Math.sin(s + 1), Math.cos(3 * s)));
    const h = 0.125;
    const weights = new Float64Array(DOPRI5.b.length);
    const out = new Float64Array(2 * dim);
    interpolate(DOPRI5, k, y, h, 0, weights, out, 0);
    interpolate(DOPRI5, k, y, h, 1, weights, out, dim);
    expect(Array.from(out.subarray(0, dim))).toEqual(Array.from(y));
    for (let i = 0; i < dim; i++) {
      const stepResult = y[i] + h * sum(DOPRI5.b.map((bs, s) => bs * k[s][i]));
      expect(out[dim + i]).toBeCloseTo(stepResult, 14);
    }
  });

  it('rows survive the growth of the output buffer', () => {
    const traj = new Trajectory(3, 1);
    for (let r = 0; r < 9; r++) traj.push(r / 2, [r, -r, 2 * r]);
    const { t, y } = traj.result();
    expect(Array.from(t)).toEqual(Array.from({ length: 9 }, (_, r) => r / 2));
    expect(Array.from(y)).toEqual(Array.from({ length: 9 }, (_, r) => [r, -r, 2 * r]).flat());
  });
});
