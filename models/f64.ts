// Float64 evaluation of a trained tanh MLP outside tfjs. Rollouts and the energy metric call the
// learned field thousands of times on one state at tight tolerances (rtol 1e-12): float32 tensor
// calls would be slow (per-op dispatch) and too noisy for the adaptive integrator.
import type { NamedWeights } from './mlp.ts';

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
      this.layers.push({ w: Float64Array.from(w.values), b: b ? Float64Array.from(b.values) : null, fanIn: w.shape[0], fanOut: w.shape[1] });
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
      for (let i = 0; i < fanIn; i++) {
        const hi = h[i];
        if (hi === 0) continue;
        const row = i * fanOut;
        for (let j = 0; j < fanOut; j++) z[j] += hi * w[row + j];
      }
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
      for (let i = 0; i < fanIn; i++) {
        let s = 0;
        const row = i * fanOut;
        for (let j = 0; j < fanOut; j++) s += w[row + j] * g[j];
        next[i] = s;
      }
      g = next;
    }
    return g;
  }
}

/** dx/dt of a trained state model, in float64, for one state: the HNN's symplectic gradient or the baseline's output. */
export function fieldFunction(kind: 'hnn' | 'baseline', weights: NamedWeights): (t: number, x: Float64Array) => Float64Array {
  const net = new TanhMlp64(weights, kind);
  if (kind === 'baseline') return (_t, x) => Float64Array.from(net.forward(x));
  const k = net.inputSize / 2;
  return (_t, x) => {
    const g = net.inputGradient(x);
    const out = new Float64Array(2 * k);
    for (let j = 0; j < k; j++) {
      out[j] = g[k + j];
      out[k + j] = -g[j];
    }
    return out;
  };
}

/** Learned H(x) in float64 (HNN only). */
export function hamiltonianFunction(weights: NamedWeights): (x: ArrayLike<number>) => number {
  const net = new TanhMlp64(weights, 'hnn');
  return (x) => net.forward(x)[0];
}
