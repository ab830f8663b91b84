// Hand-written gradients of the training losses: the fast path of a training step.
//
// tfjs's autodiff of the HNN loss differentiates the input gradient dH/dx a second time; on wasm
// that costs ~225 kernels per spring step and ~729 per pixel step (tape bookkeeping: Identity,
// Cast, Transpose, one set of Adam ops per variable), and each small kernel costs ~55 us of
// dispatch (docs/TFJS.md). Here the input gradient of the tanh MLP is written out as
// forward operations,
//   delta_{L} = u_L * w_out,   delta_{l-1} = (delta_l W_l^T) * u_{l-1},   dH/dx = delta_0 W_0^T,
// with u_l = 1 - h_l^2 from the saved activations, and the loss's gradient with respect to every
// weight is derived by hand from that expression (first-order only; no tape, no second-order tanh
// bug to work around). Conventions that keep the kernel count low:
// - plain matMuls only (transposed matMuls are ~10x slower on wasm): the operands are transposed
//   explicitly, weights once per step;
// - bias gradients as row sums of abar^T (a sum over axis 0 is several times slower on wasm);
// - a gradient may be returned in another shape of the variable's size, or in parts reached along
//   different paths; Adam.apply sums the parts inside its fused kernel (../src/train/adam.ts).
// tanh stays tf.tanh, as in model.field: 2 sigmoid(2x) - 1 through XNNPACK's sigmoid made state
// steps ~15% faster but moves activations by up to 1.8e-7, and the baseline would no longer train
// bit for bit as the autodiff path does.
// The functions only compute: call them inside tf.tidy. Tests compare them with tfjs's autodiff of
// model.loss and with float64 finite differences (test/steps.test.ts, test/gradients.test.ts,
// test/pixel-model.test.ts).
import * as tf from '@tensorflow/tfjs';
import { symplecticRight, type DynamicsModel } from './dynamics.ts';
import type { Mlp } from './mlp.ts';
import type { PixelLossConfig, PixelModel } from './pixel.ts';
import type { LatentStep } from './kinds.ts';
import { Autoencoder } from './autoencoder.ts';
import { safeTanh } from '../src/tf/fixes.ts';

/** Gradient parts of each variable, in the model's variables() order. */
export type GradientParts = tf.Tensor[][];

/** The learned field at some states, and the backward pass through it. */
export interface FieldPass {
  /** dx/dt predicted at the states, [N, dim]. */
  field: tf.Tensor2D;
  /**
   * Given dL/dfield, the gradient parts of the model's variables and, if asked, dL/dx.
   * Call at most once.
   */
  backward(fieldBar: tf.Tensor2D, inputGradient: boolean): { grads: GradientParts; inputBar: tf.Tensor2D | null };
}

const symplectic = new Map<number, { s: Float32Array; sT: Float32Array }>();

/** S and S^T (f = dH/dx . S), uploaded per call: a [dim, dim] upload is not a kernel. */
function symplecticPair(dim: number): { s: tf.Tensor2D; sT: tf.Tensor2D } {
  let pair = symplectic.get(dim);
  if (!pair) {
    const s = symplecticRight(dim);
    const sT = new Float32Array(dim * dim);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) sT[j * dim + i] = s[i * dim + j];
    pair = { s, sT };
    symplectic.set(dim, pair);
  }
  return { s: tf.tensor2d(pair.s, [dim, dim]), sT: tf.tensor2d(pair.sT, [dim, dim]) };
}

/**
 * a . w + bias, then the activation. Not tf.fused.matMul: it took the same time here, but wraps its
 * kernel in three Reshape kernels and a custom-gradient op, five profiler entries instead of two or three.
 */
function affine(a: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, act: 'relu' | 'linear'): tf.Tensor2D {
  const z = tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), bias) as tf.Tensor2D;
  return act === 'relu' ? tf.relu(z) : z;
}
const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
/** a^T b with an explicit transpose of a (cheaper on wasm than matMul's transposeA). */
const mmT = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(tf.transpose(a as tf.Tensor2D), b as tf.Tensor2D);
/**
 * Column sums of a [N, n] tensor, [n]. Transpose + row sums: measured 0.1-0.5 ms on wasm for the
 * shapes here, against 0.5-1.2 ms for ones[1, N] . a and 1-4 ms for a sum over axis 0.
 */
