// The layers (issue 25): .dependency-cruiser.cjs forbids an import from a higher layer, the real tree
// has none, nor any import cycle, and docs/ARCHITECTURE.md draws the configuration's current list.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const SOURCES = ['src', 'renderer', 'datasets', 'models', 'web'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: 'error' | 'warn' | 'info' | 'ignore' };
}

/** depcruise with the project's configuration on `paths`, as `npm run depcheck` runs it; its violations. */
function cruise(paths: string[], extra: string[] = []): Violation[] {
  const run = spawnSync(process.execPath, [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...extra, ...paths], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (!run.stdout) throw new Error(`depcruise wrote nothing (exit ${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const errors = (violations: Violation[]) => violations.filter((v) => v.rule.severity === 'error');
const show = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

describe('the layers', () => {
  it('fail an import from a higher layer (src/util importing src/pipeline)', () => {
    const probe = `src/util/zz-layers-probe-${process.pid}.ts`;
    try {
      writeFileSync(join(root, probe), "import '../pipeline/state.ts';\n");
      const found = errors(cruise([probe], ['--max-depth', '1'])).filter((v) => v.from === probe);
      expect(show(found)).toEqual(['layer-util: ' + probe + ' -> src/pipeline/state.ts']);
    } finally {
      rmSync(join(root, probe), { force: true });
    }
  });

  it('fail an import cycle, even inside one folder and through types alone', () => {
    const a = `src/util/zz-cycle-a-${process.pid}.ts`;
    const b = `src/util/zz-cycle-b-${process.pid}.ts`;
    try {
      writeFileSync(join(root, a), `import type { B } from './zz-cycle-b-${process.pid}.ts';\nexport type A = B[];\n`);
      writeFileSync(join(root, b), `import type { A } from './zz-cycle-a-${process.pid}.ts';\nexport interface B { a?: A }\n`);
      const found = errors(cruise([a, b])).filter((v) => v.rule.name === 'no-circular');
      expect(found).toHaveLength(1); // a cycle is reported once, from one of its modules
      expect([a, b]).toContain(found[0].from);
    } finally {
      rmSync(join(root, a), { force: true });
      rmSync(join(root, b), { force: true });
    }
  });

  it('hold in the real tree: no upward import, no cycle', () => {
    expect(show(errors(cruise(SOURCES)))).toEqual([]);
  });

  it('are drawn in docs/ARCHITECTURE.md as the configuration lists them', () => {
    const check = spawnSync(process.execPath, [join(root, 'scripts', 'layers-doc.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
