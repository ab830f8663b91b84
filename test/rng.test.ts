// The seeded generator's batch draw: k distinct indices of 0..n-1, each index equally likely at each
// position, the same for the same seed.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.ts';

describe('Rng.sample', () => {
  it('draws k distinct indices in range, the same for the same seed, and refuses k > n', () => {
    const a = new Rng(4).sample(40000, 200);
    expect(new Set(a).size).toBe(200);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(40000);
    expect(Array.from(new Rng(4).sample(40000, 200))).toEqual(Array.from(a));
    expect(Array.from(new Rng(5).sample(40000, 200))).not.toEqual(Array.from(a));
    expect(Array.from(new Rng(1).sample(7, 7)).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => new Rng(1).sample(3, 4)).toThrow(/cannot sample 4 of 3/);
  });

  it('puts every index at every position equally often (chi-square over 60000 draws of 3 of 6)', () => {
    const rng = new Rng(9);
    const counts = Array.from({ length: 3 }, () => new Array(6).fill(0));
    const draws = 60000;
    for (let d = 0; d < draws; d++) rng.sample(6, 3).forEach((v, pos) => counts[pos][v]++);
    const expected = draws / 6;
    for (const row of counts) {
      const chi2 = row.reduce((s: number, c: number) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(20.5); // 5 degrees of freedom: p = 0.001
    }
  });
});
