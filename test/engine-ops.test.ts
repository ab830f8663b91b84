// The engine's three lowerings of every op agree: ONNX (recorded into a graph, run by ONNX Runtime),
// tfjs (eager, on wasm) and the float64 loops, on random inputs; convolutions included, whose ONNX
// form (Conv / ConvTranspose with NHWC transposes, the filter gradient as a dilated Conv) is checked
// against the plain loops. Also: an ONNX file round-trips through the encoder.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { F64Ops, type F64 } from '../src/engine/f64-ops.ts';
import { OnnxGraph, type Sym } from '../src/engine/onnx-graph.ts';
import { OnnxOps } from '../src/engine/onnx-ops.ts';
import { decodeModel } from '../src/engine/onnx-proto.ts';
import { runGraphOnce } from '../src/engine/ort.ts';
import { TfjsOps } from '../src/engine/tfjs-ops.ts';
import { sizeOf, type Ops } from '../src/engine/ops.ts';
import { Rng } from '../src/util/rng.ts';

type Case = { name: string; inputs: number[][]; run: <T>(o: Ops<T>, xs: T[]) => T };

const S4 = (s: number[]) => s as unknown as [number, number, number, number];

const CASES: Case[] = [
  {
    name: 'matMul',
    inputs: [
      [5, 4],
      [4, 3],
    ],
    run: (o, [a, b]) => o.matMul(a, b),
  },
  {
    name: 'matMul transA',
    inputs: [
      [4, 5],
      [4, 3],
    ],
    run: (o, [a, b]) => o.matMul(a, b, true),
  },
  {
    name: 'matMul transB',
    inputs: [
      [5, 4],
      [3, 4],
    ],
    run: (o, [a, b]) => o.matMul(a, b, false, true),
  },
  { name: 'affine', inputs: [[5, 4], [4, 3], [3]], run: (o, [a, w, b]) => o.affine(a, w, b) },
  {
    name: 'broadcast ops',
    inputs: [
      [5, 3],
      [1, 3],
      [5, 3],
    ],
    run: (o, [a, b, c]) => o.div(o.mul(o.sub(o.add(a, b), c), a), o.add(o.square(b), o.scalar(1))),
  },
  {
    name: 'addN, scale, neg',
    inputs: [
      [4, 3],
      [4, 3],
      [4, 3],
    ],
    run: (o, xs) => o.neg(o.scale(o.addN(xs), 0.3)),
  },
  { name: 'tanh, sqrt', inputs: [[4, 3]], run: (o, [a]) => o.add(o.tanh(a), o.sqrt(o.square(a))) },
  {
    name: 'relu and its backward',
    inputs: [
      [6, 3],
      [6, 3],
    ],
    run: (o, [a, dy]) => o.reluBackward(dy, o.relu(a)),
  },
  { name: 'colSums', inputs: [[7, 3]], run: (o, [a]) => o.colSums(a) },
  { name: 'rowMeans', inputs: [[7, 3]], run: (o, [a]) => o.rowMeans(a) },
  {
    name: 'mean, stack',
    inputs: [
      [7, 3],
      [2, 2],
    ],
    run: (o, [a, b]) => o.stack([o.mean(a), o.mean(b)]),
  },
  {
    name: 'slices, concat',
    inputs: [[6, 4]],
    run: (o, [a]) => o.concat([o.sliceCols(o.sliceRows(a, 1, 3), 1, 2), o.sliceCols(o.sliceRows(a, 3, 3), 0, 1)], 1),
  },
  {
    name: 'concat rows, padCols',
    inputs: [
      [2, 3],
      [3, 3],
    ],
    run: (o, [a, b]) => o.padCols(o.concat([a, b], 0), 1, 2),
  },
  {
    name: 'gather rows and columns (reordered, repeated)',
    inputs: [[5, 4]],
    run: (o, [a]) => o.gather(o.gather(a, Int32Array.of(4, 0, 2, 0), 0), Int32Array.of(3, 1, 1), 1),
  },
  { name: 'reshape, transpose', inputs: [[2, 12]], run: (o, [a]) => o.reshape(o.transpose(o.reshape(a, [2, 3, 4]), [0, 2, 1]), [4, 6]) },
  {
    name: 'conv2d stride 2',
    inputs: [
      [2, 8, 8, 3],
      [3, 3, 3, 4],
    ],
    run: (o, [x, f]) => o.conv2d(x, f, 2),
  },
  {
    name: 'conv2d stride 1',
    inputs: [
      [1, 5, 6, 2],
      [3, 3, 2, 3],
    ],
    run: (o, [x, f]) => o.conv2d(x, f, 1),
  },
  {
    name: 'conv2d backprop input',
    inputs: [
      [2, 4, 4, 4],
      [3, 3, 3, 4],
    ],
    run: (o, [dy, f]) => o.conv2dBackpropInput(dy, f, S4([2, 8, 8, 3]), 2),
  },
  {
    name: 'conv2d backprop filter',
    inputs: [
      [2, 8, 8, 3],
      [2, 4, 4, 4],
    ],
    run: (o, [x, dy]) => o.conv2dBackpropFilter(x, dy, S4([3, 3, 3, 4]), 2),
  },
  {
    name: 'conv2d backprop filter, odd size',
    inputs: [
      [1, 7, 7, 2],
      [1, 4, 4, 3],
    ],
    run: (o, [x, dy]) => o.conv2dBackpropFilter(x, dy, S4([3, 3, 2, 3]), 2),
  },
];

