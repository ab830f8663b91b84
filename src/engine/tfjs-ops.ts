// Ops lowered to eager TensorFlow.js calls, for the tfjs backends (wasm, cpu, tfjs-node, webgl in
// the page). Call inside tf.tidy. Conventions that keep the kernel count low on wasm, where each
// small kernel costs tens of microseconds of dispatch (docs/ENGINE.md):
// - plain matMuls only, the operands transposed explicitly (a transposed matMul is ~10x slower on
//   wasm); a tensor's transpose is made once per TfjsOps and reused (make one TfjsOps per step);
// - column sums as row sums of the transpose (a sum over axis 0 is several times slower on wasm).
// tanh is tf.tanh: the definitions differentiate by hand, never through tfjs's tape, so its
// second-order gradient (wrong in tfjs 4.22) is never taken.
import * as tf from '@tensorflow/tfjs';
import type { Ops } from './ops.ts';

type Shape4 = readonly [number, number, number, number];

export class TfjsOps implements Ops<tf.Tensor> {
  readonly name = 'tfjs';
  private readonly transposes = new Map<number, tf.Tensor>();

  shape(t: tf.Tensor): readonly number[] {
    return t.shape;
  }
  constant(values: Float32Array, shape: readonly number[]): tf.Tensor {
    return tf.tensor(values, [...shape]);
  }
  scalar(value: number): tf.Tensor {
    return tf.scalar(value);
  }
  zeros(shape: readonly number[]): tf.Tensor {
    return tf.zeros([...shape]);
  }

  private transposed(a: tf.Tensor): tf.Tensor {
    let t = this.transposes.get(a.id);
    if (!t) {
      t = tf.transpose(a);
      this.transposes.set(a.id, t);
    }
    return t;
  }
  matMul(a: tf.Tensor, b: tf.Tensor, transA = false, transB = false): tf.Tensor {
    return tf.matMul((transA ? this.transposed(a) : a) as tf.Tensor2D, (transB ? this.transposed(b) : b) as tf.Tensor2D);
  }
  affine(a: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    // not tf.fused.matMul: the same time here, but three Reshape kernels and a custom-gradient op more
    return tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), bias);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }
  addN(ts: readonly tf.Tensor[]): tf.Tensor {
    return ts.length === 1 ? ts[0] : tf.addN([...ts]);
  }
  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b);
  }
  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }
  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b);
  }
  scale(a: tf.Tensor, c: number): tf.Tensor {
    return tf.mul(a, c);
  }
  neg(a: tf.Tensor): tf.Tensor {
    return tf.neg(a);
  }
  square(a: tf.Tensor): tf.Tensor {
    return tf.square(a);
  }
  sqrt(a: tf.Tensor): tf.Tensor {
    return tf.sqrt(a);
  }
  tanh(a: tf.Tensor): tf.Tensor {
    return tf.tanh(a); // second-order-safe: never differentiated by tfjs (see the header)
  }
  relu(a: tf.Tensor): tf.Tensor {
    return tf.relu(a);
  }
  reluBackward(dy: tf.Tensor, out: tf.Tensor): tf.Tensor {
    return tf.mul(dy, tf.step(out));
  }

  colSums(a: tf.Tensor): tf.Tensor {
    return tf.sum(tf.transpose(a), 1);
  }
  rowMeans(a: tf.Tensor): tf.Tensor {
    return tf.mean(a, 1);
  }
  mean(a: tf.Tensor): tf.Tensor {
    return tf.mean(a);
  }

  sliceRows(a: tf.Tensor, start: number, count: number): tf.Tensor {
    return tf.slice(a, [start, 0], [count, -1]);
  }
  sliceCols(a: tf.Tensor, start: number, count: number): tf.Tensor {
    return tf.slice(a, [0, start], [-1, count]);
  }
  gather(a: tf.Tensor, indices: Int32Array, axis: 0 | 1): tf.Tensor {
    return tf.gather(a, tf.tensor1d(indices, 'int32'), axis);
  }
  concat(ts: readonly tf.Tensor[], axis: 0 | 1): tf.Tensor {
    return ts.length === 1 ? ts[0] : tf.concat([...ts], axis);
  }
  padCols(a: tf.Tensor, before: number, after: number): tf.Tensor {
    return tf.pad(a, [
      [0, 0],
      [before, after],
    ]);
  }
  reshape(a: tf.Tensor, shape: readonly number[]): tf.Tensor {
    return tf.reshape(a, [...shape]);
  }
  transpose(a: tf.Tensor, perm: readonly number[]): tf.Tensor {
    return tf.transpose(a, [...perm]);
  }
  stack(scalars: readonly tf.Tensor[]): tf.Tensor {
    return tf.stack([...scalars]);
  }

  conv2d(x: tf.Tensor, filter: tf.Tensor, stride: number): tf.Tensor {
    return tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, 'same');
  }
  conv2dBackpropInput(dy: tf.Tensor, filter: tf.Tensor, inputShape: Shape4, stride: number): tf.Tensor {
    return tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, [...inputShape], stride, 'same');
  }
  conv2dBackpropFilter(x: tf.Tensor, dy: tf.Tensor, filterShape: Shape4, stride: number): tf.Tensor {
    const attrs = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [...filterShape] };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
}
