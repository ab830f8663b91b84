// The fused Adam kernel (one kernel for every variable) must give the same bits as the op-by-op
// update it replaces, on both backends that have it and with both of its loops (the assembled wasm
// function on wasm, the JavaScript loop elsewhere), for gradients given as several parts and in
// another shape of the same size; checkpoints taken from either path resume on the other.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.ts';
import { Adam, type Gradient } from '../src/train/adam.ts';
import { FUSED_ADAM, fusedAdamLoop, useWasmAdamLoop } from '../src/tf/kernels.ts';
import { Rng } from '../src/util/rng.ts';

const SHAPES = [[7, 5], [5], [5, 1], [3]];
const DECAY = [1e-4, 0, 1e-5, 0.3];

function variables(seed: number): tf.Variable[] {
  const rng = new Rng(seed);
  return SHAPES.map((s) =>
    tf.variable(
      tf.tensor(
        new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => rng.normal()),
        s,
      ),
    ),
  );
}

/** Gradients of step t: variable 0 in two parts, variable 2 as a [1, 5] row, the rest plain. */
function gradients(t: number): Gradient[] {
  const rng = new Rng(100 + t);
  const r = (shape: number[]) =>
    tf.tensor(
      new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal() * 10 ** rng.range(-4, 1)),
      shape,
    );
  return [[r([7, 5]), r([7, 5])], r([5]), r([1, 5]), r([3])];
}

const bytes = (v: tf.Tensor) => Buffer.from((v.dataSync() as Float32Array).buffer.slice(0));

for (const [backend, loop] of [
  ['cpu', 'js'],
  ['wasm', 'wasm'],
  ['wasm', 'js'],
] as const) {
  describe(`fused Adam on ${backend}, ${loop} loop`, () => {
    it('is one kernel and equals the op-by-op update bit for bit over several steps, through a state()/load() round trip', async () => {
      await initBackend(backend);
      useWasmAdamLoop(loop === 'wasm');
      expect(fusedAdamLoop()).toBe(loop);
      const [a, b] = [variables(1), variables(1)];
      const fused = new Adam(a, { lr: 3e-3, weightDecay: DECAY });
      const plain = new Adam(b, { lr: 3e-3, weightDecay: DECAY, fused: false });
      expect(fused.isFused).toBe(true);
      expect(plain.isFused).toBe(false);
      for (let t = 0; t < 6; t++) {
        tf.tidy(() => fused.apply(gradients(t)));
        tf.tidy(() => plain.apply(gradients(t)));
        if (t === 2) {
          // swap the optimisers' states: each path must continue from the other's checkpoint
          const [sf, sp] = [fused.state(), plain.state()];
          fused.load(sp);
          plain.load(sf);
        }
      }
      a.forEach((v, i) => expect(bytes(v).equals(bytes(b[i])), `variable ${i}`).toBe(true));
      const [sf, sp] = [fused.state(), plain.state()];
      expect(sf.t).toBe(6);
      sf.m.forEach((m, i) => expect(Buffer.from(m.buffer).equals(Buffer.from(sp.m[i].buffer)), `m ${i}`).toBe(true));
      sf.v.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(sp.v[i].buffer)), `v ${i}`).toBe(true));

      const before = tf.memory().numTensors;
      const grads = gradients(9);
      const profile = await tf.profile(() => fused.apply(grads));
      expect(profile.kernels.map((k) => k.name)).toEqual([FUSED_ADAM]);
      tf.dispose(grads.flat());
      expect(tf.memory().numTensors).toBe(before);
      fused.dispose();
      plain.dispose();
      tf.dispose([...a, ...b]);
      useWasmAdamLoop(true);
    });

    it('refuses gradients of the wrong size or count', async () => {
      await initBackend(backend);
      const a = variables(2);
      const adam = new Adam(a);
      expect(() => adam.apply([tf.zeros([7, 4]), tf.zeros([5]), tf.zeros([5]), tf.zeros([3])])).toThrow(/gradient 0 does not have the 35/);
      expect(() => adam.apply([tf.zeros([7, 5])])).toThrow(/1 gradients for 4 variables/);
      expect(adam.steps).toBe(0);
      adam.dispose();
      tf.dispose(a);
    });
  });
}
