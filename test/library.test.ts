// The library as a user gets it: `npm pack`, install the tarball in a folder outside the repository,
// then compile and run examples/quartic-oscillator.ts, which imports `hnn-ts` by name (its own
// system, a dataset, an HNN and a baseline, energy MSE), against the package's declarations.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * Compiles `folder` with its own tsconfig.json as is; only where @types/node lives is added (the
 * folder installs no dev dependencies).
 */
function compile(folder: string): void {
  writeFileSync(
    join(folder, 'tsconfig.ci.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { typeRoots: [join(repo, 'node_modules', '@types')] } }),
  );
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.ci.json'], {
    cwd: folder,
    stdio: 'pipe',
  });
}

describe('the packed library', () => {
  it('is the example the README shows, verbatim', () => {
    const example = readFileSync(join(repo, 'examples', 'quartic-oscillator.ts'), 'utf8');
    const blocks = [...readFileSync(join(repo, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(example);
  });

  it('installs from its tarball; the examples compile with the tsconfig it ships and run by package name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnn-lib-'));
    try {
      execFileSync(npm, ['pack', '--pack-destination', dir], { cwd: repo, stdio: 'pipe' });
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      const app = join(dir, 'app');
      execFileSync('mkdir', [app]);
      // a user's project as docs/LIBRARY.md sets it up: onnxruntime-node's CUDA download denied in its
      // own package.json, and none of this repository's npm settings (its .npmrc's skip) inherited
      const user = { name: 'hnn-user', private: true, type: 'module', allowScripts: { 'onnxruntime-node': false } };
      writeFileSync(join(app, 'package.json'), JSON.stringify(user));
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/onnxruntime/i.test(k)));
      execFileSync(npm, ['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe', env });
      // the examples and their tsconfig come from the installed package (examples/ ships in it)
      const shipped = join(app, 'node_modules', 'hnn-ts', 'examples');
      for (const f of ['quartic-oscillator.ts', 'henon-heiles.ts', 'tsconfig.json']) copyFileSync(join(shipped, f), join(app, f));
      // type-check against the installed package's declarations, then run the emitted JS
      compile(app);
      const run = (file: string, steps: string) =>
        execFileSync(process.execPath, [file], { cwd: app, env: { ...process.env, STEPS: steps, BACKEND: 'wasm' }, encoding: 'utf8' });
      const result = JSON.parse(run('quartic-oscillator.js', '300').trim().split('\n').at(-1)!) as {
        backend: string;
        energyMse: { hnn: number; baseline: number };
      };
      expect(result.backend).toBe('wasm');
      expect(Number.isFinite(result.energyMse.hnn)).toBe(true);
      // the HNN conserves the quartic's energy far better than the baseline, even after 300 steps
      expect(result.energyMse.hnn).toBeLessThan(result.energyMse.baseline);
      // H alone (an expression): the exact gradient, rollout metrics beside energy MSE
      const hh = JSON.parse(run('henon-heiles.js', '30').trim().split('\n').at(-1)!) as {
        gradient: string;
        results: Record<'hnn' | 'baseline', { energyMse: number; stateMse: number; vptMean: number }>;
      };
      expect(hh.gradient).toMatch(/^exact \(symbolic\): dH\/dx = /);
      for (const r of Object.values(hh.results)) for (const v of Object.values(r)) expect(Number.isFinite(v)).toBe(true);
      // the installed command reads the shipped system file
      const tasks = execFileSync(
        process.execPath,
        [join(app, 'node_modules', 'hnn-ts', 'bin', 'hnn.js'), 'tasks', '--system', join(shipped, 'henon-heiles.yaml')],
        {
          encoding: 'utf8',
        },
      );
      expect(tasks).toMatch(/henon-heiles +state/);
      expect(tasks).toMatch(/pixel-henon-heiles +pixel/);
      // hnn init writes a starter whose own `npm install && npm run train` works: hnn-ts is linked
      // from the package the command ran from (it is not on the npm registry), its prepare script
      // skipped without a warning, and the starter compiles and runs with its own dev dependencies
      const installed = join(app, 'node_modules', 'hnn-ts');
      execFileSync(process.execPath, [join(installed, 'bin', 'hnn.js'), 'init', 'starter'], { cwd: app, encoding: 'utf8' });
      const starter = join(app, 'starter');
      const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: starter, encoding: 'utf8', env });
      expect(install.status, install.stderr).toBe(0);
      expect(install.stderr).not.toMatch(/install-scripts|allow-scripts/);
      expect(realpathSync(join(starter, 'node_modules', 'hnn-ts'))).toBe(realpathSync(installed));
      const trained = execFileSync(npm, ['run', 'train'], {
        cwd: starter,
        env: { ...process.env, STEPS: '20', BACKEND: 'wasm' },
        encoding: 'utf8',
      });
      expect(trained).toMatch(/hnn: energy MSE .*\nbaseline: energy MSE .*\nwrote energy.png/);
      expect(readdirSync(starter)).toContain('energy.png');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
