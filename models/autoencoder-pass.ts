// The pixel model's autoencoders as passes on the engine's Ops (src/engine/ops.ts): forward, and the
// hand-derived backward that gives each variable's gradient and, for the decoder, the latent's.
//   residual MLP (./autoencoder.ts): h1 = relu(.), h2 = h1 + relu(.), h3 = h2 + relu(.), out = linear(.)
//     per half; the encoder is layers 0-3, the decoder 4-7
//   convolutional (./conv-autoencoder.ts): two stride-2 'same' convolutions, two dense layers to the
//     latent; back through two dense layers and two transposed convolutions (linear output)
// Gradients are collected per variable of the autoencoder, in its variables() order.
import { sizeOf, type Ops } from '../src/engine/ops.ts';
import type { ConvAutoencoderSpec } from './conv-autoencoder.ts';

type Shape4 = [number, number, number, number];

/** Variable names of the convolutional autoencoder, in variables() order. */
export const CONV_PARAMS = [
  'c1',
  'c1b',
  'c2',
  'c2b',
  'e1',
  'e1b',
  'e2',
  'e2b',
  'd1',
  'd1b',
  'd2',
  'd2b',
  't1',
  't1b',
  't2',
  't2b',
] as const;
export type ConvParamName = (typeof CONV_PARAMS)[number];

/**
 * The input columns the MLP encoder is fed, where every other column is 0 in every row it would be
 * fed (the training frames' pixels that are never lit): the encoder's input is then [B, columns]
 * and its first product uses W's rows at `columns`. A left-out column adds 0 to x W and its row of
 * W's gradient is 0, so this gives the same values in fewer operations; only float32 rounding moves
 * (the sums are grouped differently).
 */
export interface ActiveInputs {
  /** The columns kept, ascending. */
  columns: Int32Array;
  /** For each input column, its position in `columns`, or columns.length where it is left out. */
  rowOf: Int32Array;
}

export type AutoencoderParams<T> =
  | { kind: 'mlp'; layers: Array<{ w: T; b: T }>; active?: ActiveInputs }
  | { kind: 'conv'; spec: ConvAutoencoderSpec; p: Record<ConvParamName, T> };

/**
 * The columns of `width`-wide rows that are non-zero in some row of `splits`, or null when every
 * column is (nothing to leave out). Rows with no lit pixel at all keep every column too.
 */
export function activeInputsOf(splits: readonly Float32Array[], width: number): ActiveInputs | null {
  const lit = new Uint8Array(width);
  for (const rows of splits) {
    if (rows.length % width) throw new Error(`${rows.length} values are not rows of ${width}`);
    for (let i = 0; i < rows.length; i++) if (rows[i] !== 0) lit[i % width] = 1;
  }
  const columns = Int32Array.from(lit.keys()).filter((c) => lit[c] === 1);
  if (columns.length === width || columns.length === 0) return null;
  const rowOf = new Int32Array(width).fill(columns.length);
  columns.forEach((c, i) => (rowOf[c] = i));
  return { columns, rowOf };
}

/** The autoencoder's variables in variables() order. */
export function autoencoderVariables<T>(ae: AutoencoderParams<T>): T[] {
  return ae.kind === 'mlp' ? ae.layers.flatMap((l) => [l.w, l.b]) : CONV_PARAMS.map((k) => ae.p[k]);
}

/** Gradient parts of each autoencoder variable, in variables() order. */
export type AeGrads<T> = T[][];

export function emptyAeGrads<T>(ae: AutoencoderParams<T>): AeGrads<T> {
  return autoencoderVariables(ae).map(() => []);
}

/** One half of the autoencoder at some rows, and its backward pass (pushing into `grads`). */
export interface HalfPass<T> {
  out: T;
  /** Given dL/dout: pushes the half's gradient parts; returns dL/dinput when asked. Call at most once. */
  backward(outBar: T, grads: AeGrads<T>, inputGradient: boolean): T | null;
}

/** The encoder (rows [B, input] -> [B, latent]) of either autoencoder. */
export function encoderPass<T>(o: Ops<T>, ae: AutoencoderParams<T>, x: T): HalfPass<T> {
  return ae.kind === 'mlp' ? residualPass(o, ae.layers, 0, x, ae.active) : convEncoderPass(o, ae.spec, ae.p, x);
}

