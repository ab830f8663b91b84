// The tensor vocabulary the models' passes and the training steps are written in, once. Two
// lowerings implement it: ./onnx-ops.ts records ONNX nodes (a graph ONNX Runtime runs as one
// session call per step), ./tfjs-ops.ts calls TensorFlow.js eagerly (the tfjs backends and the
// browser page). A definition written against Ops<T> computes the same function on both; the
// lowerings differ only in float32 rounding order (matrix products, reductions).
//
// Shapes are static: every tensor's shape is known when the definition runs (a graph is built per
// batch size). Matrices are row-major [rows, cols]; a "row vector" bias is [cols].

/** Shape of a 2-D convolution in NHWC terms, stride s in both directions, 'same' padding (TF's rule). */
export interface ConvShape {
  /** Input [B, H, W, C]. */
  input: [number, number, number, number];
  /** Filter [kh, kw, inC, outC] (the convolution's own layout, as saved). */
  filter: [number, number, number, number];
  stride: number;
}

export interface Ops<T> {
  /** The lowering's name, for messages ("onnx", "tfjs"). */
  readonly name: string;
  shape(t: T): readonly number[];

  /** A float32 constant. */
  constant(values: Float32Array, shape: readonly number[]): T;
  scalar(value: number): T;
  zeros(shape: readonly number[]): T;

  /** a . b of [m, k] and [k, n] (either operand transposed first when asked). */
  matMul(a: T, b: T, transA?: boolean, transB?: boolean): T;
  /** a . w + bias: [m, k] . [k, n] + [n]. */
  affine(a: T, w: T, bias: T): T;

  /** Element-wise with numpy broadcasting. */
  add(a: T, b: T): T;
  /** The sum of several tensors of one shape. */
  addN(ts: readonly T[]): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  /** a times a constant. */
  scale(a: T, c: number): T;
  neg(a: T): T;
  square(a: T): T;
  sqrt(a: T): T;
  tanh(a: T): T;
  relu(a: T): T;
  /** dy where the relu's output is positive, else 0: relu's backward from its output. */
  reluBackward(dy: T, out: T): T;

  /** Column sums of [N, n]: [n]. */
  colSums(a: T): T;
  /** Row means of [N, n]: [N]. */
  rowMeans(a: T): T;
  /** The mean of every element: a scalar (shape []). */
  mean(a: T): T;

  /** Rows start..start+count of [N, n]. */
  sliceRows(a: T, start: number, count: number): T;
  /** Columns start..start+count of [N, n]. */
  sliceCols(a: T, start: number, count: number): T;
  /** Rows (axis 0) or columns (axis 1) of a matrix at `indices`, in their order (repeats allowed). */
  gather(a: T, indices: Int32Array, axis: 0 | 1): T;
  /** Concatenation along axis 0 (rows) or 1 (columns) of 2-D tensors. */
  concat(ts: readonly T[], axis: 0 | 1): T;
  /** Zero columns added before and after: [N, n] -> [N, before + n + after]. */
  padCols(a: T, before: number, after: number): T;
  reshape(a: T, shape: readonly number[]): T;
  transpose(a: T, perm: readonly number[]): T;
  /** Scalars into a vector [n]. */
  stack(scalars: readonly T[]): T;

  /** 2-D convolution, NHWC input, filter [kh, kw, inC, outC], 'same' padding. */
  conv2d(x: T, filter: T, stride: number): T;
  /**
   * The convolution's input gradient (a transposed convolution): dy [B, Ho, Wo, outC] with the
   * convolution's filter [kh, kw, inC, outC] -> [B, H, W, inC], H and W from `inputShape`.
   */
  conv2dBackpropInput(dy: T, filter: T, inputShape: readonly [number, number, number, number], stride: number): T;
  /** The convolution's filter gradient from its input x and output gradient dy: [kh, kw, inC, outC]. */
  conv2dBackpropFilter(x: T, dy: T, filterShape: readonly [number, number, number, number], stride: number): T;
}

/** Reads a shape as [rows, cols], refusing other ranks (a definition's bookkeeping error). */
export function dims2<T>(o: Ops<T>, t: T): [number, number] {
  const s = o.shape(t);
  if (s.length !== 2) throw new Error(`expected a matrix, got shape [${s.join(', ')}]`);
  return [s[0], s[1]];
}

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