const colSums = (a: tf.Tensor) => tf.sum(tf.transpose(a as tf.Tensor2D), 1);

/** Hidden layers of a tanh MLP: activations h_l and their derivatives u_l = 1 - h_l^2. */
function tanhHidden(mlp: Mlp, x: tf.Tensor2D): { h: tf.Tensor2D[]; u: tf.Tensor2D[] } {
  const h: tf.Tensor2D[] = [];
  const u: tf.Tensor2D[] = [];
  let prev = x;
  for (let l = 0; l + 1 < mlp.weights.length; l++) {
    const b = mlp.biases[l];
    const a = b ? affine(prev, mlp.weights[l], b, 'linear') : mm(prev, mlp.weights[l]);
    prev = safeTanh(a) as tf.Tensor2D; // forward values are tf.tanh's; safe if a tape ever runs through it
    h.push(prev);
    u.push(tf.sub(1, tf.square(prev)));
  }
  return { h, u };
}

/** Gradient parts per layer, assembled into variables() order (w0, b0, w1, b1, ...). */
class LayerGrads {
  readonly w: tf.Tensor[][];
  readonly b: tf.Tensor[][];
  constructor(private readonly mlp: Mlp) {
    this.w = mlp.weights.map(() => []);
    this.b = mlp.weights.map(() => []);
  }
  ordered(): GradientParts {
    const out: GradientParts = [];
    this.mlp.weights.forEach((w, l) => {
      out.push(this.w[l]);
      const bias = this.mlp.biases[l];
      // a bias nothing reaches (the HNN's output bias, if a model had one) has gradient zero
      if (bias) out.push(this.b[l].length ? this.b[l] : [tf.zerosLike(bias)]);
    });
    return out;
  }
}

/**
 * The field f = dH/dx . S of a scalar tanh MLP H, and its hand-written backward pass: S the symplectic
 * matrix (the HNN, and the D-HNN's H), or the identity (null: the plain gradient, the D-HNN's D).
 */
function hnnPass(mlp: Mlp, x: tf.Tensor2D, symplecticField = true): FieldPass {
  const W = mlp.weights;
  const m = W.length;
  if (m < 2) throw new Error('the HNN needs at least one hidden layer');
  if (W[m - 1].shape[1] !== 1) throw new Error('the HNN output must be a scalar');
  const dim = x.shape[1];
  const { s, sT } = symplecticField ? symplecticPair(dim) : { s: null, sT: null };
  const { h, u } = tanhHidden(mlp, x);
  const WT = W.map((w, l) => (l < m - 1 ? tf.transpose(w) : null));
  const wRow = tf.reshape(W[m - 1], [1, W[m - 1].shape[0]]);
  // delta_l = dH/da_l (a_l the pre-activation of hidden layer l); e_l = delta_{l+1} W_{l+1}^T
  const delta: tf.Tensor[] = new Array(m - 1);
  const e: tf.Tensor[] = new Array(m - 1);
  delta[m - 2] = tf.mul(u[m - 2], wRow);
  for (let l = m - 2; l >= 1; l--) {
    e[l - 1] = mm(delta[l], WT[l]!);
    delta[l - 1] = tf.mul(e[l - 1], u[l - 1]);
  }
  const gradX = mm(delta[0], WT[0]!) as tf.Tensor2D;
  const field = s ? (mm(gradX, s) as tf.Tensor2D) : gradX;

  const backward = (fieldBar: tf.Tensor2D, inputGradient: boolean) => {
    const g = new LayerGrads(mlp);
    // back through dH/dx = delta_0 W_0^T and the chain of deltas (the second-order part)
    const gradXBar = sT ? mm(fieldBar, sT) : fieldBar;
    g.w[0].push(mmT(gradXBar, delta[0]));
    let deltaBar = mm(gradXBar, W[0]);
    const uBar: tf.Tensor[] = new Array(m - 1);
    for (let l = 0; l + 2 < m; l++) {
      const eBar = tf.mul(deltaBar, u[l]);
      uBar[l] = tf.mul(deltaBar, e[l]);
      g.w[l + 1].push(mmT(eBar, delta[l + 1]));
      deltaBar = mm(eBar, W[l + 1]);
    }
    uBar[m - 2] = tf.mul(deltaBar, wRow);
    g.w[m - 1].push(colSums(tf.mul(deltaBar, u[m - 2]))); // [n] for the [n, 1] output weight
    // back through the forward pass: u_l = 1 - h_l^2 gives hBar_l = -2 h_l uBar_l, tanh' = u_l
    let above: tf.Tensor | null = null; // dL/dh_l through layer l+1's pre-activation
    for (let l = m - 2; l >= 0; l--) {
      const viaU = tf.mul(tf.mul(h[l], uBar[l]), -2);
      const aBar: tf.Tensor = tf.mul(above ? tf.add(viaU, above) : viaU, u[l]);
      g.w[l].push(mmT(l > 0 ? h[l - 1] : x, aBar));
      g.b[l].push(colSums(aBar));
      above = l > 0 || inputGradient ? mm(aBar, WT[l]!) : null;
    }
    return { grads: g.ordered(), inputBar: inputGradient ? (above as tf.Tensor2D) : null };
  };
  return { field, backward };
}

