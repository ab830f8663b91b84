// The learned field of a state model and its hand-derived backward pass, written once on the engine's
// Ops (src/engine/ops.ts) and lowered to ONNX or tfjs. The models (./dynamics.ts):
//   HNN       f = dH/dx . S, with S the symplectic right-multiplier: f = [dH/dp, -dH/dq]
//   baseline  f = MLP(x)
//   D-HNN     f = dH/dx . S + (dD/dx) * P, P masking the positions (D acts on dp/dt alone); the
//             'even' form takes D's part even in p, D_s(x) = (D(x) + D(Rx)) / 2 with R negating the
//             momenta, whose masked gradient is (dD/dx(x) - dD/dx(Rx)) * P / 2
// H, D and the baseline are tanh MLPs with a linear output layer without bias. The input gradient of
// such an MLP is written out as forward operations,
//   delta_L = u_L * w_out,  delta_{l-1} = (delta_l W_l^T) * u_{l-1},  dH/dx = delta_0 W_0^T,
// with u_l = 1 - h_l^2 from the saved activations; the loss's gradient with respect to every weight
// is derived by hand from that expression (first order only: no tape). A gradient may come in parts
// (a weight reached along two paths) or in another shape of the variable's size; Adam sums them.
import { dims2, type Ops } from '../src/engine/ops.ts';
import type { DissipationForm, ModelKind } from './kinds.ts';

/** A tanh MLP's parameters in a lowering: weights [fanIn, fanOut], biases [fanOut] (null: none). */
export interface MlpParams<T> {
  w: T[];
  b: (T | null)[];
}

/** A state model's parameters: H (or the baseline's network), and the D-HNN's D with its form (default 'momenta'). */
export interface FieldParams<T> {
  kind: ModelKind;
  net: MlpParams<T>;
  dissipation: MlpParams<T> | null;
  form?: DissipationForm;
}

/** Gradient parts of each variable, in the model's variables() order. */
export type GradientParts<T> = T[][];

/** The field at some states, and its backward pass. */
export interface FieldPass<T> {
  /** dx/dt at the states, [N, dim]. */
  field: T;
  /** Given dL/dfield: the variables' gradient parts and, if asked, dL/dx. Call at most once. */
  backward(fieldBar: T, inputGradient: boolean): { grads: GradientParts<T>; inputBar: T | null };
}

/** The variables of an MLP in variables() order: w0, b0, w1, b1, ... (a missing bias skipped). */
export function mlpVariables<T>(p: MlpParams<T>): T[] {
  return p.w.flatMap((w, l) => (p.b[l] ? [w, p.b[l]!] : [w]));
}

/** Rebuilds MlpParams from variables() order, given which layers have a bias. */
export function mlpFromVariables<T>(vars: readonly T[], hasBias: readonly boolean[]): { params: MlpParams<T>; used: number } {
  const params: MlpParams<T> = { w: [], b: [] };
  let i = 0;
  for (const bias of hasBias) {
    params.w.push(vars[i++]);
    params.b.push(bias ? vars[i++] : null);
  }
  return { params, used: i };
}

/** S as a constant: (dH/dx) . S = [dH/dp, -dH/dq]. */
export function symplecticRight(dim: number): Float32Array {
  const k = dim / 2;
  const s = new Float32Array(dim * dim);
  for (let j = 0; j < k; j++) {
    s[(k + j) * dim + j] = 1; // dq_j/dt = dH/dp_j
    s[j * dim + (k + j)] = -1; // dp_j/dt = -dH/dq_j
  }
  return s;
}

/** [1, dim]: 0 on the positions, 1 on the momenta (P in J grad H + P grad D). */
export function momentumMask(dim: number): Float32Array {
  return Float32Array.from({ length: dim }, (_, i) => (i < dim / 2 ? 0 : 1));
}

/** Hidden layers of a tanh MLP: activations h_l and their derivatives u_l = 1 - h_l^2. */
function tanhHidden<T>(o: Ops<T>, p: MlpParams<T>, x: T): { h: T[]; u: T[] } {
  const h: T[] = [];
  const u: T[] = [];
  let prev = x;
  for (let l = 0; l + 1 < p.w.length; l++) {
    const b = p.b[l];
    prev = o.tanh(b ? o.affine(prev, p.w[l], b) : o.matMul(prev, p.w[l]));
    h.push(prev);
    u.push(o.sub(o.scalar(1), o.square(prev)));
  }
  return { h, u };
}