function randomInputs(shapes: number[][], seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return shapes.map((s) => Float32Array.from({ length: sizeOf(s) }, () => rng.range(-1, 1)));
}

async function viaOnnx(c: Case, values: Float32Array[]): Promise<Float32Array> {
  const g = new OnnxGraph();
  const xs = c.inputs.map((s, i) => g.input(`x${i}`, s));
  g.output('y', c.run<Sym>(new OnnxOps(g), xs));
  const feeds = Object.fromEntries(values.map((v, i) => [`x${i}`, { data: v, shape: c.inputs[i] }]));
  return (await runGraphOnce(g.toModel(c.name), feeds)).y;
}

function viaTfjs(c: Case, values: Float32Array[]): Float32Array {
  return tf
    .tidy(() =>
      c.run<tf.Tensor>(
        new TfjsOps(),
        values.map((v, i) => tf.tensor(v, c.inputs[i])),
      ),
    )
    .dataSync() as Float32Array;
}

const viaF64 = (c: Case, values: Float32Array[]): F64 =>
  c.run<F64>(
    new F64Ops(),
    values.map((v, i) => ({ shape: c.inputs[i], data: Float64Array.from(v) })),
  );

const gap = (a: ArrayLike<number>, ref: Float64Array) => {
  const scale = Math.max(...Array.from(ref, Math.abs), 1e-30);
  return Math.max(...Array.from(ref, (r, i) => Math.abs(a[i] - r))) / scale;
};

describe('the three lowerings of the engine ops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const c of CASES) {
    it(`${c.name}: ONNX Runtime and tfjs agree with float64 to float32 rounding`, async () => {
      const values = randomInputs(c.inputs, c.name.length);
      const ref = viaF64(c, values);
      const onnx = await viaOnnx(c, values);
      const tfjs = viaTfjs(c, values);
      expect(onnx.length).toBe(ref.data.length);
      expect(tfjs.length).toBe(ref.data.length);
      expect(gap(onnx, ref.data)).toBeLessThan(1e-6);
      expect(gap(tfjs, ref.data)).toBeLessThan(1e-6);
    });
  }

  it('an ONNX graph and its shapes survive encoding, and a wrong shape is refused while recording', () => {
    const g = new OnnxGraph();
    const o = new OnnxOps(g);
    const a = g.input('a', [3, 4]);
    g.output('y', o.matMul(a, o.constant(new Float32Array(8), [4, 2])));
    const m = decodeModel(g.toModel('t'));
    expect(m.graph.node.map((n) => n.opType)).toEqual(['MatMul']);
    expect(m.graph.input[0].type.tensorType.shape.dim.map((d) => Number(d.dimValue))).toEqual([3, 4]);
    expect(m.graph.output[0].name).toBe('y');
    expect(() => o.matMul(a, a)).toThrow(/matMul of \[3, 4\] and \[3, 4\]/);
    expect(() => o.add(a, g.input('b', [2, 4]))).toThrow(/do not broadcast/);
  });
});
