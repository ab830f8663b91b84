// The bench's plumbing: the PyTorch peer is found or reported missing in one line, its script is
// valid Python, and the start-up timing runs the real command.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BENCH_FILES, benchStartup, TorchPeer } from '../src/pipeline/bench.ts';
import { peerFairness, type TorchInfo } from '../src/pipeline/bench/peer.ts';
import { blockRatios } from '../src/pipeline/bench/timing.ts';
import { msPerUpdateAfterFirst } from '../src/pipeline/bench/loop.ts';
import { pixelBenchStep } from '../src/pipeline/bench/steps.ts';
import { initBackend } from '../src/tf/backend.ts';

// a python with torch, as the bench looks for (Debian's python3-torch here; CI may have none)
const hasTorch = ['python3', '/usr/bin/python3'].some((p) => spawnSync(p, ['-c', 'import torch'], { timeout: 60_000 }).status === 0);

describe('bench', () => {
  it('says in one line when no python with torch is found, naming what it tried', () => {
    const r = TorchPeer.start(['/nonexistent/python3', 'no-such-python']);
    expect(typeof r).toBe('string');
    expect(r).toMatch(
      /^no python with torch found \(tried \/nonexistent\/python3, no-such-python; set HNN_BENCH_PYTHON\): timing ours alone$/,
    );
  });

  it('ships a peer script that Python compiles (torch is imported only when it runs), found from the build too', async () => {
    // the command runs the build (dist/src/pipeline/bench.js): its paths must lead to the same files
    const built = (await import(new URL('../dist/src/pipeline/bench.js', import.meta.url).href)) as { BENCH_FILES: typeof BENCH_FILES };
    expect(built.BENCH_FILES).toEqual(BENCH_FILES);
    expect(existsSync(BENCH_FILES.hnnBin)).toBe(true);
    const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', built.BENCH_FILES.torchScript], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("times the default pixel step on ONNX Runtime as training takes it, with its graph's nodes and product FLOPs", async () => {
    await initBackend('wasm');
    const s = await pixelBenchStep(4, 'leapfrog', { kind: 'ort', threads: 1 });
    try {
      await s.run();
      expect(s.engine).toBe(`onnxruntime-node cpu, 1 thread, ${s.nodes} nodes per step, Adam in WebAssembly`);
      expect(s.nodes).toBeGreaterThan(500);
      // the autoencoder on 400 and 320 rows, forward and backward, ~1.1 GFLOP; 12 latent field passes ~0.8
      expect(s.flops).toBeGreaterThan(1.5e9);
      expect(s.flops).toBeLessThan(2.5e9);
    } finally {
      s.dispose();
    }
  }, 60_000);

  it('prints no ratio against a peer whose BLAS is unoptimized, and says why in one line', () => {
    const slow = peerFairness({ '750x200x200': { ms: 12, gflops: 5.0 }, '400x1568x200': { ms: 50, gflops: 4.4 } });
    expect(slow.fair).toBe(false);
    expect(slow.note).toMatch(
      /^unoptimized BLAS: not a fair peer \(torch's matMul runs at 4\.4 GFLOP\/s, below 50; on Debian: apt-get install libopenblas0-pthread\)$/,
    );
    expect(peerFairness({ a: { ms: 1, gflops: 120 } })).toEqual({ fair: true, slowestGflops: 120, note: null });
    expect(peerFairness(null).fair).toBe(false);
  });

  it("gives the spread of the ratio over the alternating blocks, each side's median per block", () => {
    // blocks of 3: medians 1 / 2, 3 / 2 and 2 / 4 (the outliers 9 and 0.1 do not move a median)
    const ours = [1, 9, 1, 3, 3, 0.1, 2, 2, 2];
    const theirs = [2, 2, 2, 2, 2, 2, 4, 4, 9];
    expect(blockRatios(ours, theirs, 3)).toEqual({ low: 0.5, high: 1.5 });
    expect(() => blockRatios([1, 2], [1, 2], 3)).toThrow(/not whole blocks of 3/);
  });

  it("reads a real run's ms per update from its log, after the first update (a new session's one-time costs)", () => {
    const line = (time: string, step: number | null) =>
      JSON.stringify(step === null ? { time, event: 'start' } : { time, event: 'step', step, loss: 1 });
    // update 0 logged 900 ms after the start; steps 200 and 400 at +5 s and +10.2 s: 10200 ms over 400 updates
    const log = [
      line('2026-12-07T10:00:00.000Z', null),
      line('2026-12-07T10:00:00.900Z', 0),
      line('2026-12-07T10:00:05.900Z', 200),
      line('2026-12-07T10:00:11.100Z', 400),
    ].join('\n');
    expect(msPerUpdateAfterFirst(log)).toBeCloseTo(25.5, 12);
    expect(() => msPerUpdateAfterFirst([line('2026-12-07T10:00:00.000Z', null), line('2026-12-07T10:00:00.900Z', 0)].join('\n'))).toThrow(
      /logged no step after its first/,
    );
  });

  it.skipIf(!hasTorch)(
    "its PyTorch peer builds and runs both pixel steps (the paper's and the 4-frame window)",
    async () => {
      const peer = TorchPeer.start();
      if (typeof peer === 'string') throw new Error(peer);
      try {
        const info = await peer.request<TorchInfo>('info');
        // the library the process mapped, not the build flag (Debian's torch says "generic" either way)
        expect(info.blasLoaded.library).toMatch(/^(openblas|mkl|blis|reference \(netlib\))$/);
        for (const step of ['pixel', 'pixel4']) {
          await peer.request(`setup ${step}`);
          const ms = await peer.run(step, 1);
          expect(ms).toHaveLength(1);
          expect(ms[0]).toBeGreaterThan(0);
        }
        await expect(peer.request('setup pixel0')).rejects.toThrow(/torch peer: KeyError/);
      } finally {
        await peer.close();
      }
      // close() returns once the process has exited, so what is timed next has the cores
      expect(peer.running).toBe(false);
    },
    120_000,
  );

  it('times `node bin/hnn.js --help` as a wall-clock median', () => {
    const s = benchStartup(1);
    expect(s.runsMs).toHaveLength(1);
    expect(s.medianMs).toBeGreaterThan(0);
    expect(s.command).toBe('node bin/hnn.js --help');
  }, 60_000);
});