/** The decoder ([B, latent] -> rows [B, input]) of either autoencoder. */
export function decoderPass<T>(o: Ops<T>, ae: AutoencoderParams<T>, z: T): HalfPass<T> {
  return ae.kind === 'mlp' ? residualPass(o, ae.layers, 4, z) : convDecoderPass(o, ae.spec, ae.p, z);
}

/** Layers base..base+3 of the residual MLP autoencoder; the first product over `active`'s columns when given. */
function residualPass<T>(o: Ops<T>, L: Array<{ w: T; b: T }>, base: number, input: T, active?: ActiveInputs): HalfPass<T> {
  const dense = (l: number, a: T) => o.affine(a, L[base + l].w, L[base + l].b);
  const kept = active ? o.gather(L[base].w, active.columns, 0) : null;
  const h1 = o.relu(kept ? o.affine(input, kept, L[base].b) : dense(0, input));
  const r2 = o.relu(dense(1, h1));
  const h2 = o.add(h1, r2);
  const r3 = o.relu(dense(2, h2));
  const h3 = o.add(h2, r3);
  const out = dense(3, h3);
  // variables() order: layer l's weight at 2 l, its bias at 2 l + 1
  const push = (g: AeGrads<T>, l: number, inputOf: T, aBar: T) => {
    g[2 * (base + l)].push(o.matMul(inputOf, aBar, true, false));
    g[2 * (base + l) + 1].push(o.colSums(aBar));
  };
  return {
    out,
    backward: (outBar, g, inputGradient) => {
      push(g, 3, h3, outBar);
      const h3Bar = o.matMul(outBar, L[base + 3].w, false, true);
      const a3Bar = o.reluBackward(h3Bar, r3);
      push(g, 2, h2, a3Bar);
      const h2Bar = o.add(h3Bar, o.matMul(a3Bar, L[base + 2].w, false, true));
      const a2Bar = o.reluBackward(h2Bar, r2);
      push(g, 1, h1, a2Bar);
      const h1Bar = o.add(h2Bar, o.matMul(a2Bar, L[base + 1].w, false, true));
      const a1Bar = o.reluBackward(h1Bar, h1);
      if (kept) {
        // the kept rows' gradient, and a zero row for every column left out
        const keptBar = o.matMul(input, a1Bar, true, false);
        const zero = o.zeros([1, o.shape(keptBar)[1]]);
        g[2 * base].push(o.gather(o.concat([keptBar, zero], 0), active!.rowOf, 0));
        g[2 * base + 1].push(o.colSums(a1Bar));
      } else push(g, 0, input, a1Bar);
      return inputGradient ? o.matMul(a1Bar, kept ?? L[base].w, false, true) : null;
    },
  };
}

const index = (k: ConvParamName) => CONV_PARAMS.indexOf(k);

/** Rows [B, F N^2 ch] (frame after frame) as images [B, N, N, F ch] (frames as channels), and back. */
function imageLayout(s: ConvAutoencoderSpec, B: number) {
  const { frameSize: N, frames: F, channels: ch } = s;
  return {
    toImages: <T>(o: Ops<T>, x: T) => o.reshape(o.transpose(o.reshape(x, [B, F, N * N, ch]), [0, 2, 1, 3]), [B, N, N, F * ch]),
    toRows: <T>(o: Ops<T>, x: T) => o.reshape(o.transpose(o.reshape(x, [B, N * N, F, ch]), [0, 2, 1, 3]), [B, F * N * N * ch]),
  };
}

/** Bias gradient of an image bias: sums over every position. */
const imageBiasGrad = <T>(o: Ops<T>, dy: T) => {
  const s = o.shape(dy);
  return o.colSums(o.reshape(dy, [sizeOf(s) / s[3], s[3]]));
};