/** The baseline field f = MLP(x) (tanh hidden layers, linear output), and its backward pass. */
function baselinePass(mlp: Mlp, x: tf.Tensor2D): FieldPass {
  const W = mlp.weights;
  const m = W.length;
  const { h, u } = tanhHidden(mlp, x);
  const last = h.length ? h[h.length - 1] : x;
  const outBias = mlp.biases[m - 1];
  const field = outBias ? affine(last, W[m - 1], outBias, 'linear') : (mm(last, W[m - 1]) as tf.Tensor2D);

  const backward = (fieldBar: tf.Tensor2D, inputGradient: boolean) => {
    const g = new LayerGrads(mlp);
    g.w[m - 1].push(mmT(last, fieldBar));
    if (outBias) g.b[m - 1].push(colSums(fieldBar));
    let hBar: tf.Tensor | null = m > 1 || inputGradient ? mm(fieldBar, tf.transpose(W[m - 1])) : null;
    for (let l = m - 2; l >= 0; l--) {
      const aBar: tf.Tensor = tf.mul(hBar!, u[l]);
      g.w[l].push(mmT(l > 0 ? h[l - 1] : x, aBar));
      g.b[l].push(colSums(aBar));
      hBar = l > 0 || inputGradient ? mm(aBar, tf.transpose(W[l])) : null;
    }
    return { grads: g.ordered(), inputBar: inputGradient ? (hBar as tf.Tensor2D) : null };
  };
  return { field, backward };
}

/**
 * The D-HNN field f = dH/dx . S + (dD/dx) P: the HNN pass of H and the same pass of D without the
 * symplectic matrix, its positions' columns zeroed by the mask P, summed; the backward pass returns
 * H's gradient parts, then D's (variables() order).
 */
function dhnnPass(h: Mlp, d: Mlp, momenta: tf.Tensor2D, x: tf.Tensor2D): FieldPass {
  const conservative = hnnPass(h, x);
  const dissipative = hnnPass(d, x, false);
  return {
    field: tf.add(conservative.field, tf.mul(dissipative.field, momenta)) as tf.Tensor2D,
    backward: (fieldBar, inputGradient) => {
      const a = conservative.backward(fieldBar, inputGradient);
      const b = dissipative.backward(tf.mul(fieldBar, momenta) as tf.Tensor2D, inputGradient);
      return { grads: [...a.grads, ...b.grads], inputBar: inputGradient ? (tf.add(a.inputBar!, b.inputBar!) as tf.Tensor2D) : null };
    },
  };
}

/** The model's field at x with its backward pass (HNN, baseline or D-HNN). */
export function fieldPass(model: DynamicsModel, x: tf.Tensor2D): FieldPass {
  if (model.spec.kind === 'dhnn') return dhnnPass(model.mlp, model.dissipationMlp!, model.momenta!, x);
  return model.spec.kind === 'hnn' ? hnnPass(model.mlp, x) : baselinePass(model.mlp, x);
}

