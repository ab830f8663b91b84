// Runge-Kutta methods as data, so the stepper, the step-size controller and the dense output stay
// generic. A step from (t, y) with stages k_s = f(t + c_s h, y + h sum_{j<s} a_sj k_j) returns
// y + h sum_s b_s k_s.

/** An explicit Runge-Kutta method. */
export interface Tableau {
  readonly name: string;
  /** Order of the solution y + h sum b_s k_s. */
  readonly order: number;
  /** Stage times, one per stage; c[0] = 0. */
  readonly c: readonly number[];
  /** Strictly lower triangle of the Butcher matrix: row s has s entries. */
  readonly a: readonly (readonly number[])[];
  /** Solution weights, one per stage. */
  readonly b: readonly number[];
  /**
   * First same as last: the last stage is f at the new solution (its a-row equals b, its weight is 0),
   * so an accepted step hands it to the next step as its first stage.
   */
  readonly fsal: boolean;
}

/** A method with an embedded lower-order solution (for error control) and a continuous extension. */
export interface EmbeddedTableau extends Tableau {
  /** Order of the embedded solution: sets the step-size controller's exponent. */
  readonly errorOrder: number;
  /** Error weights: solution weights minus the embedded solution's, so err = h sum e_s k_s. */
  readonly e: readonly number[];
  /**
   * Continuous extension: y(t + theta h) = y + h sum_s k_s sum_m dense[s][m] theta^(m+1).
   * Each row sums to b[s], so theta = 1 gives the step's own solution.
   */
  readonly dense: readonly (readonly number[])[];
}

/**
 * Dormand-Prince 5(4), scipy's RK45: the 5th-order solution is kept (local extrapolation), the
 * error is estimated against the 4th-order one, with the 4th-order continuous extension of
 * Hairer, Norsett & Wanner (Solving ODEs I, II.6). Written as fractions, so each coefficient is
 * the double nearest the exact value; the bits of every generated dataset depend on them.
 */
export const DOPRI5: EmbeddedTableau = {
  name: 'dopri5',
  order: 5,
  errorOrder: 4,
  fsal: true,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  e: [-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40],
  dense: [
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
  ],
};
