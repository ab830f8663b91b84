// Ops evaluated eagerly in float64 with plain loops: the reference lowering. A definition run here
// gives its loss and hand-derived gradients to ~1e-12, so the tests check every definition's
// backward against float64 finite differences of its own forward, and the ONNX and tfjs lowerings
// (including their convolutions) against these loops. Written for clarity, not speed.
import { sizeOf, type Ops } from './ops.ts';
import { samePadding } from './onnx-ops.ts';

export interface F64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

type Shape4 = readonly [number, number, number, number];

const make = (shape: readonly number[], data?: Float64Array): F64 => ({ shape: [...shape], data: data ?? new Float64Array(sizeOf(shape)) });

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Element-wise f over numpy-broadcast operands. */
function broadcastMap(a: F64, b: F64, f: (x: number, y: number) => number): F64 {
  const n = Math.max(a.shape.length, b.shape.length);
  const pa = [...Array(n - a.shape.length).fill(1), ...a.shape];
  const pb = [...Array(n - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  pa.forEach((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
  });
  const [sa, sb, so] = [strides(pa), strides(pb), strides(shape)];
  const out = make(shape);
  for (let i = 0; i < out.data.length; i++) {
    let [ia, ib, rest] = [0, 0, i];
    for (let d = 0; d < n; d++) {
      const c = Math.floor(rest / so[d]);
      rest -= c * so[d];
      if (pa[d] > 1) ia += c * sa[d];
      if (pb[d] > 1) ib += c * sb[d];
    }
    out.data[i] = f(a.data[ia], b.data[ib]);
  }
  return out;
}

const map = (a: F64, f: (x: number) => number): F64 => make(a.shape, a.data.map(f));

/** Visits (output position, tap, input position) of a 'same' convolution: offsets into NHWC arrays per channel 0. */
function convTaps(input: Shape4, filter: Shape4, stride: number, visit: (out: number, tap: number, inp: number) => void): number[] {
  const [B, H, W] = input;
  const [kh, kw] = filter;
  const ph = samePadding(H, kh, stride);
  const pw = samePadding(W, kw, stride);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++) {
            const [y, x] = [i * stride - ph.before + a, j * stride - pw.before + b];
            if (y >= 0 && y < H && x >= 0 && x < W) visit((n * ph.out + i) * pw.out + j, a * kw + b, (n * H + y) * W + x);
          }
  return [B, ph.out, pw.out];
}

export class F64Ops implements Ops<F64> {
  readonly name = 'f64';
  shape(t: F64): readonly number[] {
    return t.shape;
  }
  constant(values: Float32Array | Float64Array, shape: readonly number[]): F64 {
    return make(shape, Float64Array.from(values));
  }
  scalar(value: number): F64 {
    return make([], Float64Array.of(value));
  }
  zeros(shape: readonly number[]): F64 {
    return make(shape);
  }
  matMul(a: F64, b: F64, transA = false, transB = false): F64 {
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k !== k2) throw new Error(`matMul of [${a.shape}] and [${b.shape}]`);
    const out = make([m, n]);
    const A = (i: number, l: number) => (transA ? a.data[l * m + i] : a.data[i * k + l]);
    const Bv = (l: number, j: number) => (transB ? b.data[j * k + l] : b.data[l * n + j]);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += A(i, l) * Bv(l, j);
        out.data[i * n + j] = s;
      }
    return out;
  }
  affine(a: F64, w: F64, bias: F64): F64 {
    return this.add(this.matMul(a, w), bias);
  }
  add(a: F64, b: F64): F64 {
    return broadcastMap(a, b, (x, y) => x + y);
  }
  addN(ts: readonly F64[]): F64 {
    return ts.reduce((s, t) => this.add(s, t));
  }
  sub(a: F64, b: F64): F64 {
    return broadcastMap(a, b, (x, y) => x - y);
  }
  mul(a: F64, b: F64): F64 {
    return broadcastMap(a, b, (x, y) => x * y);
  }
  div(a: F64, b: F64): F64 {
    return broadcastMap(a, b, (x, y) => x / y);
  }
  scale(a: F64, c: number): F64 {
    return map(a, (x) => x * c);
  }
  neg(a: F64): F64 {
    return map(a, (x) => -x);
  }
  square(a: F64): F64 {
    return map(a, (x) => x * x);
  }
  sqrt(a: F64): F64 {
    return map(a, Math.sqrt);
  }
  tanh(a: F64): F64 {
    return map(a, Math.tanh);
  }
  relu(a: F64): F64 {
    return map(a, (x) => Math.max(x, 0));
  }
  reluBackward(dy: F64, out: F64): F64 {
    return make(
      dy.shape,
      dy.data.map((d, i) => (out.data[i] > 0 ? d : 0)),
    );
  }
  colSums(a: F64): F64 {
    const [r, c] = a.shape;
    const out = make([c]);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j] += a.data[i * c + j];
    return out;
  }
  rowMeans(a: F64): F64 {
    const [r, c] = a.shape;
    const out = make([r]);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[i] += a.data[i * c + j] / c;
    return out;
  }
  mean(a: F64): F64 {
    return make([], Float64Array.of(a.data.reduce((s, x) => s + x, 0) / a.data.length));
  }
  sliceRows(a: F64, start: number, count: number): F64 {
    const c = a.shape[1];
    return make([count, c], a.data.slice(start * c, (start + count) * c));
  }
  sliceCols(a: F64, start: number, count: number): F64 {
    const [r, c] = a.shape;
    const out = make([r, count]);
    for (let i = 0; i < r; i++) for (let j = 0; j < count; j++) out.data[i * count + j] = a.data[i * c + start + j];
    return out;
  }
  gather(a: F64, indices: Int32Array, axis: 0 | 1): F64 {
    const [r, c] = a.shape;
    if (indices.some((i) => i < 0 || i >= a.shape[axis])) throw new Error(`gather along ${axis} of [${a.shape}] at indices outside it`);
    const out = make(axis === 0 ? [indices.length, c] : [r, indices.length]);
    if (axis === 0) indices.forEach((src, i) => out.data.set(a.data.subarray(src * c, (src + 1) * c), i * c));
    else for (let i = 0; i < r; i++) indices.forEach((src, j) => (out.data[i * indices.length + j] = a.data[i * c + src]));
    return out;
  }
  concat(ts: readonly F64[], axis: 0 | 1): F64 {
    if (axis === 0)
      return make([ts.reduce((s, t) => s + t.shape[0], 0), ts[0].shape[1]], Float64Array.from(ts.flatMap((t) => [...t.data])));
    const rows = ts[0].shape[0];
    const cols = ts.reduce((s, t) => s + t.shape[1], 0);
    const out = make([rows, cols]);
    let off = 0;
    for (const t of ts) {
      for (let i = 0; i < rows; i++) for (let j = 0; j < t.shape[1]; j++) out.data[i * cols + off + j] = t.data[i * t.shape[1] + j];
      off += t.shape[1];
    }
    return out;
  }
  padCols(a: F64, before: number, after: number): F64 {
    return this.concat(
      [make([a.shape[0], before]), a, make([a.shape[0], after])].filter((t) => sizeOf(t.shape) > 0),
      1,
    );
  }
  reshape(a: F64, shape: readonly number[]): F64 {
    if (sizeOf(shape) !== a.data.length) throw new Error(`reshape of [${a.shape}] to [${shape}]`);
    return make(shape, a.data);
  }
  transpose(a: F64, perm: readonly number[]): F64 {
    const shape = perm.map((p) => a.shape[p]);
    const [si, so] = [strides(a.shape), strides(shape)];
    const out = make(shape);
    for (let i = 0; i < out.data.length; i++) {
      let [rest, src] = [i, 0];
      for (let d = 0; d < shape.length; d++) {
        const c = Math.floor(rest / so[d]);
        rest -= c * so[d];
        src += c * si[perm[d]];
      }
      out.data[i] = a.data[src];
    }
    return out;
  }
  stack(scalars: readonly F64[]): F64 {
    return make([scalars.length], Float64Array.from(scalars.map((s) => s.data[0])));
  }

  conv2d(x: F64, filter: F64, stride: number): F64 {
    const [C, O] = [x.shape[3], filter.shape[3]];
    const out = make([...convTaps(x.shape as Shape4, filter.shape as Shape4, stride, () => {}), O]);
    convTaps(x.shape as Shape4, filter.shape as Shape4, stride, (p, t, q) => {
      for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out.data[p * O + o] += x.data[q * C + c] * filter.data[(t * C + c) * O + o];
    });
    return out;
  }
  conv2dBackpropInput(dy: F64, filter: F64, inputShape: Shape4, stride: number): F64 {
    const [C, O] = [inputShape[3], filter.shape[3]];
    const out = make(inputShape);
    convTaps(inputShape, filter.shape as Shape4, stride, (p, t, q) => {
      for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out.data[q * C + c] += dy.data[p * O + o] * filter.data[(t * C + c) * O + o];
    });
    return out;
  }
  conv2dBackpropFilter(x: F64, dy: F64, filterShape: Shape4, stride: number): F64 {
    const [C, O] = [x.shape[3], filterShape[3]];
    const out = make(filterShape);
    convTaps(x.shape as Shape4, filterShape, stride, (p, t, q) => {
      for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out.data[(t * C + c) * O + o] += x.data[q * C + c] * dy.data[p * O + o];
    });
    return out;
  }
}
