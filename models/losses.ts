// The training losses and their gradients, written once on the engine's Ops:
// - the state loss mean((f(x) - y)^2) (the paper's), and its K-step trajectory form;
// - the pixel model's window loss: reconstruction and consistency on pairs 0..K-1 of each window, and
//   the latent term comparing pairs 1..K's encodings with a K-step latent rollout from pair 0 (K = 1
//   is the paper's one-step loss). ./pixel.ts has the same losses through tfjs's autodiff, which the
//   tests compare with these.
import { dims2, type Ops } from '../src/engine/ops.ts';
import { autoencoderVariables, decoderPass, emptyAeGrads, encoderPass, type AutoencoderParams } from './autoencoder-pass.ts';
import { fieldPass, type FieldParams, type GradientParts } from './field-pass.ts';
import { mergeParts, stepPass, type StepPass } from './latent-chain.ts';
import type { LatentStep } from './kinds.ts';

/** The weights of the pixel loss's terms and its latent step (models/pixel.ts PixelLossConfig). */
export interface WindowLossConfig {
  recon: number;
  consistency: number;
  hnn: number;
  latentStep: LatentStep;
  dt: number;
}

export interface PixelParams<T> {
  ae: AutoencoderParams<T>;
  dyn: FieldParams<T>;
}

/** The state loss mean((f(x) - y)^2) and its gradient parts (variables() order). */
export function stateLossGradients<T>(o: Ops<T>, p: FieldParams<T>, x: T, y: T): { loss: T; grads: GradientParts<T> } {
  const pass = fieldPass(o, p, x);
  const r = o.sub(pass.field, y);
  const [rows, cols] = dims2(o, r);
  const loss = o.mean(o.square(r));
  const { grads } = pass.backward(o.scale(r, 2 / (rows * cols)), false);
  return { loss, grads };
}

/**
 * The state trajectory loss: from x_0, K steps of `method` of length h give xi_1..xi_K, compared with
 * the observed x_1..x_K: mean over steps, rows and coordinates of (xi_j - x_j)^2. `states` stacks
 * x_0..x_K block by block, [(K + 1) N, dim].
 */
export function trajectoryLossGradients<T>(
  o: Ops<T>,
  p: FieldParams<T>,
  states: T,
  K: number,
  method: LatentStep,
  h: number,
): { loss: T; grads: GradientParts<T> } {
  const [all, dim] = dims2(o, states);
  const n = all / (K + 1);
  if (!Number.isInteger(n) || K < 1) throw new Error(`states has ${all} rows, not K + 1 = ${K + 1} blocks`);
  const { steps, residuals } = rollChain(o, p, o.sliceRows(states, 0, n), K, method, h, (j) => o.sliceRows(states, j * n, n), true);
  const loss = o.mean(o.square(o.concat(residuals, 0)));
  const rBar = residuals.map((r) => o.scale(r, 2 / (K * n * dim)));
  return { loss, grads: chainBackward(o, steps, rBar).grads };
}

/**
 * K steps from `start`; residual j compares step j's result with target(j): target - xi when
 * `minusTarget` is false (the pixel latent term E_j = z_j - zeta_j), xi - target otherwise.
 */
function rollChain<T>(
  o: Ops<T>,
  p: FieldParams<T>,
  start: T,
  K: number,
  method: LatentStep,
  h: number,
  target: (j: number) => T,
  minusTarget: boolean,
) {
  const [n, dim] = dims2(o, start);
  const zeros = o.zeros([n, dim / 2]);
  const steps: StepPass<T>[] = [];
  const residuals: T[] = [];
  let x = start;
  for (let j = 1; j <= K; j++) {
    const step = stepPass(o, p, x, method, h, zeros);
    steps.push(step);
    x = step.next;
    residuals.push(minusTarget ? o.sub(x, target(j)) : o.sub(target(j), x));
  }
  return { steps, residuals, zeros };
}

/**
 * Back through a chain: xiBar_j = (rBar_j + xiBar_{j+1} d step_{j+1}) with rBar_j = dL/dxi_j; returns
 * the merged parameter parts and dL/dstart.
 */
