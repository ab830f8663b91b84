// `npm install`'s prepare step. In a checkout (tsconfig.build.json present) it builds dist/ and the
// page; a copy installed from the packed tarball, or linked from one (a starter of `hnn init`), ships
// dist/ built and has neither the sources nor the compiler, so there is nothing to do.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (existsSync(`${root}/tsconfig.build.json`)) execSync('npm run build', { cwd: root, stdio: 'inherit' });
else if (!existsSync(`${root}/dist/src/index.js`)) {
  console.error('hnn-ts: dist/ is missing and there are no sources to build it from; reinstall the package');
  process.exit(1);
}
