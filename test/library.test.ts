// The library as a user gets it: `npm pack`, install the tarball in a folder outside the repository,
// then compile and run examples/quartic-oscillator.ts, which imports `hnn-ts` by name (its own
// system, a dataset, an HNN and a baseline, energy MSE), against the package's declarations.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the packed library', () => {
  it('is the example the README shows, verbatim', () => {
    const example = readFileSync(join(repo, 'examples', 'quartic-oscillator.ts'), 'utf8');
    const blocks = [...readFileSync(join(repo, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(example);
  });

  it('installs from its tarball and runs the README example by package name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnn-lib-'));
    try {
      execFileSync(npm, ['pack', '--pack-destination', dir], { cwd: repo, stdio: 'pipe' });
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      const app = join(dir, 'app');
      execFileSync('mkdir', [app]);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hnn-user', private: true, type: 'module' }));
      execFileSync(npm, ['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });
      copyFileSync(join(repo, 'examples', 'quartic-oscillator.ts'), join(app, 'quartic-oscillator.ts'));
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [join(repo, 'node_modules', '@types')],
          },
          files: ['quartic-oscillator.ts'],
        }),
      );
      // type-check against the installed package's declarations, then run the emitted JS
      execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, stdio: 'pipe' });
      const out = execFileSync(process.execPath, ['quartic-oscillator.js'], {
        cwd: app,
        env: { ...process.env, STEPS: '300', BACKEND: 'wasm' },
        encoding: 'utf8',
      });
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as { backend: string; energyMse: { hnn: number; baseline: number } };
      expect(result.backend).toBe('wasm');
      expect(Number.isFinite(result.energyMse.hnn)).toBe(true);
      // the HNN conserves the quartic's energy far better than the baseline, even after 300 steps
      expect(result.energyMse.hnn).toBeLessThan(result.energyMse.baseline);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
