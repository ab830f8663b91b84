// ONNX Runtime in Node (onnxruntime-node): loading it, the session options every graph runs with,
// and a runner that feeds float32 buffers and fetches into preallocated ones (no allocation per run).
// onnxruntime-node is imported on first use, so commands that never train do not load it.
import type * as Ort from 'onnxruntime-node';
import { UserError } from '../util/errors.ts';
import { OnnxGraph } from './onnx-graph.ts';

/** Where a session runs: ONNX Runtime's CPU provider, or CUDA (needs the CUDA provider binaries). */
export type OrtProvider = 'cpu' | 'cuda';

export interface SessionSettings {
  provider: OrtProvider;
  /** Intra-op threads (the machine's cores divided by the runs that share them). */
  threads: number;
}

let loaded: Promise<typeof Ort> | null = null;

/** onnxruntime-node, loaded once; a UserError naming the fix when it cannot be loaded. */
export function loadOrt(): Promise<typeof Ort> {
  loaded ??= import('onnxruntime-node').then(
    (m) => {
      const ort = ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort;
      // ONNX Runtime's own log lines would break the one-line error promise; its failures reach us as
      // exceptions, which the callers turn into messages that name the fix
      ort.env.logLevel = 'fatal';
      return ort;
    },
    (e: Error) => {
      loaded = null;
      throw new UserError(
        `onnxruntime-node could not be loaded (${e.message.split('\n')[0]}); reinstall with \`npm install\`, or choose a tfjs backend with --backend tfjs-wasm`,
      );
    },
  );
  return loaded;
}

/** The options of every session: sequential execution, full graph optimisation, denormals flushed to zero. */
export function sessionOptions(s: SessionSettings): Ort.InferenceSession.SessionOptions {
  if (!Number.isInteger(s.threads) || s.threads < 1) throw new Error(`threads must be a positive integer, got ${s.threads}`);
  return {
    executionProviders: [s.provider],
    intraOpNumThreads: s.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // a step on a target the model learns exactly drives values into the denormal range, where the
    // CPU's arithmetic slows several times (docs/ENGINE.md, denormals)
    extra: { session: { set_denormal_as_zero: '1' } },
  };
}

/** This thread's check of the flush (checkDenormalsFlushed), made once. */
let flushChecked: Promise<void> | null = null;

/**
 * Resolves when sessions run on this thread flush denormals to zero, and rejects otherwise. ONNX
 * Runtime sets the mode for its own pool threads per session, but for the thread that calls `run`
 * only once per process: on the thread where the process's first session is made. A second Node
 * worker thread running sessions would compute without it (and threads created later inherit the
 * mode of their creator on Linux only), so its runs would differ in bytes from the same run elsewhere
 * and slow several times once values near the denormal range appear. Checked once per thread (each
 * worker thread has its own module instance) by a one-node graph: 1e-20 * 1e-20 must come out 0.
 */
function checkDenormalsFlushed(ort: typeof Ort): Promise<void> {
  flushChecked ??= (async () => {
    const g = new OnnxGraph();
    const a = g.input('a', [1]);
    g.output('y', g.node('Mul', [a, a], [1]));
    const session = await ort.InferenceSession.create(g.toModel('denormal-probe'), sessionOptions({ provider: 'cpu', threads: 1 }));
    try {
      const out = await session.run({ a: new ort.Tensor('float32', Float32Array.of(1e-20), [1]) });
      if ((out.y.data as Float32Array)[0] !== 0)
        throw new Error(
          'ONNX Runtime does not flush denormals on this thread: it sets that mode only on the thread of the process’s first session, so run every training in its own process (src/pipeline/workers.ts), not in a second worker thread',
        );
    } finally {
      await session.release();
    }
  })();
  return flushChecked;
}

/** A session made from a model's bytes; a missing provider becomes a UserError naming the fix. */
export async function createSession(model: Uint8Array, s: SessionSettings): Promise<Ort.InferenceSession> {
  const ort = await loadOrt();
  await checkDenormalsFlushed(ort);
  try {
    return await ort.InferenceSession.create(model, sessionOptions(s));
  } catch (e) {
    if (s.provider === 'cuda')
      throw new UserError(
        `ONNX Runtime's CUDA provider could not start (${(e as Error).message.split('\n')[0]}); install it with \`npm install --onnxruntime-node-install=cuda12\` on a machine with an NVIDIA GPU, or use --backend ort`,
      );
    throw e;
  }
}

/** A float32 tensor over a buffer the caller owns (ONNX Runtime reads or writes it in place). */
export function tensorOver(ort: typeof Ort, data: Float32Array, shape: readonly number[]): Ort.Tensor {
  return new ort.Tensor('float32', data, [...shape]);
}

/** Runs a graph once on the CPU (one thread) and returns every output as float32 values (tests, `hnn export` checks). */
export async function runGraphOnce(
  model: Uint8Array,
  feeds: Record<string, { data: Float32Array; shape: readonly number[] }>,
  threads = 1,
): Promise<Record<string, Float32Array>> {
  const ort = await loadOrt();
  const session = await createSession(model, { provider: 'cpu', threads });
  try {
    const inputs: Record<string, Ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = tensorOver(ort, f.data, f.shape);
    const out = await session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Float32Array.from(t.data as Float32Array)]));
  } finally {
    await session.release();
  }
}
