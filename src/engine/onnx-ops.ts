// Ops lowered to ONNX nodes: running a definition on OnnxOps records it into an OnnxGraph, with
// every shape checked as it is recorded (a definition's mistake fails here, not inside ONNX Runtime).
// Transposed products are Gemm's transA/transB (no copy), a bias add is Gemm's C.
import { OnnxGraph, type Sym } from './onnx-graph.ts';
import { ONNX_FLOAT } from './onnx-proto.ts';
import { sizeOf, type Ops } from './ops.ts';

type Shape4 = readonly [number, number, number, number];

/** numpy broadcasting of two shapes, or an error naming both. */
function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** TF's 'same' padding along one axis: [before, after] and the output length. */
export function samePadding(length: number, kernel: number, stride: number): { before: number; after: number; out: number } {
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + kernel - length, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** A filter [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
const FILTER_TO_OIHW = [3, 2, 0, 1];

export class OnnxOps implements Ops<Sym> {
  readonly name = 'onnx';
  constructor(readonly graph: OnnxGraph = new OnnxGraph()) {}

  shape(t: Sym): readonly number[] {
    return t.shape;
  }
  constant(values: Float32Array, shape: readonly number[]): Sym {
    if (values.length !== sizeOf(shape)) throw new Error(`constant of ${values.length} values for shape [${shape.join(', ')}]`);
    return this.graph.constant(values, shape);
  }
  scalar(value: number): Sym {
    return this.graph.constant(Float32Array.of(value), []);
  }
  zeros(shape: readonly number[]): Sym {
    return this.graph.constant(new Float32Array(sizeOf(shape)), shape);
  }

  matMul(a: Sym, b: Sym, transA = false, transB = false): Sym {
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (a.shape.length !== 2 || b.shape.length !== 2 || k !== k2)
      throw new Error(`matMul of [${a.shape.join(', ')}]${transA ? 'T' : ''} and [${b.shape.join(', ')}]${transB ? 'T' : ''}`);
    if (!transA && !transB) return this.graph.node('MatMul', [a, b], [m, n]);
    return this.graph.node('Gemm', [a, b], [m, n], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
  }
  affine(a: Sym, w: Sym, bias: Sym): Sym {
    if (a.shape[1] !== w.shape[0] || bias.shape.length !== 1 || bias.shape[0] !== w.shape[1])
      throw new Error(`affine of [${a.shape.join(', ')}], [${w.shape.join(', ')}], [${bias.shape.join(', ')}]`);
    return this.graph.node('Gemm', [a, w, bias], [a.shape[0], w.shape[1]]);
  }

  private binary(op: string, a: Sym, b: Sym): Sym {
    return this.graph.node(op, [a, b], broadcast(a.shape, b.shape));
  }
  add(a: Sym, b: Sym): Sym {
    return this.binary('Add', a, b);
  }
  addN(ts: readonly Sym[]): Sym {
    if (ts.length === 1) return ts[0];
    return this.graph.node('Sum', ts, ts.map((t) => t.shape).reduce(broadcast));
  }
  sub(a: Sym, b: Sym): Sym {
    return this.binary('Sub', a, b);
  }
  mul(a: Sym, b: Sym): Sym {
    return this.binary('Mul', a, b);
  }
  div(a: Sym, b: Sym): Sym {
    return this.binary('Div', a, b);
  }
  scale(a: Sym, c: number): Sym {
    return this.binary('Mul', a, this.scalar(c));
  }
  neg(a: Sym): Sym {
    return this.graph.node('Neg', [a], a.shape);
  }
  square(a: Sym): Sym {
    return this.graph.node('Mul', [a, a], a.shape);
  }
  sqrt(a: Sym): Sym {
    return this.graph.node('Sqrt', [a], a.shape);
  }
  tanh(a: Sym): Sym {
    return this.graph.node('Tanh', [a], a.shape);
  }
  relu(a: Sym): Sym {
    return this.graph.node('Relu', [a], a.shape);
  }
  reluBackward(dy: Sym, out: Sym): Sym {
    // the 0/1 mask of where the relu passed its input, as Cast(out > 0): the same values as Sign(out)
    // for out >= 0, and faster on ONNX Runtime's CPU provider (docs/PERFORMANCE.md)
    const passed = this.graph.node('Greater', [out, this.scalar(0)], out.shape);
    return this.mul(dy, this.graph.node('Cast', [passed], out.shape, { to: ONNX_FLOAT }));
  }

  colSums(a: Sym): Sym {
    return this.graph.node('ReduceSum', [a, this.graph.int64Constant([0])], [a.shape[1]], { keepdims: 0 });
  }
  rowMeans(a: Sym): Sym {
    return this.graph.node('ReduceMean', [a], [a.shape[0]], { axes: [1], keepdims: 0 });
  }
  mean(a: Sym): Sym {
    return this.graph.node('ReduceMean', [a], [], { keepdims: 0 });
  }

  private slice(a: Sym, axis: number, start: number, count: number): Sym {
    if (start < 0 || count < 1 || start + count > a.shape[axis])
      throw new Error(`slice ${start}..${start + count} of axis ${axis} of [${a.shape.join(', ')}]`);
    if (start === 0 && count === a.shape[axis]) return a;
    const shape = a.shape.map((d, i) => (i === axis ? count : d));
    const c = (v: number) => this.graph.int64Constant([v]);
    return this.graph.node('Slice', [a, c(start), c(start + count), c(axis)], shape);
  }
  sliceRows(a: Sym, start: number, count: number): Sym {
    return this.slice(a, 0, start, count);
  }
  sliceCols(a: Sym, start: number, count: number): Sym {
    return this.slice(a, 1, start, count);
  }
  gather(a: Sym, indices: Int32Array, axis: 0 | 1): Sym {
    if (a.shape.length !== 2 || indices.some((i) => i < 0 || i >= a.shape[axis]))
      throw new Error(`gather along ${axis} of [${a.shape.join(', ')}] at indices outside it`);
    const shape = [...a.shape];
    shape[axis] = indices.length;
    return this.graph.node('Gather', [a, this.graph.int64Constant([...indices])], shape, { axis });
  }
  concat(ts: readonly Sym[], axis: 0 | 1): Sym {
    if (ts.length === 1) return ts[0];
    const other = 1 - axis;
    if (ts.some((t) => t.shape.length !== 2 || t.shape[other] !== ts[0].shape[other]))
      throw new Error(`concat along ${axis} of ${ts.map((t) => `[${t.shape.join(', ')}]`).join(', ')}`);
    const shape = [...ts[0].shape];
    shape[axis] = ts.reduce((s, t) => s + t.shape[axis], 0);
    return this.graph.node('Concat', ts, shape, { axis });
  }
  padCols(a: Sym, before: number, after: number): Sym {
    const pads = this.graph.int64Constant([0, before, 0, after]);
    return this.graph.node('Pad', [a, pads], [a.shape[0], before + a.shape[1] + after]);
  }
  reshape(a: Sym, shape: readonly number[]): Sym {
    if (sizeOf(shape) !== sizeOf(a.shape)) throw new Error(`reshape of [${a.shape.join(', ')}] to [${shape.join(', ')}]`);
    const batch = this.graph.dynamicBatch;
    const target = batch !== null && shape[0] === batch ? [-1, ...shape.slice(1)] : shape;
    return this.graph.node('Reshape', [a, this.graph.int64Constant(target)], shape);
  }
  transpose(a: Sym, perm: readonly number[]): Sym {
    return this.graph.node(
      'Transpose',
      [a],
      perm.map((p) => a.shape[p]),
      { perm: [...perm] },
    );
  }
  stack(scalars: readonly Sym[]): Sym {
    const parts = scalars.map((s) => this.reshape(s, [1]));
    return parts.length === 1 ? parts[0] : this.graph.node('Concat', parts, [parts.length], { axis: 0 });
  }

  /** ONNX Conv/ConvTranspose attributes of a 'same' convolution of `input` by `filter`. */
  private convAttrs(input: Shape4, filter: Shape4, stride: number) {
    const h = samePadding(input[1], filter[0], stride);
    const w = samePadding(input[2], filter[1], stride);
    return {
      h,
      w,
      attrs: { strides: [stride, stride], pads: [h.before, w.before, h.after, w.after], kernel_shape: [filter[0], filter[1]] },
    };
  }
  conv2d(x: Sym, filter: Sym, stride: number): Sym {
    const [xs, fs] = [x.shape as Shape4, filter.shape as Shape4];
    if (xs[3] !== fs[2]) throw new Error(`conv2d of [${xs.join(', ')}] by [${fs.join(', ')}]`);
    const { h, w, attrs } = this.convAttrs(xs, fs, stride);
    const y = this.graph.node(
      'Conv',
      [this.transpose(x, NHWC_TO_NCHW), this.transpose(filter, FILTER_TO_OIHW)],
      [xs[0], fs[3], h.out, w.out],
      attrs,
    );
    return this.transpose(y, NCHW_TO_NHWC);
  }
  conv2dBackpropInput(dy: Sym, filter: Sym, inputShape: Shape4, stride: number): Sym {
    const fs = filter.shape as Shape4;
    const { h, w, attrs } = this.convAttrs(inputShape, fs, stride);
    if (dy.shape[1] !== h.out || dy.shape[2] !== w.out || dy.shape[3] !== fs[3])
      throw new Error(`conv2dBackpropInput of [${dy.shape.join(', ')}] for input [${inputShape.join(', ')}]`);
    // ConvTranspose's output is stride (in - 1) + kernel - pads + output_padding: pad to the input's size
    const extra = (len: number, inLen: number, k: number, p: { before: number; after: number }) =>
      len - (stride * (inLen - 1) + k - p.before - p.after);
    const outputPadding = [extra(inputShape[1], h.out, fs[0], h), extra(inputShape[2], w.out, fs[1], w)];
    const y = this.graph.node(
      'ConvTranspose',
      [this.transpose(dy, NHWC_TO_NCHW), this.transpose(filter, FILTER_TO_OIHW)],
      [inputShape[0], inputShape[3], inputShape[1], inputShape[2]],
      { ...attrs, output_padding: outputPadding },
    );
    return this.transpose(y, NCHW_TO_NHWC);
  }
  conv2dBackpropFilter(x: Sym, dy: Sym, filterShape: Shape4, stride: number): Sym {
    // dW[a, b, c, o] = sum over n, i, j of x_pad[n, s i + a, s j + b, c] dy[n, i, j, o]: a convolution
    // of x (channels as the batch, the batch as channels) by dy as its filter, dilated by the stride
    const xs = x.shape as Shape4;
    const { h, w } = this.convAttrs(xs, filterShape, stride);
    const xT = this.transpose(x, [3, 0, 1, 2]); // [C, B, H, W]
    const dyT = this.transpose(dy, [3, 0, 1, 2]); // [O, B, Ho, Wo]
    const outH = xs[1] + h.before + h.after - stride * (h.out - 1);
    const outW = xs[2] + w.before + w.after - stride * (w.out - 1);
    let g = this.graph.node('Conv', [xT, dyT], [xs[3], filterShape[3], outH, outW], {
      dilations: [stride, stride],
      pads: [h.before, w.before, h.after, w.after],
      kernel_shape: [h.out, w.out],
    });
    // a trailing pad row the filter never reaches makes the result one tap longer: keep the kernel's taps
    if (outH !== filterShape[0] || outW !== filterShape[1]) g = this.cropTaps(g, filterShape);
    return this.transpose(g, [2, 3, 0, 1]);
  }
  private cropTaps(g: Sym, fs: Shape4): Sym {
    const c = (v: number[]) => this.graph.int64Constant(v);
    return this.graph.node('Slice', [g, c([0, 0]), c([fs[0], fs[1]]), c([2, 3])], [g.shape[0], g.shape[1], fs[0], fs[1]]);
  }
}
