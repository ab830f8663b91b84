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
export function wasmAdamOn(memory: WebAssembly.Memory): WasmAdam | null {
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