/** The paper's state loss mean((field(x) - y)^2) and its gradient parts (model.variables() order). */
export function stateLossGradients(model: DynamicsModel, x: tf.Tensor2D, y: tf.Tensor2D): { loss: tf.Scalar; grads: GradientParts } {
  const pass = fieldPass(model, x);
  const r = tf.sub(pass.field, y);
  const loss = tf.mean(tf.square(r)) as tf.Scalar;
  const { grads } = pass.backward(tf.mul(r, 2 / r.size), false);
  return { loss, grads };
}

/** Relu'(a) . dy from the relu's output (positive exactly where a is). */
const reluBack = (dy: tf.Tensor, out: tf.Tensor) => tf.mul(dy, tf.step(out));

type AeLayers = Autoencoder['layers'];

/**
 * One half of the MLP autoencoder (models/autoencoder.ts), layers base..base + 3: h1 = relu(.),
 * h2 = h1 + relu(.), h3 = h2 + relu(.), out = linear(.); the encoder is base 0, the decoder base 4.
 */
function residualForward(L: AeLayers, base: number, input: tf.Tensor) {
  const dense = (l: number, a: tf.Tensor, relu: boolean) => affine(a, L[base + l].w, L[base + l].b, relu ? 'relu' : 'linear');
  const h1 = dense(0, input, true);
  const r2 = dense(1, h1, true);
  const h2 = tf.add(h1, r2);
  const r3 = dense(2, h2, true);
  const h3 = tf.add(h2, r3);
  return { input, h1, r2, h2, r3, h3, out: dense(3, h3, false) };
}

/**
 * The half's weight and bias gradients from outBar, pushed into w and b; returns the gradient at its
 * input when asked (the decoder's, which flows on into the latent; the encoder's input is data).
 */
function residualBackward(
  L: AeLayers,
  base: number,
  f: ReturnType<typeof residualForward>,
  outBar: tf.Tensor,
  w: tf.Tensor[][],
  b: tf.Tensor[][],
  inputGradient = false,
): tf.Tensor | null {
  const WT = (l: number) => tf.transpose(L[base + l].w);
  w[base + 3].push(mmT(f.h3, outBar));
  b[base + 3].push(colSums(outBar));
  const h3Bar = mm(outBar, WT(3));
  const a3Bar = reluBack(h3Bar, f.r3);
  w[base + 2].push(mmT(f.h2, a3Bar));
  b[base + 2].push(colSums(a3Bar));
  const h2Bar = tf.add(h3Bar, mm(a3Bar, WT(2)));
  const a2Bar = reluBack(h2Bar, f.r2);
  w[base + 1].push(mmT(f.h1, a2Bar));
  b[base + 1].push(colSums(a2Bar));
  const h1Bar = tf.add(h2Bar, mm(a2Bar, WT(1)));
  const a1Bar = reluBack(h1Bar, f.h1);
  w[base].push(mmT(f.input, a1Bar));
  b[base].push(colSums(a1Bar));
  return inputGradient ? mm(a1Bar, WT(0)) : null;
}

/**
 * The pixel model's joint loss (models/pixel.ts, Euler latent step only) and its gradient parts
 * (model.variables() order), with the batch means [recon, consistency, hnn] as one tensor.
 */
export function pixelLossGradients(
  model: PixelModel,
  x: tf.Tensor2D,
  xNext: tf.Tensor2D,
  cfg: PixelLossConfig,
): { terms: tf.Tensor1D; grads: GradientParts } {
  return stackedPixelLossGradients(model, x, tf.concat([x, xNext], 0), cfg);
}