/** Gradient parts per layer, assembled in variables() order (w0, b0, w1, b1, ...). */
class LayerGrads<T> {
  readonly w: T[][];
  readonly b: T[][];
  constructor(
    private readonly o: Ops<T>,
    private readonly p: MlpParams<T>,
  ) {
    this.w = p.w.map(() => []);
    this.b = p.w.map(() => []);
  }
  ordered(): GradientParts<T> {
    const out: GradientParts<T> = [];
    this.p.w.forEach((_, l) => {
      out.push(this.w[l]);
      const bias = this.p.b[l];
      // a bias nothing reaches has gradient zero
      if (bias) out.push(this.b[l].length ? this.b[l] : [this.o.zeros(this.o.shape(bias))]);
    });
    return out;
  }
}

/**
 * The plain gradient of a scalar tanh MLP, dH/dx [N, dim], with what its backward pass needs: the
 * activations, their derivatives, the deltas and the products e_l = delta_{l+1} W_{l+1}^T.
 */
function scalarGradient<T>(o: Ops<T>, p: MlpParams<T>, x: T) {
  const W = p.w;
  const m = W.length;
  if (m < 2) throw new Error('the HNN needs at least one hidden layer');
  if (o.shape(W[m - 1])[1] !== 1) throw new Error('the HNN output must be a scalar');
  const { h, u } = tanhHidden(o, p, x);
  const wRow = o.reshape(W[m - 1], [1, o.shape(W[m - 1])[0]]);
  const delta: T[] = new Array(m - 1);
  const e: T[] = new Array(m - 1);
  delta[m - 2] = o.mul(u[m - 2], wRow);
  for (let l = m - 2; l >= 1; l--) {
    e[l - 1] = o.matMul(delta[l], W[l], false, true);
    delta[l - 1] = o.mul(e[l - 1], u[l - 1]);
  }
  return { h, u, delta, e, wRow, gradX: o.matMul(delta[0], W[0], false, true) };
}

/**
 * The field f = dH/dx . S of a scalar tanh MLP H and its backward pass; with `symplectic` false,
 * f = dH/dx (the D-HNN's D before its mask).
 */
function hnnPass<T>(o: Ops<T>, p: MlpParams<T>, x: T, symplectic = true): FieldPass<T> {
  const dim = dims2(o, x)[1];
  const s = symplectic ? o.constant(symplecticRight(dim), [dim, dim]) : null;
  const { h, u, delta, e, wRow, gradX } = scalarGradient(o, p, x);
  const W = p.w;
  const m = W.length;
  const field = s ? o.matMul(gradX, s) : gradX;

  const backward = (fieldBar: T, inputGradient: boolean) => {
    const g = new LayerGrads(o, p);
    // back through dH/dx = delta_0 W_0^T and the chain of deltas (the second-order part)
    const gradXBar = s ? o.matMul(fieldBar, s, false, true) : fieldBar;
    g.w[0].push(o.matMul(gradXBar, delta[0], true, false));
    let deltaBar = o.matMul(gradXBar, W[0]);
    const uBar: T[] = new Array(m - 1);
    for (let l = 0; l + 2 < m; l++) {
      const eBar = o.mul(deltaBar, u[l]);
      uBar[l] = o.mul(deltaBar, e[l]);
      g.w[l + 1].push(o.matMul(eBar, delta[l + 1], true, false));
      deltaBar = o.matMul(eBar, W[l + 1]);
    }
    uBar[m - 2] = o.mul(deltaBar, wRow);
    g.w[m - 1].push(o.colSums(o.mul(deltaBar, u[m - 2]))); // [n] for the [n, 1] output weight
    // back through the forward pass: u_l = 1 - h_l^2 gives hBar_l = -2 h_l uBar_l, and tanh' = u_l
    let above: T | null = null; // dL/dh_l through layer l+1's pre-activation
    for (let l = m - 2; l >= 0; l--) {
      const viaU = o.scale(o.mul(h[l], uBar[l]), -2);
      const aBar = o.mul(above ? o.add(viaU, above) : viaU, u[l]);
      g.w[l].push(o.matMul(l > 0 ? h[l - 1] : x, aBar, true, false));
      if (p.b[l]) g.b[l].push(o.colSums(aBar));
      above = l > 0 || inputGradient ? o.matMul(aBar, W[l], false, true) : null;
    }
    return { grads: g.ordered(), inputBar: inputGradient ? above : null };
  };
  return { field, backward };
}

