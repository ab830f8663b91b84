// Backend selection: the best one that loads, unless the user forces one.
// Order: TensorFlow native with CUDA (tfjs-node-gpu) > TensorFlow native (tfjs-node) > wasm > cpu.
// The native packages are optional: they are imported dynamically and only if installed.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import { installNumericalFixes } from './fixes.ts';
import { registerWasmConvKernels } from './conv-kernels.ts';

import { BACKEND_CHOICES, type BackendChoice } from './choices.ts';
export { BACKEND_CHOICES, type BackendChoice } from './choices.ts';

export interface BackendInfo {
  /** What ran: "tensorflow-gpu", "tensorflow", "wasm" or "cpu". */
  name: string;
  /** The package that provides it. */
  package: string;
  /** Why better choices were not used (empty when the first choice loaded). */
  skipped: string[];
}

let current: BackendInfo | null = null;

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

/** Selects and initialises the backend; idempotent for the same choice. */
export async function initBackend(choice: string = 'auto'): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new UserError(`unknown backend "${choice}"; choose one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (current && (choice === 'auto' || backendMatches(current, choice as BackendChoice))) return current;
  const candidates: Array<[string, string, () => Promise<string | null>]> = [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')],
    ['tensorflow', '@tensorflow/tfjs-node', () => tryNative('@tensorflow/tfjs-node')],
    ['wasm', '@tensorflow/tfjs-backend-wasm', tryWasm],
    ['cpu', '@tensorflow/tfjs (pure JS)', async () => ((await tf.setBackend('cpu')) ? null : 'cpu backend did not initialise')],
  ];
  const wanted = { auto: candidates, gpu: [candidates[0]], native: [candidates[1]], wasm: [candidates[2]], cpu: [candidates[3]] }[
    choice as BackendChoice
  ];
  const skipped: string[] = [];
  // tfjs's console notes (such as the banner suggesting tfjs-node on first use of the cpu backend)
  // would break the one-line output promise; which backend runs is said by describeBackend
  tf.env().set('PROD', true);
  for (const [name, pkg, load] of wanted) {
    const why = await load();
    if (why === null) {
      await tf.ready();
      installNumericalFixes();
      current = { name, package: pkg, skipped };
      return current;
    }
    skipped.push(why);
  }
  const hint =
    choice === 'gpu'
      ? 'install @tensorflow/tfjs-node-gpu (needs CUDA)'
      : choice === 'native'
        ? 'install @tensorflow/tfjs-node'
        : 'use --backend auto';
  throw new UserError(`backend "${choice}" could not be loaded: ${skipped.join('; ')}; ${hint}`);
}

function backendMatches(info: BackendInfo, choice: BackendChoice): boolean {
  return ({ gpu: 'tensorflow-gpu', native: 'tensorflow', wasm: 'wasm', cpu: 'cpu' } as Record<string, string>)[choice] === info.name;
}

/** One line for the user: which backend runs, and why better ones did not. */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => s.replace(/ \(.*\)$/, '')).join('; ');
  return `backend: ${info.name} (${info.package})${skipped ? `; ${skipped}` : ''}`;
}