/** pixelLossGradients with the batches given stacked: xAll = [x; xNext], [2N, 2 N^2] (x: its first N rows). */
export function stackedPixelLossGradients(
  model: PixelModel,
  x: tf.Tensor2D,
  xAll: tf.Tensor2D,
  cfg: PixelLossConfig,
): { terms: tf.Tensor1D; grads: GradientParts } {
  if (cfg.latentStep !== 'euler') throw new Error(`the hand-written pixel gradient has the Euler latent step only, not ${cfg.latentStep}`);
  const n = x.shape[0];
  const k = model.spec.latent / 2;
  if (!(model.ae instanceof Autoencoder)) throw new Error('the hand-written pixel gradient covers the MLP autoencoder only');
  const L = model.ae.layers;
  if (xAll.shape[0] !== 2 * n) throw new Error(`xAll has ${xAll.shape[0]} rows, expected 2 x ${n}`);
  // encoder over both batches at once, decoder of z
  const enc = residualForward(L, 0, xAll);
  const Z = enc.out;
  const z = tf.slice(Z, [0, 0], [n, -1]) as tf.Tensor2D;
  const zNext = tf.slice(Z, [n, 0], [n, -1]) as tf.Tensor2D;
  const dec = residualForward(L, 4, z);
  const R = tf.sub(dec.out, x);
  // consistency c = p - (q_next - q) and the latent residual E = z_next - (z + dt f(z))
  const c = tf.add(tf.sub(tf.slice(z, [0, k], [-1, k]), tf.slice(zNext, [0, 0], [-1, k])), tf.slice(z, [0, 0], [-1, k]));
  const pass = fieldPass(model.dyn, z);
  const E = tf.sub(tf.sub(zNext, z), tf.mul(pass.field, cfg.dt));
  // recon: per-sample means first, as sampleLosses: one float32 mean over all 313k squares drifts by ~1e-3
  const terms = tf.stack([tf.mean(tf.mean(tf.square(R), 1)), tf.mean(tf.square(c)), tf.mean(tf.square(E))]) as tf.Tensor1D;

  // d total / d R, c, E: each term is a mean over its elements, weighted
  const RBar = tf.mul(R, (2 * cfg.recon) / R.size);
  const cBar = tf.mul(c, (2 * cfg.consistency) / c.size);
  const EBar = tf.mul(E, (2 * cfg.hnn) / E.size);
  const w: tf.Tensor[][] = L.map(() => []);
  const b: tf.Tensor[][] = L.map(() => []);
  const zDecBar = residualBackward(L, 4, dec, RBar, w, b, true)!;
  // latent model: E depends on z through -z - dt f(z); c on q, p (+1) and q_next (-1)
  const dyn = pass.backward(tf.mul(EBar, -cfg.dt) as tf.Tensor2D, true);
  const zBar = tf.sub(tf.addN([zDecBar, dyn.inputBar!, tf.concat([cBar, cBar], 1)]), EBar);
  const zNextBar = tf.sub(
    EBar,
    tf.pad(cBar, [
      [0, 0],
      [0, k],
    ]),
  );
  // encoder
  const ZBar = tf.concat([zBar, zNextBar], 0);
  residualBackward(L, 0, enc, ZBar, w, b);
  return { terms, grads: [...L.flatMap((_, l) => [w[l], b[l]]), ...dyn.grads] };
}

/** One latent step zeta -> next (a chain link of the window loss) and its backward pass. */
interface LatentStepPass {
  next: tf.Tensor2D;
  /** Given dL/dnext: the latent model's gradient parts of each field pass, and dL/dzeta. Call at most once. */
  backward(nextBar: tf.Tensor2D): { grads: GradientParts[]; inputBar: tf.Tensor2D };
}

/** Euler: next = zeta + h f(zeta). */
function eulerStepPass(model: DynamicsModel, zeta: tf.Tensor2D, h: number): LatentStepPass {
  const pass = fieldPass(model, zeta);
  return {
    next: tf.add(zeta, tf.mul(pass.field, h)) as tf.Tensor2D,
    backward: (nextBar) => {
      const back = pass.backward(tf.mul(nextBar, h) as tf.Tensor2D, true);
      return { grads: [back.grads], inputBar: tf.add(nextBar, back.inputBar!) as tf.Tensor2D };
    },
  };
}

/**
 * Leapfrog (kick-drift-kick, as PixelModel.latentStep) on zeta = [q, p]: p' = p + h/2 f_p(q, p),
 * q'' = q + h f_q(q, p'), p'' = p' + h/2 f_p(q'', p'); three field passes, differentiated in reverse.
 */
