// The page's TensorFlow.js backend: wasm by default (as fast as in Node, and what the Node runs use),
// webgl on request (?backend=webgl). The wasm binaries sit beside the page. The project's numerical
// fixes are installed on either, as initBackend does in Node (src/tf/backend.ts, whose candidate
// list is Node's).
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installNumericalFixes } from '../src/tf/fixes.ts';

export const PAGE_BACKENDS = ['wasm', 'webgl'] as const;
export type PageBackend = (typeof PAGE_BACKENDS)[number];

export interface BackendState {
  name: string;
  /** Why the backend asked for is not the one running (null when it is). */
  note: string | null;
}

/** Starts `wanted` (falling back to wasm when it cannot start); `base` is the site's URL, where the .wasm files are. */
export async function startBackend(wanted: PageBackend, base: string): Promise<BackendState> {
  // a prefix ending in '/': tfjs appends the binary's name (plain, -simd or -threaded-simd, as the browser allows)
  setWasmPaths(base);
  let note: string | null = null;
  if (wanted === 'webgl') {
    // a separate chunk of the bundle: the default page does not load it
    await import('@tensorflow/tfjs-backend-webgl');
    if (!(await tf.setBackend('webgl').catch(() => false))) note = 'WebGL could not start here: running on wasm instead';
  }
  if (wanted === 'wasm' || note) await tf.setBackend('wasm');
  await tf.ready();
  installNumericalFixes();
  return { name: tf.getBackend(), note };
}
