// The PyTorch peer of `npm run bench`: bench/torch_steps.py in a subprocess, one JSON line per
// command, the same steps with the same shapes, losses and Adam settings. Its BLAS decides whether
// the comparison means anything: the reference (netlib) BLAS runs these products at ~5 GFLOP/s, an
// optimized one at 100+; below FAIR_PEER_GFLOPS the bench prints no ratio.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { packageFile } from '../../util/package-root.ts';

/** The peer's script and the command whose start-up is timed (from the package root: tests run src/, the command dist/). */
export const BENCH_FILES = { torchScript: packageFile('bench/torch_steps.py'), hnnBin: packageFile('bin/hnn.js') };

/** The peer's slowest matMul GFLOP/s below which it is not a fair peer. */
export const FAIR_PEER_GFLOPS = 50;

export interface TorchInfo {
  torch: string;
  python: string;
  threads: number;
  /** torch's build flag (not the library loaded). */
  blasBuild: string | null;
  /** The BLAS the process mapped: openblas, mkl, blis, reference (netlib), or null when unknown. */
  blasLoaded: { library: string | null; path: string | null; threads: number | null };
  openblasThreadsEnv: string | null;
  cpuCapability: string | null;
  mkldnn: boolean;
}

export type MatmulSpeeds = Record<string, { ms: number; gflops: number }>;

/** Whether the peer's products run fast enough for a ratio to mean anything, and why not. */
export function peerFairness(m: MatmulSpeeds | null): { fair: boolean; slowestGflops: number | null; note: string | null } {
  if (!m || Object.keys(m).length === 0) return { fair: false, slowestGflops: null, note: null };
  const slowest = Math.min(...Object.values(m).map((x) => x.gflops));
  if (slowest >= FAIR_PEER_GFLOPS) return { fair: true, slowestGflops: slowest, note: null };
  return {
    fair: false,
    slowestGflops: slowest,
    note: `unoptimized BLAS: not a fair peer (torch's matMul runs at ${slowest.toFixed(1)} GFLOP/s, below ${FAIR_PEER_GFLOPS}; on Debian: apt-get install libopenblas0-pthread)`,
  };
}

/** Pythons to try for the peer, in order: $HNN_BENCH_PYTHON, python3 on PATH (may lack torch), Debian's. */
function pythonCandidates(): string[] {
  const env = process.env.HNN_BENCH_PYTHON;
  return [...(env ? [env] : []), 'python3', '/usr/bin/python3'];
}

export class TorchPeer {
  private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private dead: Error | null = null;

  private constructor(
    readonly python: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.on('exit', (code) => {
      this.dead = new Error(`torch peer exited (code ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.dead);
    });
  }

  private answer(line: string): void {
    const w = this.waiting.shift();
    if (!w) return;
    try {
      const reply = JSON.parse(line) as { error?: string };
      if (reply.error) w.reject(new Error(`torch peer: ${reply.error}`));
      else w.resolve(reply);
    } catch {
      w.reject(new Error(`torch peer sent "${line}"`));
    }
  }

  /**
   * The first of `candidates` that imports torch, or why none did. `threads`: one thread for the
   * peer (torch.set_num_threads and OPENBLAS_NUM_THREADS, OpenBLAS's own pool) when 1.
   */
  static start(candidates = pythonCandidates(), threads: number | null = null): TorchPeer | string {
    for (const python of candidates) {
      const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
      if (probe.status !== 0) continue;
      const env =
        threads === null ? process.env : { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
      const child = spawn(python, [BENCH_FILES.torchScript, ...(threads === null ? [] : [String(threads)])], { stdio: 'pipe', env });
      return new TorchPeer(python, child);
    }
    return `no python with torch found (tried ${candidates.join(', ')}; set HNN_BENCH_PYTHON): timing ours alone`;
  }

  request<T>(command: string): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(command + '\n');
    });
  }

  async run(step: string, n: number): Promise<number[]> {
    return (await this.request<{ ms: number[] }>(`run ${step} ${n}`)).ms;
  }

  /** True until the peer's process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Asks the peer to quit and waits until its process has exited (killed after `graceMs`), so that
   * what is timed next does not share the cores with the interpreter's shutdown.
   */
  async close(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
