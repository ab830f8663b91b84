// The bench's plumbing: the PyTorch peer is found or reported missing in one line, its script is
// valid Python, and the start-up timing runs the real command.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BENCH_FILES, benchStartup, TorchPeer } from '../src/pipeline/bench.ts';

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

  it('times `node bin/hnn.js --help` as a wall-clock median', () => {
    const s = benchStartup(1);
    expect(s.runsMs).toHaveLength(1);
    expect(s.medianMs).toBeGreaterThan(0);
    expect(s.command).toBe('node bin/hnn.js --help');
  }, 60_000);
});
