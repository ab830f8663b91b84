// One explicit Runge-Kutta step over any tableau, into caller-owned buffers: dataset generation
// takes millions of steps, so the in-place path allocates nothing. The sums run over the stages in
// order from 0, because the bits of generated datasets depend on that order.
import type { Field, FieldInto } from './field.ts';
import type { StepFn } from './fixed.ts';
import type { EmbeddedTableau, Tableau } from './tableau.ts';

/** Stage derivatives k (one per stage) and scratch for the stage inputs. */
export interface StageBuffers {
  readonly k: Float64Array[];
  readonly stage: Float64Array;
}

export function stageBuffers(tab: Tableau, dim: number): StageBuffers {
  return { k: Array.from({ length: tab.b.length }, () => new Float64Array(dim)), stage: new Float64Array(dim) };
}

/**
 * Advances (t, y) by h into yNew and returns the number of field evaluations. k[0] must hold
 * f(t, y) on entry, so an FSAL caller can carry it over from the previous step. An FSAL tableau's
 * last stage is left out: it is needed only for the error estimate and the next step.
 */
export function rkStep(
  tab: Tableau,
  f: FieldInto,
  t: number,
  h: number,
  y: ArrayLike<number>,
  buf: StageBuffers,
  yNew: Float64Array,
): number {
  const { a, b, c } = tab;
  const { k, stage } = buf;
  const dim = yNew.length;
  const n = tab.fsal ? b.length - 1 : b.length;
  for (let s = 1; s < n; s++) {
    const as = a[s];
    for (let i = 0; i < dim; i++) {
      let acc = 0;
      for (let j = 0; j < s; j++) acc += as[j] * k[j][i];
      stage[i] = y[i] + h * acc;
    }
    f(t + c[s] * h, stage, k[s]);
  }
  for (let i = 0; i < dim; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += b[j] * k[j][i];
    yNew[i] = y[i] + h * acc;
  }
  return n - 1;
}

/**
 * `rkStep`, then the embedded error estimate err = h sum e_s k_s; returns the number of field
 * evaluations. An FSAL tableau's last stage is f(tEnd, yNew), taken at the caller's end time
 * because t + h need not round to it; it stays in the last k for the next step.
 */
export function embeddedStep(
  tab: EmbeddedTableau,
  f: FieldInto,
  t: number,
  h: number,
  tEnd: number,
  y: ArrayLike<number>,
  buf: StageBuffers,
  yNew: Float64Array,
  err: Float64Array,
): number {
  let nfev = rkStep(tab, f, t, h, y, buf, yNew);
  const { e } = tab;
  const { k } = buf;
  const n = e.length;
  if (tab.fsal) {
    f(tEnd, yNew, k[n - 1]);
    nfev++;
  }
  for (let i = 0; i < err.length; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += e[j] * k[j][i];
    err[i] = h * acc;
  }
  return nfev;
}

/** The tableau as an allocating one-step method, for the fixed-step integrators. */
export function fixedStep(tab: Tableau): StepFn {
  return (f: Field, t: number, x: Float64Array, h: number): Float64Array => {
    const buf = stageBuffers(tab, x.length);
    const out = new Float64Array(x.length);
    buf.k[0].set(f(t, x));
    rkStep(tab, (ts, xs, ks) => ks.set(f(ts, xs)), t, h, x, buf, out);
    return out;
  };
}
