// Adam's update of one variable as a WebAssembly function, assembled here from its opcodes and
// instantiated on a given WebAssembly.Memory: one pass over theta, m, v and up to two gradient parts,
// each f32 operation rounded as src/train/adam-formula.ts's op-by-op form rounds it (IEEE single
// precision), so it equals that formula bit for bit. The tfjs wasm backend runs it on its own heap
// (src/tf/kernels.ts); the ORT engine on the memory that holds its weights (src/train/engine-ort.ts).
/** adam(theta, m, v, g0, g1, outTheta, outM, outV, n, flags, wd, b1, c1, b2, c2, bc, eps, lr): pointers are byte offsets. */
export type WasmAdam = (...args: number[]) => void;

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

// Value types, control instructions and arithmetic opcodes of the WebAssembly binary format.
const [I32, F32, V128] = [0x7f, 0x7d, 0x7b];
const [BLOCK, LOOP, IF, END] = [[0x02, 0x40], [0x03, 0x40], [0x04, 0x40], 0x0b];
const [I_ADD, I_AND, I_SHL, I_GE_U] = [0x6a, 0x71, 0x74, 0x4f];
const [F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT] = [0x92, 0x93, 0x94, 0x95, 0x91];
const simdOp = (code: number) => [0xfd, ...leb(code)];
const [V_ADD, V_SUB, V_MUL, V_DIV, V_SQRT, V_SPLAT] = [0xe4, 0xe5, 0xe6, 0xe7, 0xe3, 0x13].map(simdOp);
const [V_ABS, V_LT, V_ANDNOT] = [0xe0, 0x43, 0x4f].map(simdOp);
const [F_ABS, F_LT, SELECT] = [0x8b, 0x5d, 0x1b];
/** The smallest normal f32: stored values below it in magnitude are written as 0 (see flush). */
const F32_MIN_NORMAL = 1.1754943508222875e-38;
const f32const = (x: number) => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];

// Parameters 0-7 pointers, 8 n, 9 flags (1: second gradient part, 2: weight decay), 10-17 constants.
const [THETA, M, V, G0, G1, OUT_THETA, OUT_M, OUT_V, N, FLAGS, WD, B1, C1, B2, C2, BC, EPS, LR] = Array.from({ length: 18 }, (_, i) => i);
const CONSTANTS = [WD, B1, C1, B2, C2, BC, EPS, LR];
// Locals: byte offset, end offset, end of the 16-byte blocks; f32 temporaries; v128 temporaries,
// then the splatted constants from 29 on, then F32_MIN_NORMAL splatted (MIN4).
const [O, END_O, END4, TH, G, MI, VI] = [18, 19, 20, 21, 22, 23, 24];
const [TH4, G4, MI4, VI4] = [25, 26, 27, 28];

/** Concatenates instructions: numbers are bytes, arrays their bytes in order. */
const op = (...parts: Array<number | number[]>) => parts.flat();
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const int = (k: number) => [0x41, k];
const load = (ptr: number) => op(get(ptr), get(O), I_ADD, 0x2a, 2, 0); // f32.load (ptr + o), align 4
const store = (ptr: number, value: number[]) => op(get(ptr), get(O), I_ADD, value, 0x38, 2, 0); // f32.store
const load4 = (ptr: number) => op(get(ptr), get(O), I_ADD, simdOp(0x00), 2, 0); // v128.load, align 4
const store4 = (ptr: number, value: number[]) => op(get(ptr), get(O), I_ADD, value, simdOp(0x0b), 2, 0); // v128.store
/** The v128 local holding constant parameter i splatted to four lanes. */
const splat = (i: number) => 29 + CONSTANTS.indexOf(i);
/** The v128 local holding F32_MIN_NORMAL in four lanes. */
const MIN4 = 29 + CONSTANTS.length;

/**
 * Subnormal results written as 0 (flush to zero), as ONNX Runtime's sessions run (src/engine/ort.ts):
 * coupled weight decay drives the weights that get no gradient (an encoder's weights on pixels that
 * never change) into the subnormal range, where the CPU's arithmetic on them is many times slower,
 * and WebAssembly has no flush-to-zero mode. A NaN is kept (|NaN| < min is false).
 */
const flush = (local: number) => op(f32const(0), get(local), get(local), F_ABS, f32const(F32_MIN_NORMAL), F_LT, SELECT, set(local));
const flush4 = (local: number) => op(get(local), get(local), V_ABS, get(MIN4), V_LT, V_ANDNOT, set(local));
const c = (i: number) => get(splat(i));

/**
 * Four values per pass (f32x4) up to the last whole 16-byte block; each lane rounds as the scalar
 * f32 operations do, so the bits equal the scalar loop's. Leaves o at the first value not done.
 */