function convEncoderPass<T>(o: Ops<T>, s: ConvAutoencoderSpec, p: Record<ConvParamName, T>, x: T): HalfPass<T> {
  const B = o.shape(x)[0];
  const { toImages } = imageLayout(s, B);
  const img = toImages(o, x);
  const c1 = o.relu(o.add(o.conv2d(img, p.c1, 2), p.c1b));
  const c2 = o.relu(o.add(o.conv2d(c1, p.c2, 2), p.c2b));
  const c2Shape = o.shape(c2) as Shape4;
  const flat = o.reshape(c2, [B, sizeOf(c2Shape) / B]);
  const e1 = o.relu(o.affine(flat, p.e1, p.e1b));
  const out = o.affine(e1, p.e2, p.e2b);
  return {
    out,
    backward: (outBar, g) => {
      g[index('e2')].push(o.matMul(e1, outBar, true, false));
      g[index('e2b')].push(o.colSums(outBar));
      const a1 = o.reluBackward(o.matMul(outBar, p.e2, false, true), e1);
      g[index('e1')].push(o.matMul(flat, a1, true, false));
      g[index('e1b')].push(o.colSums(a1));
      const c2Bar = o.reluBackward(o.reshape(o.matMul(a1, p.e1, false, true), c2Shape), c2);
      g[index('c2')].push(o.conv2dBackpropFilter(c1, c2Bar, o.shape(p.c2) as Shape4, 2));
      g[index('c2b')].push(imageBiasGrad(o, c2Bar));
      const c1Bar = o.reluBackward(o.conv2dBackpropInput(c2Bar, p.c2, o.shape(c1) as Shape4, 2), c1);
      g[index('c1')].push(o.conv2dBackpropFilter(img, c1Bar, o.shape(p.c1) as Shape4, 2));
      g[index('c1b')].push(imageBiasGrad(o, c1Bar));
      return null; // the encoder's input is data
    },
  };
}

function convDecoderPass<T>(o: Ops<T>, s: ConvAutoencoderSpec, p: Record<ConvParamName, T>, z: T): HalfPass<T> {
  const { frameSize: N, frames: F, channels: ch } = s;
  const [f1, f2] = s.filters ?? [16, 32];
  const B = o.shape(z)[0];
  const { toRows } = imageLayout(s, B);
  const d1 = o.relu(o.affine(z, p.d1, p.d1b));
  const d2 = o.relu(o.affine(d1, p.d2, p.d2b));
  const m0 = o.reshape(d2, [B, N / 4, N / 4, f2]);
  const t1Shape: Shape4 = [B, N / 2, N / 2, f1];
  const t1 = o.relu(o.add(o.conv2dBackpropInput(m0, p.t1, t1Shape, 2), p.t1b));
  const t2 = o.add(o.conv2dBackpropInput(t1, p.t2, [B, N, N, F * ch], 2), p.t2b);
  return {
    out: toRows(o, t2),
    backward: (outBar, g, inputGradient) => {
      // rows back to images: the inverse permutation of toRows, which is its own inverse
      const t2Bar = imageLayout(s, B).toImages(o, outBar);
      // y = convT(x, F) is the adjoint of conv(., F): dx = conv(dy, F), dF = filter gradient of conv(dy, F) at x
      g[index('t2')].push(o.conv2dBackpropFilter(t2Bar, t1, o.shape(p.t2) as Shape4, 2));
      g[index('t2b')].push(imageBiasGrad(o, t2Bar));
      const t1Bar = o.reluBackward(o.conv2d(t2Bar, p.t2, 2), t1);
      g[index('t1')].push(o.conv2dBackpropFilter(t1Bar, m0, o.shape(p.t1) as Shape4, 2));
      g[index('t1b')].push(imageBiasGrad(o, t1Bar));
      const d2Bar = o.reluBackward(o.reshape(o.conv2d(t1Bar, p.t1, 2), [B, (N / 4) * (N / 4) * f2]), d2);
      g[index('d2')].push(o.matMul(d1, d2Bar, true, false));
      g[index('d2b')].push(o.colSums(d2Bar));
      const d1Bar = o.reluBackward(o.matMul(d2Bar, p.d2, false, true), d1);
      g[index('d1')].push(o.matMul(z, d1Bar, true, false));
      g[index('d1b')].push(o.colSums(d1Bar));
      return inputGradient ? o.matMul(d1Bar, p.d1, false, true) : null;
    },
  };
}