function leapfrogStepPass(model: DynamicsModel, zeta: tf.Tensor2D, h: number, zeros: tf.Tensor2D): LatentStepPass {
  const k = zeta.shape[1] / 2;
  const qOf = (x: tf.Tensor) => tf.slice(x, [0, 0], [-1, k]) as tf.Tensor2D;
  const pOf = (x: tf.Tensor) => tf.slice(x, [0, k], [-1, k]) as tf.Tensor2D;
  const q = qOf(zeta);
  const a = fieldPass(model, zeta);
  const pHalf = tf.add(pOf(zeta), tf.mul(pOf(a.field), h / 2)) as tf.Tensor2D;
  const b = fieldPass(model, tf.concat([q, pHalf], 1) as tf.Tensor2D);
  const qNew = tf.add(q, tf.mul(qOf(b.field), h)) as tf.Tensor2D;
  const c = fieldPass(model, tf.concat([qNew, pHalf], 1) as tf.Tensor2D);
  const pNew = tf.add(pHalf, tf.mul(pOf(c.field), h / 2)) as tf.Tensor2D;
  return {
    next: tf.concat([qNew, pNew], 1) as tf.Tensor2D,
    backward: (nextBar) => {
      const pNewBar = pOf(nextBar);
      const cBack = c.backward(tf.concat([zeros, tf.mul(pNewBar, h / 2)], 1) as tf.Tensor2D, true);
      const qNewBar = tf.add(qOf(nextBar), qOf(cBack.inputBar!));
      const pHalfAfterC = tf.add(pNewBar, pOf(cBack.inputBar!));
      const bBack = b.backward(tf.concat([tf.mul(qNewBar, h), zeros], 1) as tf.Tensor2D, true);
      const qBar = tf.add(qNewBar, qOf(bBack.inputBar!));
      const pHalfBar = tf.add(pHalfAfterC, pOf(bBack.inputBar!));
      const aBack = a.backward(tf.concat([zeros, tf.mul(pHalfBar, h / 2)], 1) as tf.Tensor2D, true);
      return {
        grads: [cBack.grads, bBack.grads, aBack.grads],
        inputBar: tf.add(tf.concat([qBar, pHalfBar], 1), aBack.inputBar!) as tf.Tensor2D,
      };
    },
  };
}

/** The latent steps the window loss's hand-written gradient has (the rest train through autodiff). */
export function hasWindowGradient(step: LatentStep): boolean {
  return step === 'euler' || step === 'leapfrog';
}

/**
 * The latent step of the window loss's chain, with its backward pass. `zeros` is [rows, k], the
 * chain's zero half-state, made once per loss rather than once per step.
 */
function latentStepPass(model: DynamicsModel, zeta: tf.Tensor2D, cfg: PixelLossConfig, zeros: tf.Tensor2D): LatentStepPass {
  if (cfg.latentStep === 'euler') return eulerStepPass(model, zeta, cfg.dt);
  if (cfg.latentStep === 'leapfrog') return leapfrogStepPass(model, zeta, cfg.dt, zeros);
  throw new Error(`the hand-written window gradient has the Euler and leapfrog latent steps, not ${cfg.latentStep}`);
}

/**
 * The window loss (models/pixel.ts, windowLoss; Euler or leapfrog latent step, K >= 1 steps) and its gradient
 * parts. xAll stacks the K + 1 pairs of every window pair by pair, [(K + 1) N, width]: rows j N..(j+1) N
 * hold pair j. Recon and consistency on pairs 0..K-1; the latent term compares z_j with
 * zeta_j = step(zeta_{j-1}) (Euler or leapfrog), zeta_0 = z_0, for j = 1..K, and is differentiated back
 * through the whole chain (each step's field pass gives its parameter and input gradients). xHead
 * holds the same values as xAll's first K blocks, the decoder's targets, as a tensor of its own (as
 * stackedPixelLossGradients takes x): on wasm a slice of xAll would copy all of xAll out of the heap.
 */