function chainBackward<T>(o: Ops<T>, steps: StepPass<T>[], rBar: T[]): { grads: GradientParts<T>; inputBar: T } {
  const all: GradientParts<T>[] = [];
  let xiBar: T | null = null;
  for (let j = steps.length; j >= 1; j--) {
    const here: T = xiBar ? o.add(xiBar, rBar[j - 1]) : rBar[j - 1];
    const back = steps[j - 1].backward(here);
    all.push(...back.grads);
    xiBar = back.inputBar;
  }
  return { grads: mergeParts(all), inputBar: xiBar! };
}

/**
 * The pixel window loss and its gradient parts (the autoencoder's variables, then the latent
 * model's). xAll stacks the K + 1 pairs of every window pair by pair, [(K + 1) N, width] (or the
 * encoder's active columns of them, p.ae.active); xHead holds its first K blocks whole (the decoder's
 * targets) as a tensor of its own where a slice would copy (wasm).
 * Returns the unweighted batch means [recon, consistency, latent] as `terms`.
 */
export function windowLossGradients<T>(
  o: Ops<T>,
  p: PixelParams<T>,
  xHead: T,
  xAll: T,
  K: number,
  cfg: WindowLossConfig,
): { terms: T; grads: GradientParts<T> } {
  const n = dims2(o, xAll)[0] / (K + 1);
  if (!Number.isInteger(n) || K < 1) throw new Error(`xAll has ${dims2(o, xAll)[0]} rows, not K + 1 = ${K + 1} blocks`);
  if (dims2(o, xHead)[0] !== K * n) throw new Error(`xHead has ${dims2(o, xHead)[0]} rows, expected K x ${n}`);
  const block = (t: T, j: number, count = 1) => o.sliceRows(t, j * n, count * n);
  const enc = encoderPass(o, p.ae, xAll);
  const Z = enc.out;
  const k = dims2(o, Z)[1] / 2;
  const Zdec = block(Z, 0, K);
  const dec = decoderPass(o, p.ae, Zdec);
  const R = o.sub(dec.out, xHead);
  // consistency c_j = p_j - (q_{j+1} - q_j), j = 0..K-1, all windows at once
  const qAll = o.sliceCols(Z, 0, k);
  const c = o.add(o.sub(o.sliceCols(Zdec, k, k), o.sliceRows(qAll, n, K * n)), o.sliceRows(qAll, 0, K * n));
  const { steps, residuals: E, zeros } = rollChain(o, p.dyn, block(Z, 0), K, cfg.latentStep, cfg.dt, (j) => block(Z, j), false);
  const Eall = o.concat(E, 0);
  // recon as the mean of per-row means: one float32 mean over 313k squares drifts by ~1e-3 on tfjs-wasm
  const terms = o.stack([o.mean(o.rowMeans(o.square(R))), o.mean(o.square(c)), o.mean(o.square(Eall))]);
  const size = (t: T) => dims2(o, t)[0] * dims2(o, t)[1];

  const RBar = o.scale(R, (2 * cfg.recon) / size(R));
  const cBar = o.scale(c, (2 * cfg.consistency) / size(c));
  const EBar = E.map((e) => o.scale(e, (2 * cfg.hnn) / size(Eall)));
  const aeGrads = emptyAeGrads(p.ae);
  const zDecBar = dec.backward(RBar, aeGrads, true)!;
  // E_j = z_j - zeta_j: the chain sees dL/dzeta_j = -EBar_j
  const chain = chainBackward(
    o,
    steps,
    EBar.map((e) => o.neg(e)),
  );
  // Z's gradient block by block: decoder and consistency on 0..K-1, the chain's start on 0, E on 1..K
  const cPad = o.concat([cBar, cBar], 1); // d/dq_j and d/dp_j of +c_j
  const qNextBar = o.concat([zeros, o.neg(cBar)], 0); // -c_{j-1} on q_j, j = 1..K
  const ZBar = o.addN([
    o.concat([o.add(zDecBar, cPad), o.zeros([n, 2 * k])], 0),
    o.padCols(qNextBar, 0, k),
    o.concat([chain.inputBar, ...EBar], 0),
  ]);
  enc.backward(ZBar, aeGrads, false);
  if (aeGrads.length !== autoencoderVariables(p.ae).length) throw new Error('autoencoder gradient count mismatch');
  return { terms, grads: [...aeGrads, ...chain.grads] };
}

/** The state loss alone, mean((f(x) - y)^2), without the backward pass (evaluation). */
export function stateLoss<T>(o: Ops<T>, p: FieldParams<T>, x: T, y: T): T {
  return o.mean(o.square(o.sub(fieldPass(o, p, x).field, y)));
}
