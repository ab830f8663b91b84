// The package's own folder (the one holding its package.json), found from this module's location so
// that the same code works from the TypeScript sources (src/util/) and from the build (dist/src/util/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  // bounded by the depth of the path: dirname of the root is the root
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hnn-ts') return (root = dir);
    const up = dirname(dir);
    if (up === dir)
      throw new Error('hnn-ts: cannot find the package folder (package.json named "hnn-ts") above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A file shipped with the package (e.g. "data/real_pend_h_1.txt"). */
export function packageFile(relative: string): string {
  return join(packageRoot(), relative);
}