/** The baseline field f = MLP(x) (tanh hidden layers, linear output) and its backward pass. */
function baselinePass<T>(o: Ops<T>, p: MlpParams<T>, x: T): FieldPass<T> {
  const W = p.w;
  const m = W.length;
  const { h, u } = tanhHidden(o, p, x);
  const last = h.length ? h[h.length - 1] : x;
  const outBias = p.b[m - 1];
  const field = outBias ? o.affine(last, W[m - 1], outBias) : o.matMul(last, W[m - 1]);

  const backward = (fieldBar: T, inputGradient: boolean) => {
    const g = new LayerGrads(o, p);
    g.w[m - 1].push(o.matMul(last, fieldBar, true, false));
    if (outBias) g.b[m - 1].push(o.colSums(fieldBar));
    let hBar: T | null = m > 1 || inputGradient ? o.matMul(fieldBar, W[m - 1], false, true) : null;
    for (let l = m - 2; l >= 0; l--) {
      const aBar = o.mul(hBar!, u[l]);
      g.w[l].push(o.matMul(l > 0 ? h[l - 1] : x, aBar, true, false));
      if (p.b[l]) g.b[l].push(o.colSums(aBar));
      hBar = l > 0 || inputGradient ? o.matMul(aBar, W[l], false, true) : null;
    }
    return { grads: g.ordered(), inputBar: inputGradient ? hBar : null };
  };
  return { field, backward };
}

/** [1, dim]: 1 on the positions, -1 on the momenta (R, which negates p). */
export function momentumFlip(dim: number): Float32Array {
  return Float32Array.from({ length: dim }, (_, i) => (i < dim / 2 ? 1 : -1));
}

/**
 * D's part of the field and its backward: P grad D ('momenta'), or P grad D_s with D_s even in p
 * ('even': (grad D(x) - grad D(Rx)) * P / 2; its weight gradients come in two parts, one per point).
 */
function dissipativePass<T>(o: Ops<T>, dp: MlpParams<T>, x: T, form: DissipationForm): FieldPass<T> {
  const dim = dims2(o, x)[1];
  if (form === 'rayleigh') return rayleighPass(o, dp, x);
  if (form === 'momenta') {
    const momenta = o.constant(momentumMask(dim), [1, dim]);
    const d = hnnPass(o, dp, x, false);
    return { field: o.mul(d.field, momenta), backward: (bar, inputGradient) => d.backward(o.mul(bar, momenta), inputGradient) };
  }
  const half = o.constant(
    momentumMask(dim).map((v) => v / 2),
    [1, dim],
  );
  const flip = o.constant(momentumFlip(dim), [1, dim]);
  const at = hnnPass(o, dp, x, false);
  const mirrored = hnnPass(o, dp, o.mul(x, flip), false);
  return {
    field: o.mul(o.sub(at.field, mirrored.field), half),
    backward: (bar, inputGradient) => {
      const scaled = o.mul(bar, half);
      const a = at.backward(scaled, inputGradient);
      const b = mirrored.backward(o.neg(scaled), inputGradient);
      const grads = a.grads.map((parts, i) => [...parts, ...b.grads[i]]);
      // the mirrored point's input is R x: its input gradient comes back through R
      return { grads, inputBar: inputGradient ? o.add(a.inputBar!, o.mul(b.inputBar!, flip)) : null };
    },
  };
}

/**
 * The 'rayleigh' form's part of the field: P grad D for D = sum_i g_i(q) p_i^2 / 2 is [0, g(q) * p], g
 * the network of the positions ([N, k] -> [N, k], linear output, as the baseline's). Its backward is
 * g's first-order pass: dL/dg = dL/d(dp/dt) * p.
 */
