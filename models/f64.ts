// Float64 evaluation of a trained tanh MLP outside tfjs. Rollouts and the energy metric call the
// learned field thousands of times on one state at tight tolerances (rtol 1e-12): float32 tensor
// calls would be slow (per-op dispatch) and too noisy for the adaptive integrator.
import { dissipationFormOf, dissipationNet, type ModelKind } from './kinds.ts';
import type { NamedWeights } from './mlp.ts';

// The two kernels below are unrolled by four: about twice as fast in V8 as the plain loops,
// which matters because the energy metric makes ~10^5 calls per model.

/** z += h . W for W [fanIn, fanOut] row-major. */
function accumulateRows(h: ArrayLike<number>, w: Float64Array, z: Float64Array, fanIn: number, fanOut: number): void {
  let i = 0;
  for (; i + 3 < fanIn; i += 4) {
    const [h0, h1, h2, h3] = [h[i], h[i + 1], h[i + 2], h[i + 3]];
    const r0 = i * fanOut;
    const r1 = r0 + fanOut;
    const r2 = r1 + fanOut;
    const r3 = r2 + fanOut;
    for (let j = 0; j < fanOut; j++) z[j] += h0 * w[r0 + j] + h1 * w[r1 + j] + h2 * w[r2 + j] + h3 * w[r3 + j];
  }
  for (; i < fanIn; i++) {
    const hi = h[i];
    const row = i * fanOut;
    for (let j = 0; j < fanOut; j++) z[j] += hi * w[row + j];
  }
}

/** out[i] = W[i, :] . g for W [fanIn, fanOut] row-major. */
function rowDots(w: Float64Array, g: Float64Array, out: Float64Array, fanIn: number, fanOut: number): void {
  for (let i = 0; i < fanIn; i++) {
    const row = i * fanOut;
    // four scalar accumulators (not a destructured array: V8 then keeps them in registers)
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j + 3 < fanOut; j += 4) {
      s0 += w[row + j] * g[j];
      s1 += w[row + j + 1] * g[j + 1];
      s2 += w[row + j + 2] * g[j + 2];
      s3 += w[row + j + 3] * g[j + 3];
    }
    for (; j < fanOut; j++) s0 += w[row + j] * g[j];
    out[i] = s0 + s1 + s2 + s3;
  }
}

interface Layer {
  w: Float64Array; // [fanIn, fanOut] row-major
  b: Float64Array | null;
  fanIn: number;
  fanOut: number;
}

export class TanhMlp64 {
  private readonly layers: Layer[] = [];
  private readonly acts: Float64Array[]; // tanh outputs per hidden layer (scratch)

  constructor(weights: NamedWeights, prefix: string) {
    for (let l = 0; ; l++) {
      const w = weights[`${prefix}/w${l}`];
      if (!w) break;
      const b = weights[`${prefix}/b${l}`];
      this.layers.push({
        w: Float64Array.from(w.values),
        b: b ? Float64Array.from(b.values) : null,
        fanIn: w.shape[0],
        fanOut: w.shape[1],
      });
    }
    if (this.layers.length === 0) throw new Error(`no layers named ${prefix}/w0...`);
    this.acts = this.layers.slice(0, -1).map((l) => new Float64Array(l.fanOut));
  }

  get inputSize(): number {
    return this.layers[0].fanIn;
  }

  get outputSize(): number {
    return this.layers[this.layers.length - 1].fanOut;
  }

  /** Forward pass for one input vector. */
  forward(x: ArrayLike<number>): Float64Array {
    let h: ArrayLike<number> = x;
    for (let l = 0; l < this.layers.length; l++) {
      const { w, b, fanIn, fanOut } = this.layers[l];
      const z = l < this.acts.length ? this.acts[l] : new Float64Array(fanOut);
      if (b) z.set(b);
      else z.fill(0);
      accumulateRows(h, w, z, fanIn, fanOut);
      if (l < this.acts.length) for (let j = 0; j < fanOut; j++) z[j] = Math.tanh(z[j]);
      h = z;
    }
    return h as Float64Array;
  }

