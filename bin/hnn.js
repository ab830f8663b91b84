#!/usr/bin/env node
// Entry point of the `hnn` command: runs the compiled package (dist/, built by `npm run build`,
// which `npm install` runs through the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('hnn: error: the package is not built (dist/ is missing); run `npm run build` in the hnn-ts folder\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
await run(process.argv);
