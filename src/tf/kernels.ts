// Fused kernels of this project, registered for the backends whose tensor memory JavaScript can
// read and write directly: wasm (the tensor lives in the module's heap) and cpu (a typed array).
// Every other backend (tfjs-node, webgl) has no such kernel; callers ask `hasFusedAdam()` and then
// fall back to tfjs's own operations. Why: on wasm each small kernel costs ~55 us of dispatch and
// Adam is about ten element-wise kernels per variable (docs/TFJS.md, fact 4).
import * as tf from '@tensorflow/tfjs';

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

// The same update as a WebAssembly function over the wasm backend's own memory: scalar f32
// operations are IEEE single precision, so it equals update() bit for bit, without the cost of
// rounding float64 results in JavaScript (~14 ms -> ~2 ms for the pixel model's 830k parameters).
// It is assembled here from its opcodes (below) and instantiated on the backend's exported
// WebAssembly.Memory; if that memory is not reachable, update() runs instead.

/** adam(theta, m, v, g0, g1, outTheta, outM, outV, n, flags, wd, b1, c1, b2, c2, bc, eps, lr): pointers are byte offsets. */
type WasmAdam = (...args: number[]) => void;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const str = (s: string) => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

/** The module's bytes: one function `adam` importing `env.memory`. */
function adamModuleBytes(): Uint8Array<ArrayBuffer> {
  const [I32, F32] = [0x7f, 0x7d];
  // parameters 0-7 pointers, 8 n, 9 flags (1: second gradient part, 2: weight decay), 10-17 constants
  const [theta, m, v, g0, g1, outTheta, outM, outV, n, flags, wd, b1, c1, b2, c2, bc, eps, lr] = Array.from({ length: 18 }, (_, i) => i);
  const [o, end, th, g, mi, vi] = [18, 19, 20, 21, 22, 23]; // locals: byte offset, end offset, f32 temporaries
  const op = (...parts: Array<number | number[]>) => parts.flat();
  const [BLOCK, LOOP, IF, END] = [[0x02, 0x40], [0x03, 0x40], [0x04, 0x40], 0x0b];
  const [I_ADD, I_AND, I_SHL, I_GE_U] = [0x6a, 0x71, 0x74, 0x4f];
  const [F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT] = [0x92, 0x93, 0x94, 0x95, 0x91];
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const int = (k: number) => [0x41, k];
  const load = (ptr: number) => op(get(ptr), get(o), I_ADD, 0x2a, 2, 0); // f32.load (ptr + o), align 4
  const store = (ptr: number, value: number[]) => op(get(ptr), get(o), I_ADD, value, 0x38, 2, 0); // f32.store
  const body = [
    op(2, 2, I32, 4, F32), // locals: 2 i32, 4 f32
    op(get(n), int(2), I_SHL, set(end)), // end = 4 n
    op(BLOCK, LOOP),
    op(get(o), get(end), I_GE_U, 0x0d, 1), // break when o >= end
    op(load(theta), set(th)),
    op(load(g0), set(g)),
    op(get(flags), int(1), I_AND, IF, get(g), load(g1), F_ADD, set(g), END), // g = g0 + g1
    op(get(flags), int(2), I_AND, IF, get(g), get(th), get(wd), F_MUL, F_ADD, set(g), END), // g += th wd
    op(load(m), get(b1), F_MUL, get(g), get(c1), F_MUL, F_ADD, set(mi)), // mi = m b1 + g c1
    op(load(v), get(b2), F_MUL, get(g), get(g), F_MUL, get(c2), F_MUL, F_ADD, set(vi)), // vi = v b2 + g^2 c2
    op(store(outM, get(mi)), store(outV, get(vi))),
    // theta' = theta - (mi / (sqrt(vi) / bc + eps)) lr
    store(outTheta, op(get(th), get(mi), get(vi), F_SQRT, get(bc), F_DIV, get(eps), F_ADD, F_DIV, get(lr), F_MUL, F_SUB)),
    op(get(o), int(4), I_ADD, set(o)), // o += 4
    op(0x0c, 0, END, END), // continue; end loop, end block
    op(END), // end of the function
  ].flat();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 18, ...Array(10).fill(I32), ...Array(8).fill(F32), 0]), // type: 18 params, no result
    ...section(2, [1, ...str('env'), ...str('memory'), 0x02, 0x00, 0]), // import env.memory, min 0 pages
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, ...str('adam'), 0x00, 0]), // export it as "adam"
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

const wasmAdams = new WeakMap<WebAssembly.Memory, WasmAdam | null>();

/** The assembled function on this memory, or null if it cannot be instantiated. */
function wasmAdamOn(memory: WebAssembly.Memory): WasmAdam | null {
  let fn = wasmAdams.get(memory);
  if (fn === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(adamModuleBytes()), { env: { memory } });
      fn = instance.exports.adam as WasmAdam;
    } catch {
      fn = null;
    }
    wasmAdams.set(memory, fn);
  }
  return fn;
}

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