  /** Gradient of output 0 (a scalar H) with respect to the input, for one input vector. */
  inputGradient(x: ArrayLike<number>): Float64Array {
    this.forward(x);
    const last = this.layers[this.layers.length - 1];
    // d out0 / d h_last = column 0 of the last weight matrix
    let g = new Float64Array(last.fanIn);
    for (let i = 0; i < last.fanIn; i++) g[i] = last.w[i * last.fanOut];
    for (let l = this.layers.length - 2; l >= 0; l--) {
      const a = this.acts[l];
      for (let j = 0; j < g.length; j++) g[j] *= 1 - a[j] * a[j];
      const { w, fanIn, fanOut } = this.layers[l];
      const next = new Float64Array(fanIn);
      rowDots(w, g, next, fanIn, fanOut);
      g = next;
    }
    return g;
  }
}

/** The symplectic gradient J grad H = [dH/dp, -dH/dq] of an input gradient g = dH/dx. */
function symplectic(g: Float64Array): Float64Array {
  const k = g.length / 2;
  const out = new Float64Array(2 * k);
  for (let j = 0; j < k; j++) {
    out[j] = g[k + j];
    out[k + j] = -g[j];
  }
  return out;
}

/**
 * dx/dt of a trained state model, in float64, for one state: the HNN's symplectic gradient, the
 * baseline's output, or the D-HNN's J grad H + P grad D in its form (models/kinds.ts), which its
 * weights name (dissipationNet).
 */
export function fieldFunction(kind: ModelKind, weights: NamedWeights): (t: number, x: Float64Array) => Float64Array {
  const net = new TanhMlp64(weights, kind);
  if (kind === 'baseline') return (_t, x) => Float64Array.from(net.forward(x));
  if (kind === 'hnn') return (_t, x) => symplectic(net.inputGradient(x));
  const d = dissipationFunction(weights);
  return (_t, x) => {
    const out = symplectic(net.inputGradient(x));
    const g = d(x);
    for (let i = 0; i < out.length; i++) out[i] += g[i];
    return out;
  };
}

/** P grad D: the D-HNN's dissipation acts on the momenta alone (models/dynamics.ts), so the positions' rows are zeroed. */
function onMomenta(g: Float64Array): Float64Array {
  g.fill(0, 0, g.length / 2);
  return g;
}

/** The D-HNN's two parts at one state: J grad H (conservative) and its dissipative part (P grad D, or its even part). */
export function fieldPartsFunction(
  weights: NamedWeights,
): (x: ArrayLike<number>) => { conservative: Float64Array; dissipative: Float64Array } {
  const h = new TanhMlp64(weights, 'dhnn');
  const d = dissipationFunction(weights);
  return (x) => ({ conservative: symplectic(h.inputGradient(x)), dissipative: d(x) });
}

/**
 * The D-HNN's dissipative part alone, at one state: P grad D ('momenta', D saved as dhnn-d), or
 * P grad D_s of D's part even in p ('even', D saved as dhnn-de: (grad D(x) - grad D(Rx)) P / 2, R
 * negating the momenta), or [0, g(q) p] ('rayleigh', g saved as dhnn-dr).
 */
export function dissipationFunction(weights: NamedWeights): (x: ArrayLike<number>) => Float64Array {
  const form = dissipationFormOf(weights);
  const d = new TanhMlp64(weights, dissipationNet(form));
  if (form === 'momenta') return (x) => onMomenta(d.inputGradient(x));
  if (form === 'rayleigh')
    return (x) => {
      const k = x.length / 2;
      const g = d.forward(Array.from({ length: k }, (_, i) => x[i]));
      return Float64Array.from({ length: 2 * k }, (_, i) => (i < k ? 0 : g[i - k] * x[i]));
    };
  return (x) => {
    const k = x.length / 2;
    const at = d.inputGradient(x);
    const mirrored = d.inputGradient(Float64Array.from(x, (v, i) => (i < k ? v : -v)));
    for (let i = 0; i < at.length; i++) at[i] = (at[i] - mirrored[i]) / 2;
    return onMomenta(at);
  };
}

/** Learned H(x) in float64 (the HNN's, or the D-HNN's with kind 'dhnn'). */
export function hamiltonianFunction(weights: NamedWeights, kind: 'hnn' | 'dhnn' = 'hnn'): (x: ArrayLike<number>) => number {
  const net = new TanhMlp64(weights, kind);
  return (x) => net.forward(x)[0];
}
