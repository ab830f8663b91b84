// Fused kernels of this project, registered for the backends whose tensor memory JavaScript can
// read and write directly: wasm (the tensor lives in the module's heap) and cpu (a typed array).
// Every other backend (tfjs-node, webgl) has no such kernel; callers ask `hasFusedAdam()` and then
// fall back to tfjs's own operations. Why: on wasm each small kernel costs ~55 us of dispatch and
// Adam is about ten element-wise kernels per variable (docs/ENGINE.md).
import * as tf from '@tensorflow/tfjs';
import { wasmAdamOn, type WasmAdam } from '../engine/wasm-adam.ts';

export const FUSED_ADAM = 'HnnFusedAdam';

/** Attributes of one fused Adam update (constants already reduced to what the update uses). */
export interface FusedAdamAttrs {
  /** Number of gradient parts of each variable (a variable's gradient is the sum of its parts). */
  parts: number[];
  /** Coupled L2 coefficient of each variable (0: none). */
  weightDecay: number[];
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  sqrtBc2: number;
}

/**
 * One Adam update of every variable, element by element, with each float32 operation rounded as the
 * op-by-op path in ../train/adam.ts rounds it (Math.fround after every step: float64 arithmetic
 * rounded to float32 equals float32 arithmetic for + - * / sqrt, so the two paths agree bit for bit).
 * Inputs of variable i: theta, m, v and its gradient parts; outputs theta', m', v'.
 */
function update(
  theta: Float32Array,
  m: Float32Array,
  v: Float32Array,
  parts: Float32Array[],
  outTheta: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
  wd: number,
  a: FusedAdamAttrs,
): void {
  const f = Math.fround;
  const [wdF, b1F, c1F, b2F, c2F] = [f(wd), f(a.beta1), f(1 - a.beta1), f(a.beta2), f(1 - a.beta2)];
  const [bcF, epsF, lrF] = [f(a.sqrtBc2), f(a.eps), f(a.stepSize)];
  const [g0, g1] = [parts[0], parts.length > 1 ? parts[1] : null];
  const more = parts.slice(2);
  for (let i = 0; i < theta.length; i++) {
    const th = theta[i];
    let g = g1 ? f(g0[i] + g1[i]) : g0[i];
    for (const p of more) g = f(g + p[i]);
    if (wd > 0) g = f(g + f(th * wdF));
    const mi = f(f(m[i] * b1F) + f(g * c1F));
    const vi = f(f(v[i] * b2F) + f(f(g * g) * c2F));
    const denom = f(f(f(Math.sqrt(vi)) / bcF) + epsF);
    outTheta[i] = f(th - f(f(mi / denom) * lrF));
    outM[i] = mi;
    outV[i] = vi;
  }
}

// The same update as a WebAssembly function over the wasm backend's own memory (src/engine/wasm-adam.ts):
// scalar f32 operations are IEEE single precision, so it equals update() bit for bit, without the cost
// of rounding float64 results in JavaScript; if that memory is not reachable, update() runs instead.

let wasmLoopAllowed = true;

/** Tests: false runs the JavaScript loop on wasm too (both must give the same bits). */
export function useWasmAdamLoop(on: boolean): void {
  wasmLoopAllowed = on;
}

/** Reads and allocates tensor memory on one backend. */
interface Memory {
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates all outputs first, then hands out views (on wasm an allocation may move the heap). */
  allocate(shapes: number[][]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
  /** The update as a function over this memory, taking views' byte offsets (wasm only). */
  native?: () => WasmAdam | null;
}

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  wasm?: { asm?: { memory?: unknown } };
}

