// Backend selection. Training runs on an engine: ONNX Runtime (the default in Node: each training step
// is one graph, src/train/engine-ort.ts) or a TensorFlow.js backend (src/train/engine-tfjs.ts).
// Evaluation, rollouts and the page run on TensorFlow.js: the best tfjs backend that loads
// (tfjs-node-gpu > tfjs-node > wasm > cpu), unless the user names one. The native tfjs packages are
// optional: imported dynamically and only if installed.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import { availableParallelism } from 'node:os';
import { createSession, loadOrt, type OrtProvider } from '../engine/ort.ts';
import { OnnxGraph } from '../engine/onnx-graph.ts';
import { installNumericalFixes } from './fixes.ts';
import { registerWasmConvKernels } from './conv-kernels.ts';
import { BACKEND_CHOICES, TFJS_CHOICES, type BackendChoice } from './choices.ts';
export { BACKEND_CHOICES, type BackendChoice } from './choices.ts';

export interface BackendInfo {
  /** What trains: "ort-cpu", "ort-cuda", or the tfjs backend ("tensorflow-gpu", "tensorflow", "wasm", "cpu"). */
  name: string;
  engine: 'ort' | 'tfjs';
  /** ONNX Runtime's execution provider (engine 'ort'). */
  ortProvider: OrtProvider | null;
  /** The tfjs backend that evaluates (and trains, with engine 'tfjs'). */
  tfjs: string;
  /** The packages that provide them. */
  package: string;
  /** Why better choices were not used (empty when the first choice loaded). */
  skipped: string[];
}

let current: { choice: string; info: BackendInfo } | null = null;

async function tryNative(pkg: string): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return `${pkg} not available (${(e as Error).message.split('\n')[0]})`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but its backend did not initialise`;
  return null;
}

async function tryWasm(): Promise<string | null> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmConvKernels(); // after the import, which registers the package's own kernels
  return (await tf.setBackend('wasm')) ? null : 'wasm backend did not initialise';
}

const TFJS_CANDIDATES: Array<[name: string, pkg: string, load: () => Promise<string | null>, choice: string]> = [
  ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu'), 'gpu'],
  ['tensorflow', '@tensorflow/tfjs-node', () => tryNative('@tensorflow/tfjs-node'), 'native'],
  ['wasm', '@tensorflow/tfjs-backend-wasm', tryWasm, 'wasm'],
  ['cpu', '@tensorflow/tfjs (pure JS)', async () => ((await tf.setBackend('cpu')) ? null : 'cpu backend did not initialise'), 'cpu'],
];

/** Starts the first tfjs candidate that loads (`only`: that one alone); its name and package, or a UserError. */
async function startTfjs(only: string | null, skipped: string[]): Promise<{ name: string; pkg: string }> {
  // tfjs's console notes (the banner suggesting tfjs-node) would break the one-line output promise
  tf.env().set('PROD', true);
  for (const [name, pkg, load, choice] of TFJS_CANDIDATES) {
    if (only !== null && choice !== only) continue;
    const why = await load();
    if (why === null) {
      await tf.ready();
      installNumericalFixes();
      return { name, pkg };
    }
    skipped.push(why);
  }
  const hint =
    only === 'gpu'
      ? 'install @tensorflow/tfjs-node-gpu (needs CUDA)'
      : only === 'native'
        ? 'install @tensorflow/tfjs-node'
        : 'use --backend auto';
  throw new UserError(`backend "tfjs-${only ?? 'auto'}" could not be loaded: ${skipped.join('; ')}; ${hint}`);
}

/** Checks that ONNX Runtime loads and, for CUDA, that its provider starts (a one-node session). */
async function startOrt(provider: OrtProvider): Promise<void> {
  await loadOrt();
  if (provider === 'cpu') return;
  const g = new OnnxGraph();
  g.output('y', g.node('Neg', [g.input('x', [1])], [1]));
  const session = await createSession(g.toModel('probe'), { provider, threads: 1 });
  await session.release();
}

/** Selects and initialises the engine and the tfjs backend; idempotent for the same choice. */
export async function initBackend(choice: string = 'auto'): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new UserError(`unknown backend "${choice}"; choose one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (current && current.choice === choice) return current.info;
  const c = choice as BackendChoice;
  const skipped: string[] = [];
  const tfjsOnly = c in TFJS_CHOICES ? TFJS_CHOICES[c as keyof typeof TFJS_CHOICES] : null;
  const evaluation = await startTfjs(tfjsOnly, skipped);
  let info: BackendInfo = {
    name: evaluation.name,
    engine: 'tfjs',
    ortProvider: null,
    tfjs: evaluation.name,
    package: evaluation.pkg,
    skipped,
  };
  if (tfjsOnly === null) {
    const provider: OrtProvider = c === 'ort-cuda' ? 'cuda' : 'cpu';
    try {
      await startOrt(provider);
      // the tfjs candidates skipped for evaluation do not concern training: not reported
      info = {
        ...info,
        name: `ort-${provider}`,
        engine: 'ort',
        ortProvider: provider,
        package: `onnxruntime-node, ${evaluation.pkg}`,
        skipped: [],
      };
    } catch (e) {
      if (c !== 'auto') throw e;
      skipped.unshift(`onnxruntime-node not available (${(e as Error).message.split(';')[0]})`);
    }
  }
  current = { choice, info };
  return info;
}

/** The backend initBackend chose last; initialises the default when none was chosen. */
export async function currentBackend(): Promise<BackendInfo> {
  return current?.info ?? initBackend('auto');
}

/** Intra-op threads of a run that shares the machine with `concurrent` runs (at least 1). */
export function threadsFor(concurrent = 1): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, concurrent)));
}

/** A note when `threads` exceed the cores: ONNX Runtime's threads then take turns on them, which is slower. */
function oversubscribed(threads: number): string {
  const cores = availableParallelism();
  return threads > cores ? ` on ${cores} core${cores > 1 ? 's' : ''}: more threads than cores, which is slower` : '';
}

/** One line for the user: which engine trains and what evaluates, and why better choices were not used. */
export function describeBackend(info: BackendInfo, threads?: number): string {
  const skipped = info.skipped.map((s) => s.replace(/ \(.*\)$/, '')).join('; ');
  const engine =
    info.engine === 'ort'
      ? `training on ONNX Runtime (${info.ortProvider}${threads ? `, ${threads} thread${threads > 1 ? 's' : ''}${oversubscribed(threads)}` : ''}), evaluation on tfjs ${info.tfjs}`
      : `training and evaluation on tfjs ${info.tfjs}`;
  return `backend: ${engine}${skipped ? `; ${skipped}` : ''}`;
}
