// Timing our steps against the PyTorch peer's: blocks of ours alternate with blocks of the peer's
// after the same warm-up, and each side's median is over all its blocks, so both are measured in the
// same minutes on a noisy shared machine (a ratio in one run means more than any absolute time).
import { loadOrt, createSession } from '../../engine/ort.ts';
import { OnnxGraph } from '../../engine/onnx-graph.ts';
import type { BenchStep } from './steps.ts';
import type { TorchPeer } from './peer.ts';

export interface TimedSide {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /** the step's product FLOPs over the median time */
  gflops: number;
  steps: number;
}

export interface StepTiming extends TimedSide {
  name: string;
  engine: string;
  nodesPerStep: number;
  flopsPerStep: number;
  /** the same step in PyTorch, timed in alternating blocks with ours (null: no peer for this step) */
  torch: TimedSide | null;
  /** our median / torch's median; null without a peer, or when the peer is not a fair one */
  ratio: number | null;
  /** the lowest and highest ratio of one block's medians (blockRatios); null with `ratio` */
  blockRatios: { low: number; high: number } | null;
}

export interface BenchCase {
  name: string;
  /** our variants, timed in turn within every block (the first is compared with the peer) */
  ours: Array<{ label: string; make: () => Promise<BenchStep> }>;
  /** the peer's step name; null for ours alone */
  torch: string | null;
  perBlock: number;
}

/**
 * Blocks per case: 12 where a ratio is taken (with 5, one run's ratio for the same step moved by a
 * fifth between runs; docs/PERFORMANCE.md), 3 for a step timed alone.
 */
const PEER_BLOCKS = 12;
const SOLO_BLOCKS = 3;

/** The q-quantile of xs as one of its values (the sorted element at floor(n q)): a median is a step that ran. */
export const quantile = (xs: readonly number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

function side(ms: number[], flops: number): TimedSide {
  const medianMs = quantile(ms, 0.5);
  return { medianMs, p10Ms: quantile(ms, 0.1), p90Ms: quantile(ms, 0.9), gflops: flops / (medianMs * 1e6), steps: ms.length };
}

/**
 * Ours / theirs block by block: each side's median within each block of `perBlock` steps (the blocks
 * alternate, so each pair ran in the same minute), the lowest and highest of those ratios. How far they
 * spread says how much one run's ratio moves with the machine's load.
 */
export function blockRatios(ours: readonly number[], theirs: readonly number[], perBlock: number): { low: number; high: number } {
  const blocks = Math.min(ours.length, theirs.length) / perBlock;
  if (!(Number.isInteger(blocks) && blocks >= 1))
    throw new Error(`blockRatios: ${ours.length} and ${theirs.length} times are not whole blocks of ${perBlock}`);
  const median = (xs: readonly number[], b: number) => quantile(xs.slice(b * perBlock, (b + 1) * perBlock), 0.5);
  const ratios = Array.from({ length: blocks }, (_, b) => median(ours, b) / median(theirs, b));
  return { low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** Every variant of the case and the peer, alternating block by block after the same warm-up. */
export async function timeCase(c: BenchCase, peer: TorchPeer | null, fairPeer: boolean): Promise<StepTiming[]> {
  const made = await Promise.all(c.ours.map(async (v) => ({ ...v, s: await v.make(), ms: [] as number[] })));
  const torch = c.torch !== null && peer !== null ? { peer, step: c.torch } : null;
  if (torch) await torch.peer.request(`setup ${torch.step}`);
  const warmup = 5;
  for (const v of made) for (let i = 0; i < warmup; i++) await v.s.run();
  if (torch) await torch.peer.run(torch.step, warmup);
  const theirs: number[] = [];
  const blocks = c.torch !== null ? PEER_BLOCKS : SOLO_BLOCKS;
  for (let b = 0; b < blocks; b++) {
    for (const v of made) {
      for (let i = 0; i < c.perBlock; i++) {
        const t = performance.now();
        await v.s.run();
        v.ms.push(performance.now() - t);
      }
    }
    if (torch) theirs.push(...(await torch.peer.run(torch.step, c.perBlock)));
  }
  return made.map((v, i) => {
    v.s.dispose();
    const ours = side(v.ms, v.s.flops);
    const peerSide = torch && i === 0 ? side(theirs, v.s.flops) : null;
    return {
      name: `${c.name}${v.label ? `, ${v.label}` : ''}`,
      engine: v.s.engine,
      ...ours,
      nodesPerStep: v.s.nodes,
      flopsPerStep: v.s.flops,
      torch: peerSide,
      ratio: peerSide && fairPeer ? ours.medianMs / peerSide.medianMs : null,
      blockRatios: peerSide && fairPeer ? blockRatios(v.ms, theirs, c.perBlock) : null,
    };
  });
}

/** The cost of one session.run of a one-node graph (feeds, fetches, the promise), in microseconds. */
export async function sessionRunOverhead(runs = 2000): Promise<{ medianUs: number; p90Us: number }> {
  const ort = await loadOrt();
  const g = new OnnxGraph();
  g.output('y', g.node('Neg', [g.input('x', [1])], [1]));
  const session = await createSession(g.toModel('overhead'), { provider: 'cpu', threads: 1 });
  const [x, y] = [new ort.Tensor('float32', new Float32Array(1), [1]), new ort.Tensor('float32', new Float32Array(1), [1])];
  const us: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run({ x }, { y });
    if (i >= 100) us.push((performance.now() - t) * 1000);
  }
  await session.release();
  return { medianUs: quantile(us, 0.5), p90Us: quantile(us, 0.9) };
}

/** Our raw product speed on the shapes that dominate the steps (one MatMul node, the engine's threads). */
export async function oursMatmul(threads: number): Promise<Record<string, { ms: number; gflops: number }>> {
  const out: Record<string, { ms: number; gflops: number }> = {};
  const ort = await loadOrt();
  for (const [m, k, n] of [
    [750, 200, 200],
    [400, 1568, 200],
  ]) {
    const g = new OnnxGraph();
    g.output('c', g.node('MatMul', [g.input('a', [m, k]), g.input('b', [k, n])], [m, n]));
    const session = await createSession(g.toModel('matmul'), { provider: 'cpu', threads });
    const a = new ort.Tensor(
      'float32',
      Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)),
      [m, k],
    );
    const b = new ort.Tensor(
      'float32',
      Float32Array.from({ length: k * n }, (_, i) => Math.cos(i)),
      [k, n],
    );
    const c = new ort.Tensor('float32', new Float32Array(m * n), [m, n]);
    const times: number[] = [];
    for (let i = 0; i < 33; i++) {
      const t = performance.now();
      await session.run({ a, b }, { c });
      if (i >= 3) times.push(performance.now() - t);
    }
    await session.release();
    const ms = quantile(times, 0.5);
    out[`${m}x${k}x${n}`] = { ms, gflops: (2 * m * k * n) / (ms * 1e6) };
  }
  return out;
}