function rayleighPass<T>(o: Ops<T>, dp: MlpParams<T>, x: T): FieldPass<T> {
  const k = dims2(o, x)[1] / 2;
  const p = o.sliceCols(x, k, k);
  const g = baselinePass(o, dp, o.sliceCols(x, 0, k));
  return {
    field: o.padCols(o.mul(g.field, p), k, 0),
    backward: (bar, inputGradient) => {
      const pBar = o.sliceCols(bar, k, k);
      const r = g.backward(o.mul(pBar, p), inputGradient);
      return { grads: r.grads, inputBar: inputGradient ? o.concat([r.inputBar!, o.mul(pBar, g.field)], 1) : null };
    },
  };
}

/** The D-HNN field J grad H + P grad D (or D's even part); its backward returns H's gradient parts, then D's. */
function dhnnPass<T>(o: Ops<T>, hp: MlpParams<T>, dp: MlpParams<T>, x: T, form: DissipationForm): FieldPass<T> {
  const conservative = hnnPass(o, hp, x);
  const dissipative = dissipativePass(o, dp, x, form);
  return {
    field: o.add(conservative.field, dissipative.field),
    backward: (fieldBar, inputGradient) => {
      const a = conservative.backward(fieldBar, inputGradient);
      const b = dissipative.backward(fieldBar, inputGradient);
      return { grads: [...a.grads, ...b.grads], inputBar: inputGradient ? o.add(a.inputBar!, b.inputBar!) : null };
    },
  };
}

/** The D-HNN's (or HNN's) two parts at x, without backward: J grad H, and P grad D (zeros for the HNN). */
export function fieldParts<T>(o: Ops<T>, p: FieldParams<T>, x: T): { conservative: T; dissipative: T } {
  if (p.kind === 'baseline') throw new Error('the baseline has no conservative/dissipative split');
  const conservative = hnnPass(o, p.net, x).field;
  if (!p.dissipation) return { conservative, dissipative: o.zeros(o.shape(conservative)) };
  return { conservative, dissipative: dissipativePass(o, p.dissipation, x, p.form ?? 'momenta').field };
}

/** The model's field at x with its backward pass. */
export function fieldPass<T>(o: Ops<T>, p: FieldParams<T>, x: T): FieldPass<T> {
  if (p.kind === 'dhnn') return dhnnPass(o, p.net, p.dissipation!, x, p.form ?? 'momenta');
  return p.kind === 'hnn' ? hnnPass(o, p.net, x) : baselinePass(o, p.net, x);
}

/**
 * The D-HNN's D as its field uses it, [N, 1] (no backward): D itself ('momenta'), its part even in the
 * momenta, D_s(x) = (D(x) + D(Rx)) / 2 ('even'), or sum_i g_i(q) p_i^2 / 2 ('rayleigh'). In every form
 * P grad of it is the field's dissipative part.
 */
export function dissipationForward<T>(o: Ops<T>, dp: MlpParams<T>, x: T, form: DissipationForm): T {
  if (form === 'momenta') return mlpForward(o, dp, x);
  const dim = dims2(o, x)[1];
  const k = dim / 2;
  if (form === 'rayleigh') {
    const halves = o.constant(new Float32Array(k).fill(0.5), [k, 1]);
    return o.matMul(o.mul(mlpForward(o, dp, o.sliceCols(x, 0, k)), o.square(o.sliceCols(x, k, k))), halves);
  }
  const flip = o.constant(momentumFlip(dim), [1, dim]);
  return o.scale(o.add(mlpForward(o, dp, x), mlpForward(o, dp, o.mul(x, flip))), 0.5);
}

/** The scalar network's output at x, [N, 1] (H of the HNN and D-HNN; no backward). */
export function mlpForward<T>(o: Ops<T>, p: MlpParams<T>, x: T): T {
  const { h } = tanhHidden(o, p, x);
  const m = p.w.length;
  const last = h.length ? h[h.length - 1] : x;
  const b = p.b[m - 1];
  return b ? o.affine(last, p.w[m - 1], b) : o.matMul(last, p.w[m - 1]);
}