interface CpuBackendInternals {
  readSync(dataId: unknown): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function wasmMemory(backend: unknown): Memory | null {
  const b = backend as Partial<WasmBackendInternals>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') return null;
  const w = b as WasmBackendInternals;
  const memory = w.wasm?.asm?.memory;
  return {
    // a view, valid until the next allocation: taken only after allocate()
    read: (t) => w.typedArrayFromHeap(t),
    allocate: (shapes) => {
      const infos = shapes.map((s) => w.makeOutput(s, 'float32'));
      return { infos, views: () => infos.map((t) => w.typedArrayFromHeap(t)) };
    },
    native: () => (wasmLoopAllowed && memory instanceof WebAssembly.Memory ? wasmAdamOn(memory) : null),
  };
}

function cpuMemory(backend: unknown): Memory | null {
  const b = backend as Partial<CpuBackendInternals>;
  if (typeof b.readSync !== 'function' || typeof b.makeTensorInfo !== 'function') return null;
  const c = b as CpuBackendInternals;
  return {
    read: (t) => c.readSync(t.dataId),
    allocate: (shapes) => {
      const arrays = shapes.map((s) => new Float32Array(s.reduce((x, y) => x * y, 1)));
      const infos = shapes.map((s, i) => c.makeTensorInfo(s, 'float32', arrays[i]));
      return { infos, views: () => arrays };
    },
  };
}

const MEMORY: Record<string, (backend: unknown) => Memory | null> = { wasm: wasmMemory, cpu: cpuMemory };

function fusedAdamKernel(memoryOf: (backend: unknown) => Memory | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const mem = memoryOf(backend);
    if (!mem) throw new Error(`${FUSED_ADAM}: this backend's tensor memory is not reachable`);
    const a = attrs as unknown as FusedAdamAttrs;
    const input = (name: string): tf.TensorInfo => {
      const t = inputs[name];
      if (!t) throw new Error(`${FUSED_ADAM}: input ${name} missing`);
      return t;
    };
    const thetas = a.parts.map((_, i) => input(`theta${i}`));
    const { infos, views } = mem.allocate(thetas.flatMap((t) => [t.shape, t.shape, t.shape]));
    const out = views();
    const native = mem.native?.() ?? null;
    const f = Math.fround;
    a.parts.forEach((count, i) => {
      const parts = Array.from({ length: count }, (_, j) => mem.read(input(`g${i}_${j}`)));
      const [th, m, v] = [mem.read(thetas[i]), mem.read(input(`m${i}`)), mem.read(input(`v${i}`))];
      for (const p of parts) if (p.length !== th.length) throw new Error(`${FUSED_ADAM}: gradient of variable ${i} has the wrong size`);
      const [oTh, oM, oV] = [out[3 * i], out[3 * i + 1], out[3 * i + 2]];
      const wd = a.weightDecay[i];
      const views = [th, m, v, ...parts, oTh, oM, oV];
      if (native && count <= 2 && views.every((x) => x.buffer === th.buffer)) {
        const flags = (count === 2 ? 1 : 0) | (wd > 0 ? 2 : 0);
        const [g0, g1] = [parts[0].byteOffset, count === 2 ? parts[1].byteOffset : 0];
        const constants = [wd, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.sqrtBc2, a.eps, a.stepSize].map(f);
        native(
          th.byteOffset,
          m.byteOffset,
          v.byteOffset,
          g0,
          g1,
          oTh.byteOffset,
          oM.byteOffset,
          oV.byteOffset,
          th.length,
          flags,
          ...constants,
        );
      } else {
        update(th, m, v, parts, oTh, oM, oV, wd, a);
      }
    });
    return infos;
  };
}

let registered = false;

/** Registers the fused kernels for wasm and cpu (once per process; other backends get none). */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, memoryOf] of Object.entries(MEMORY)) {
    tf.registerKernel({ kernelName: FUSED_ADAM, backendName, kernelFunc: fusedAdamKernel(memoryOf) });
  }
}

/** True when the current backend runs the fused Adam kernel. */
export function hasFusedAdam(): boolean {
  const name = tf.getBackend();
  const memoryOf = MEMORY[name];
  return registered && memoryOf !== undefined && tf.getKernel(FUSED_ADAM, name) !== undefined && memoryOf(tf.backend()) !== null;
}

/** Which loop the fused Adam kernel runs on the current backend: the assembled wasm function, JavaScript, or none (no kernel). */
export function fusedAdamLoop(): 'wasm' | 'js' | 'none' {
  if (!hasFusedAdam()) return 'none';
  return MEMORY[tf.getBackend()]!(tf.backend())?.native?.() ? 'wasm' : 'js';
}

/** Runs the fused Adam kernel: returns [theta', m', v'] per variable, in order. */
export function fusedAdam(theta: tf.Tensor[], m: tf.Tensor[], v: tf.Tensor[], grads: tf.Tensor[][], attrs: FusedAdamAttrs): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = {};
  theta.forEach((t, i) => {
    inputs[`theta${i}`] = t;
    inputs[`m${i}`] = m[i];
    inputs[`v${i}`] = v[i];
    grads[i].forEach((g, j) => (inputs[`g${i}_${j}`] = g));
  });
  return tf.engine().runKernel(FUSED_ADAM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