export function windowPixelLossGradients(
  model: PixelModel,
  xHead: tf.Tensor2D,
  xAll: tf.Tensor2D,
  K: number,
  cfg: PixelLossConfig,
): { terms: tf.Tensor1D; grads: GradientParts } {
  if (!(model.ae instanceof Autoencoder)) throw new Error('the hand-written pixel gradient covers the MLP autoencoder only');
  const n = xAll.shape[0] / (K + 1);
  if (!Number.isInteger(n) || K < 1) throw new Error(`xAll has ${xAll.shape[0]} rows, not K + 1 = ${K + 1} blocks`);
  if (xHead.shape[0] !== K * n) throw new Error(`xHead has ${xHead.shape[0]} rows, expected K x ${n}`);
  const k = model.spec.latent / 2;
  const L = model.ae.layers;
  const block = (t: tf.Tensor, j: number, count = 1) => tf.slice(t, [j * n, 0], [count * n, -1]) as tf.Tensor2D;
  // encoder over every pair of every window, decoder of pairs 0..K-1
  const enc = residualForward(L, 0, xAll);
  const Z = enc.out;
  const Zdec = block(Z, 0, K);
  const dec = residualForward(L, 4, Zdec);
  const R = tf.sub(dec.out, xHead);
  // consistency c_j = p_j - (q_{j+1} - q_j), j = 0..K-1, all windows at once
  const qAll = tf.slice(Z, [0, 0], [-1, k]);
  const q0 = tf.slice(qAll, [0, 0], [K * n, -1]);
  const q1 = tf.slice(qAll, [n, 0], [K * n, -1]);
  const c = tf.add(tf.sub(tf.slice(Zdec, [0, k], [-1, k]), q1), q0);
  // the latent chain and its residuals E_j = z_j - zeta_j
  const zeros = tf.zeros([n, k]) as tf.Tensor2D;
  const steps: LatentStepPass[] = [];
  const E: tf.Tensor2D[] = [];
  let zeta = block(Z, 0);
  for (let j = 1; j <= K; j++) {
    const step = latentStepPass(model.dyn, zeta, cfg, zeros);
    steps.push(step);
    zeta = step.next;
    E.push(tf.sub(block(Z, j), zeta));
  }
  const Eall = tf.concat(E, 0);
  const terms = tf.stack([tf.mean(tf.square(R)), tf.mean(tf.square(c)), tf.mean(tf.square(Eall))]) as tf.Tensor1D;

  const RBar = tf.mul(R, (2 * cfg.recon) / R.size);
  const cBar = tf.mul(c, (2 * cfg.consistency) / c.size);
  const EBar = E.map((e) => tf.mul(e, (2 * cfg.hnn) / Eall.size));
  const w: tf.Tensor[][] = L.map(() => []);
  const b: tf.Tensor[][] = L.map(() => []);
  const zDecBar = residualBackward(L, 4, dec, RBar, w, b, true)!;
  // the chain backwards: zetaBar_j = (-EBar_j + zetaBar_{j+1}) d step_j / d zeta_j
  const dynGrads: GradientParts[] = [];
  let zetaBar: tf.Tensor2D | null = null;
  for (let j = K; j >= 1; j--) {
    const here: tf.Tensor2D = zetaBar ? tf.sub(zetaBar, EBar[j - 1]) : (tf.neg(EBar[j - 1]) as tf.Tensor2D);
    const back = steps[j - 1].backward(here);
    dynGrads.push(...back.grads);
    zetaBar = back.inputBar;
  }
  // Z's gradient, block by block: decoder and consistency on 0..K-1, the chain's start on 0, E on 1..K
  const cPad = tf.concat([cBar, cBar], 1); // d/dq_j and d/dp_j of +c_j
  const qNextBar = tf.concat([zeros, tf.neg(cBar)], 0); // -c_{j-1} on q_j, j = 1..K
  const ZBar = tf.addN([
    tf.concat([tf.add(zDecBar, cPad), tf.zeros([n, 2 * k])], 0),
    tf.pad(qNextBar, [
      [0, 0],
      [0, k],
    ]),
    tf.concat([zetaBar!, ...EBar], 0),
  ]);
  // encoder
  residualBackward(L, 0, enc, ZBar, w, b);
  // each latent-model variable's parts from every step of the chain
  const dyn = dynGrads[0].map((_, v) => dynGrads.flatMap((g) => g[v]));
  return { terms, grads: [...L.flatMap((_, l) => [w[l], b[l]]), ...dyn] };
}
