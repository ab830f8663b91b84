// One step of an integrator over a learned field, as a pass on the engine's Ops with its backward:
// the links of the K-step chains that the window losses differentiate (the pixel model's latent
// window, the state models' trajectory loss). Each step's backward gives the parameter gradient parts
// of every field evaluation it made, and the gradient at its start.
import { dims2, type Ops } from '../src/engine/ops.ts';
import { fieldPass, type FieldParams, type GradientParts } from './field-pass.ts';
import type { LatentStep } from './kinds.ts';

export interface StepPass<T> {
  next: T;
  /** Given dL/dnext: the gradient parts of each field evaluation, and dL/dstart. Call at most once. */
  backward(nextBar: T): { grads: GradientParts<T>[]; inputBar: T };
}

/** Euler: next = x + h f(x). */
function eulerStep<T>(o: Ops<T>, p: FieldParams<T>, x: T, h: number): StepPass<T> {
  const pass = fieldPass(o, p, x);
  return {
    next: o.add(x, o.scale(pass.field, h)),
    backward: (nextBar) => {
      const back = pass.backward(o.scale(nextBar, h), true);
      return { grads: [back.grads], inputBar: o.add(nextBar, back.inputBar!) };
    },
  };
}

/**
 * Leapfrog (kick-drift-kick) on x = [q, p]: p' = p + h/2 f_p(q, p), q'' = q + h f_q(q, p'),
 * p'' = p' + h/2 f_p(q'', p'); three field evaluations, differentiated in reverse. `zeros` is the
 * [rows, k] zero half-state, made once per loss.
 */
function leapfrogStep<T>(o: Ops<T>, p: FieldParams<T>, x: T, h: number, zeros: T): StepPass<T> {
  const k = dims2(o, x)[1] / 2;
  const qOf = (t: T) => o.sliceCols(t, 0, k);
  const pOf = (t: T) => o.sliceCols(t, k, k);
  const q = qOf(x);
  const a = fieldPass(o, p, x);
  const pHalf = o.add(pOf(x), o.scale(pOf(a.field), h / 2));
  const b = fieldPass(o, p, o.concat([q, pHalf], 1));
  const qNew = o.add(q, o.scale(qOf(b.field), h));
  const c = fieldPass(o, p, o.concat([qNew, pHalf], 1));
  const pNew = o.add(pHalf, o.scale(pOf(c.field), h / 2));
  return {
    next: o.concat([qNew, pNew], 1),
    backward: (nextBar) => {
      const pNewBar = pOf(nextBar);
      const cBack = c.backward(o.concat([zeros, o.scale(pNewBar, h / 2)], 1), true);
      const qNewBar = o.add(qOf(nextBar), qOf(cBack.inputBar!));
      const pHalfAfterC = o.add(pNewBar, pOf(cBack.inputBar!));
      const bBack = b.backward(o.concat([o.scale(qNewBar, h), zeros], 1), true);
      const qBar = o.add(qNewBar, qOf(bBack.inputBar!));
      const pHalfBar = o.add(pHalfAfterC, pOf(bBack.inputBar!));
      const aBack = a.backward(o.concat([zeros, o.scale(pHalfBar, h / 2)], 1), true);
      return {
        grads: [cBack.grads, bBack.grads, aBack.grads],
        inputBar: o.add(o.concat([qBar, pHalfBar], 1), aBack.inputBar!),
      };
    },
  };
}

/** Classical RK4: next = x + h/6 (k1 + 2 k2 + 2 k3 + k4); four field evaluations. */
function rk4Step<T>(o: Ops<T>, p: FieldParams<T>, x: T, h: number): StepPass<T> {
  const p1 = fieldPass(o, p, x);
  const p2 = fieldPass(o, p, o.add(x, o.scale(p1.field, h / 2)));
  const p3 = fieldPass(o, p, o.add(x, o.scale(p2.field, h / 2)));
  const p4 = fieldPass(o, p, o.add(x, o.scale(p3.field, h)));
  const sum = o.addN([p1.field, o.scale(p2.field, 2), o.scale(p3.field, 2), p4.field]);
  return {
    next: o.add(x, o.scale(sum, h / 6)),
    backward: (nextBar) => {
      const kBar = o.scale(nextBar, h / 6);
      const b4 = p4.backward(kBar, true);
      const b3 = p3.backward(o.add(o.scale(kBar, 2), o.scale(b4.inputBar!, h)), true);
      const b2 = p2.backward(o.add(o.scale(kBar, 2), o.scale(b3.inputBar!, h / 2)), true);
      const b1 = p1.backward(o.add(kBar, o.scale(b2.inputBar!, h / 2)), true);
      return {
        grads: [b4.grads, b3.grads, b2.grads, b1.grads],
        inputBar: o.addN([nextBar, b1.inputBar!, b2.inputBar!, b3.inputBar!, b4.inputBar!]),
      };
    },
  };
}

/** One step of `method` of length h from x; `zeros` is [rows, dim / 2] of zeros (leapfrog's). */
export function stepPass<T>(o: Ops<T>, p: FieldParams<T>, x: T, method: LatentStep, h: number, zeros: T): StepPass<T> {
  if (method === 'euler') return eulerStep(o, p, x, h);
  if (method === 'leapfrog') return leapfrogStep(o, p, x, h, zeros);
  return rk4Step(o, p, x, h);
}

/** Each variable's parts from every field evaluation of a chain, in variables() order. */
export function mergeParts<T>(all: GradientParts<T>[]): GradientParts<T> {
  return all[0].map((_, v) => all.flatMap((g) => g[v]));
}
