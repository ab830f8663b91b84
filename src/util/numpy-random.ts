// numpy's legacy global generator (np.random.seed / rand / randn), reproduced draw for draw, so
// that a dataset built here at seed s holds the same random numbers as the reference code's at s.
// MT19937 (Matsumoto & Nishimura), seeded as numpy seeds an integer; doubles from two 32-bit words
// (53 bits); normals by the polar Box-Muller method with numpy's cached second value. Uniforms are
// bit-identical to numpy's; normals can differ in the last bit where V8's Math.log rounds unlike C's.

const N = 624;
const M = 397;

export class NumpyLegacyRandom {
  private readonly mt = new Uint32Array(N);
  private index = N;
  private gauss: number | null = null;

  /** As np.random.seed(seed) for an integer 0 <= seed < 2^32. */
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`numpy seeds are integers in [0, 2^32), got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i mod 2^32, without losing bits to float rounding
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next tempered 32-bit word. */
  private next32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** As np.random.rand(): uniform in [0, 1) with 53 random bits. */
  randomSample(): number {
    const a = this.next32() >>> 5;
    const b = this.next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * As np.random.permutation(n): a shuffled 0..n-1, numpy's legacy Fisher-Yates (from the last
   * element down, j drawn in [0, i] by masked rejection of 32-bit words; n < 2^32).
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`permutation size must be an integer in [0, 2^31), got ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Uniform in [0, max] as numpy's random_interval: the next words masked to max's bit length until one is <= max. */
  private interval(max: number): number {
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let v: number;
    do v = (this.next32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /** As np.random.randn(): standard normal, the legacy polar method (pairs, second value cached). */
  standardNormal(): number {
    if (this.gauss !== null) {
      const g = this.gauss;
      this.gauss = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    return f * x2;
  }
}
