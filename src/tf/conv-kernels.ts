// Two convolution kernels for the wasm backend, as matrix products plus JavaScript index work:
// - Conv2DBackpropFilter, the filter gradient, which tfjs-backend-wasm 4.22 lacks (without it the
//   autodiff of conv2d or conv2dTranspose stops with "kernel not registered");
// - Conv2DBackpropInput, the input gradient and the forward pass of a transposed convolution, which
//   it has as a direct loop ~10x slower than this (553 of 1026 ms of a 28x28 autoencoder's step).
// With rows = B Ho Wo output positions and K = kh kw Cin filter taps:
//   filter: dW [K, Cout] = patches(x)^T [K, rows] . dy [rows, Cout]   (im2col, built transposed)
//   input:  cols [rows, K] = dy [rows, Cout] . W^T [Cout, K]; dx = the sum of cols scattered back
//           onto the input positions each tap read (col2im)
// The products run on the backend's own plain matMul (a transposed matMul is ~10x slower on wasm,
// docs/ENGINE.md). Both are tested against the cpu backend's kernels (test/conv.test.ts).
import * as tf from '@tensorflow/tfjs';

interface WasmInternals {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: unknown): void;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Info = tf.backend_util.Conv2DInfo;

function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs, kernel: string): Info {
  if (a.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm: NCHW is not supported; use NHWC`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The convolution's geometry and the products' sizes: rows = B Ho Wo output positions, C input channels, K = kh kw C filter taps. */
function convProduct(
  xShape: number[],
  filterShape: number[],
  a: ConvAttrs,
  kernel: string,
): { info: Info; rows: number; C: number; K: number } {
  const info = convInfo(xShape, filterShape, a, kernel);
  const C = info.inChannels;
  return { info, rows: info.batchSize * info.outHeight * info.outWidth, C, K: info.filterHeight * info.filterWidth * C };
}

/**
 * Visits every (output position r, tap t, input offset) pair whose tap reads inside the input:
 * r = (n, i, j) row-major, t = (a, b) of the kh x kw filter, `offset` the input pixel's first value.
 */
function forEachTap(info: Info, visit: (r: number, t: number, offset: number) => void): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  let r = 0;
  for (let n = 0; n < B; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++, r++)
        for (let a = 0; a < kh; a++) {
          const y = i * sh - padInfo.top + a;
          if (y < 0 || y >= H) continue;
          for (let b = 0; b < kw; b++) {
            const x = j * sw - padInfo.left + b;
            if (x >= 0 && x < W) visit(r, a * kw + b, ((n * H + y) * W + x) * C);
          }
        }
}

/** A plain [1, m, k] . [1, k, n] product on the wasm backend; `a` and `b` are reshaped views. */
function matMul(backend: unknown, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  if (!kernel) throw new Error('the wasm convolution kernels need the BatchMatMul kernel');
  return kernel.kernelFunc({
    inputs: { a, b },
    backend: backend as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

const view = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

const conv2dBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmInternals;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
  const { info, rows, C, K } = convProduct(x.shape, a.filterShape, a, 'Conv2DBackpropFilter');
  const pt = b.makeOutput([1, K, rows], 'float32');
  try {
    // views are taken after the allocation (an allocation may move the wasm heap); padding stays 0
    const xs = b.typedArrayFromHeap(x);
    const p = b.typedArrayFromHeap(pt);
    p.fill(0);
    forEachTap(info, (r, t, offset) => {
      for (let c = 0; c < C; c++) p[(t * C + c) * rows + r] = xs[offset + c];
    });
    const out = matMul(backend, pt, view(dy, [1, rows, info.outChannels]));
    return view(out, [...a.filterShape]);
  } finally {
    b.disposeData(pt.dataId);
  }
};

const conv2dBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmInternals;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
  const { info, rows, C, K } = convProduct(a.inputShape, filter.shape, a, 'Conv2DBackpropInput');
  const Co = info.outChannels;
  const wt = b.makeOutput([1, Co, K], 'float32');
  let cols: tf.TensorInfo | null = null;
  try {
    const w = b.typedArrayFromHeap(filter);
    const t = b.typedArrayFromHeap(wt);
    for (let k = 0; k < K; k++) for (let o = 0; o < Co; o++) t[o * K + k] = w[k * Co + o];
    cols = matMul(backend, view(dy, [1, rows, Co]), wt);
    const dx = b.makeOutput([...a.inputShape], 'float32');
    const out = b.typedArrayFromHeap(dx);
    const cv = b.typedArrayFromHeap(cols);
    out.fill(0);
    forEachTap(info, (r, tap, offset) => {
      const from = r * K + tap * C;
      for (let c = 0; c < C; c++) out[offset + c] += cv[from + c];
    });
    return dx;
  } finally {
    b.disposeData(wt.dataId);
    if (cols) b.disposeData(cols.dataId);
  }
};

const OURS: Array<[string, tf.KernelFunc]> = [
  ['Conv2DBackpropInput', conv2dBackpropInput],
  ['Conv2DBackpropFilter', conv2dBackpropFilter],
];

/**
 * Registers both kernels for wasm in place of what is there. Idempotent; called after the wasm
 * backend loads, since loading it registers its own kernels over ours.
 */
export function registerWasmConvKernels(): void {
  for (const [kernelName, kernelFunc] of OURS) {
    const now = tf.getKernel(kernelName, 'wasm');
    if (now?.kernelFunc === kernelFunc) continue;
    if (now) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