function vectorLoop(): number[] {
  return [
    ...CONSTANTS.map((i) => op(get(i), V_SPLAT, set(splat(i)))),
    op(f32const(F32_MIN_NORMAL), V_SPLAT, set(MIN4)),
    op(get(END_O), [0x41, 0x70], I_AND, set(END4)), // end4 = end & -16
    op(BLOCK, LOOP),
    op(get(O), get(END4), I_GE_U, 0x0d, 1),
    op(load4(THETA), set(TH4), load4(G0), set(G4)),
    op(get(FLAGS), int(1), I_AND, IF, get(G4), load4(G1), V_ADD, set(G4), END),
    op(get(FLAGS), int(2), I_AND, IF, get(G4), get(TH4), c(WD), V_MUL, V_ADD, set(G4), END),
    op(load4(M), c(B1), V_MUL, get(G4), c(C1), V_MUL, V_ADD, set(MI4)),
    op(load4(V), c(B2), V_MUL, get(G4), get(G4), V_MUL, c(C2), V_MUL, V_ADD, set(VI4)),
    op(get(TH4), get(MI4), get(VI4), V_SQRT, c(BC), V_DIV, c(EPS), V_ADD, V_DIV, c(LR), V_MUL, V_SUB, set(TH4)),
    op(flush4(MI4), flush4(VI4), flush4(TH4)),
    op(store4(OUT_M, get(MI4)), store4(OUT_V, get(VI4)), store4(OUT_THETA, get(TH4))),
    op(get(O), int(16), I_ADD, set(O)),
    op(0x0c, 0, END, END),
  ].flat();
}

/** One value per pass from o to the end: the whole update without SIMD, or the last n mod 4 after vectorLoop. */
function scalarLoop(): number[] {
  return [
    op(BLOCK, LOOP),
    op(get(O), get(END_O), I_GE_U, 0x0d, 1), // break when o >= end
    op(load(THETA), set(TH)),
    op(load(G0), set(G)),
    op(get(FLAGS), int(1), I_AND, IF, get(G), load(G1), F_ADD, set(G), END), // g = g0 + g1
    op(get(FLAGS), int(2), I_AND, IF, get(G), get(TH), get(WD), F_MUL, F_ADD, set(G), END), // g += th wd
    op(load(M), get(B1), F_MUL, get(G), get(C1), F_MUL, F_ADD, set(MI)), // mi = m b1 + g c1
    op(load(V), get(B2), F_MUL, get(G), get(G), F_MUL, get(C2), F_MUL, F_ADD, set(VI)), // vi = v b2 + g^2 c2
    // theta' = theta - (mi / (sqrt(vi) / bc + eps)) lr; then the three flushed and stored
    op(get(TH), get(MI), get(VI), F_SQRT, get(BC), F_DIV, get(EPS), F_ADD, F_DIV, get(LR), F_MUL, F_SUB, set(TH)),
    op(flush(MI), flush(VI), flush(TH)),
    op(store(OUT_M, get(MI)), store(OUT_V, get(VI)), store(OUT_THETA, get(TH))),
    op(get(O), int(4), I_ADD, set(O)), // o += 4
    op(0x0c, 0, END, END), // continue; end loop, end block
  ].flat();
}

/**
 * The module's bytes: one function `adam` importing `env.memory`. With `simd`, a first loop updates
 * four values at a time (f32x4: each lane rounds as the scalar f32 operations do, so the bits are the
 * same), and the scalar loop finishes the last n mod 4.
 */
function adamModuleBytes(simd: boolean): Uint8Array<ArrayBuffer> {
  const body = [
    op(3, 3, I32, 4, F32, 13, V128), // locals: 3 i32, 4 f32, 13 v128
    op(get(N), int(2), I_SHL, set(END_O)), // end = 4 n
    simd ? vectorLoop() : [],
    scalarLoop(),
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

let simdAllowed = true;

/** True when this engine validates the SIMD form (Node 20+ and current browsers do). */
export function wasmAdamHasSimd(): boolean {
  return WebAssembly.validate(adamModuleBytes(true));
}

/** Tests: false assembles the scalar loop only (both must give the same bits). */
export function useWasmAdamSimd(on: boolean): void {
  simdAllowed = on;
}

const wasmAdams = new WeakMap<WebAssembly.Memory, WasmAdam | null>();

/** The assembled function on this memory, or null if it cannot be instantiated. */
export function wasmAdamOn(memory: WebAssembly.Memory): WasmAdam | null {
  let fn = wasmAdams.get(memory);
  if (fn === undefined) {
    try {
      // the SIMD loop where the engine has WebAssembly SIMD, else the scalar loop alone
      const bytes = simdAllowed && WebAssembly.validate(adamModuleBytes(true)) ? adamModuleBytes(true) : adamModuleBytes(false);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      fn = instance.exports.adam as WasmAdam;
    } catch {
      fn = null;
    }
    wasmAdams.set(memory, fn);
  }
  return fn;
}
