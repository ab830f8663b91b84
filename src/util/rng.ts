// Seeded randomness. Every random draw in the project comes from an Rng built from an explicit seed.
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** splitmix32: spreads small consecutive seeds (0, 1, 2, ...) over the whole state space. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a hash of a label, used to derive independent named streams from one seed. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The largest seed: generators are seeded from 32 bits (splitmix32 here, MT19937 for the numpy
 * replay), so a larger seed would wrap around onto a smaller one's stream.
 */
export const MAX_SEED = 0xffffffff;

/** A seeded random number generator (splitmix32 streams): every draw of the project comes from one. */
export class Rng {
  private gen: RandomGenerator;
  private spareNormal: number | null = null;

  constructor(
    readonly seed: number,
    state?: readonly number[],
  ) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
      throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
    this.gen = xoroshiro128plus(splitmix32(seed));
    if (state) this.setState(state);
  }

  /** An independent stream for one purpose ("init", "noise", "batches"...), stable across code changes elsewhere. */
  fork(label: string): Rng {
    return new Rng(splitmix32(this.seed ^ hashLabel(label)) >>> 1);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Serialisable state, for checkpoints that resume the exact same stream. */
  getState(): number[] {
    return [...this.gen.getState(), this.spareNormal === null ? NaN : this.spareNormal];
  }

  setState(state: readonly number[]): void {
    const spare = state[state.length - 1];
    this.gen = xoroshiro128plusFromState(state.slice(0, -1));
    this.spareNormal = Number.isNaN(spare) ? null : spare;
  }
}
