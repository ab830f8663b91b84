// Checks of a user's Hamiltonian where it enters, and the float64 derivative used when no gradient
// is given:
//
// - H must return one finite number (an array, an object or NaN is refused, naming the state);
// - a gradient written by hand must match H's derivative at sampled states to a relative error of
//   GRADIENT_TOLERANCE (the component and the state are named otherwise);
// - without a gradient, dH/dx_i comes from a fourth-order central difference,
//     (-H(x + 2h e_i) + 8 H(x + h e_i) - 8 H(x - h e_i) + H(x - 2h e_i)) / (12 h),
//   with h = STEP_SCALE * max(1, |x_i|): truncation error O(h^4) and rounding error O(eps / h), both
//   near 1e-12 relative for an H whose derivatives are of order one (FD_ACCURACY). It costs 4 H calls
//   per state coordinate per gradient, 8k calls for k degrees of freedom. (A complex-step derivative
//   would be exact to rounding but needs H written for complex numbers; a plain function of
//   Float64Array cannot be, and an expression H has its exact symbolic gradient anyway.)
import { UserError } from '../util/errors.ts';

/** Relative error above which a hand-written gradient is refused. */
export const GRADIENT_TOLERANCE = 1e-4;

/** Gradient size below which errors are judged absolutely (a state at rest, where the derivative is rounding noise). */
export const GRADIENT_FLOOR = 1e-6;

/** The difference step's scale: about eps^(1/5), which balances O(h^4) truncation and O(eps/h) rounding. */
export const STEP_SCALE = 1e-3;

/** The finite-difference gradient's typical relative accuracy for an H with derivatives of order one. */
export const FD_ACCURACY = 1e-11;

/** Formats a state for messages: `[0.5, -0.25, ...]` with names when given. */
export function formatState(x: ArrayLike<number>, names?: readonly string[]): string {
  const v = Array.from(x, (a, i) => `${names ? `${names[i]}=` : ''}${Number(a.toPrecision(6))}`);
  return `[${v.join(', ')}]`;
}

/** Calls H and refuses anything but one finite number, naming the state. */
export function checkedEnergy(system: string, H: (x: Float64Array) => unknown, x: Float64Array, names?: readonly string[]): number {
  const e = H(x);
  if (typeof e !== 'number') {
    const what = Array.isArray(e) || ArrayBuffer.isView(e) ? 'an array' : e === null ? 'null' : `a ${typeof e}`;
    throw new UserError(
      `system ${system}: H returned ${what} at ${formatState(x, names)}; H must return one number (the energy), e.g. sum the terms`,
    );
  }
  if (!Number.isFinite(e))
    throw new UserError(`system ${system}: H is ${e} at ${formatState(x, names)}; H must be finite on the states it is sampled from`);
  return e;
}

/** dH/dx by the fourth-order central difference of the header, written into `out`. */
export function differenceGradient(H: (x: Float64Array) => number, x: Float64Array, out: Float64Array): void {
  const y = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const h = STEP_SCALE * Math.max(1, Math.abs(x[i]));
    const at = (d: number) => {
      y[i] = x[i] + d;
      const v = H(y);
      return v;
    };
    const f2 = at(2 * h);
    const f1 = at(h);
    const b1 = at(-h);
    const b2 = at(-2 * h);
    y[i] = x[i];
    out[i] = (-f2 + 8 * f1 - 8 * b1 + b2) / (12 * h);
  }
}

/**
 * Compares a hand-written gradient with H's derivative at each state. The error of component i is
 * |g_i - d_i| / max(max_j |d_j|, GRADIENT_FLOOR) (relative to the gradient's size at that state, so a component that is
 * zero there is not judged on rounding noise). A component the gradient never writes is named as such.
 */
export function checkGradient(
  system: string,
  H: (x: Float64Array) => number,
  gradient: (x: Float64Array, out: Float64Array) => void,
  states: readonly Float64Array[],
  names: readonly string[],
): void {
  const dim = names.length;
  const given = new Float64Array(dim);
  const numeric = new Float64Array(dim);
  for (const x of states) {
    given.fill(NaN);
    gradient(Float64Array.from(x), given);
    differenceGradient(H, x, numeric);
    let size = 0;
    for (let i = 0; i < dim; i++) size = Math.max(size, Math.abs(numeric[i]));
    for (let i = 0; i < dim; i++) {
      const at = formatState(x, names);
      if (Number.isNaN(given[i]))
        throw new UserError(
          `system ${system}: the gradient does not write dH/d${names[i]} (out[${i}]) at ${at}; write every component, or leave the gradient out to have it derived from H`,
        );
      const err = Math.abs(given[i] - numeric[i]) / Math.max(size, GRADIENT_FLOOR);
      if (!(err <= GRADIENT_TOLERANCE))
        throw new UserError(
          `system ${system}: the gradient's dH/d${names[i]} is ${given[i].toPrecision(6)} at ${at}, but H's derivative there is ${numeric[i].toPrecision(6)} (relative error ${err.toExponential(1)} > ${GRADIENT_TOLERANCE}); fix the gradient (a sign?), or leave it out to have it derived from H`,
        );
    }
  }
}
