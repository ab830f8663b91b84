// Bundles the page of `hnn web` (web/main.ts and what it imports from src/, models/, renderer/) for
// the browser, at build time: users' machines get dist/web/ inside the package and never need a
// bundler. The bundle is built for platform 'browser', where esbuild refuses any `node:` import
// (and any Node built-in the packages' "browser" fields do not replace), so a page that would need
// Node cannot be built at all. Also copies index.html, style.css and the tfjs wasm binaries.
//
//   node scripts/build-web.mjs [OUT]      (default: dist/web)
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The line of web/index.html replaced by the bundle's static chunks. */
const MODULE_MARK = "<!-- modulepreload: the bundle's chunks, listed by scripts/build-web.mjs -->";

/** Builds the page into `final`; returns the files written and the modules the bundle holds. */
export async function buildWeb(final = join(root, 'dist', 'web')) {
  // built beside and swapped in whole: a command reading the page meanwhile sees the old one or the new
  const out = `${final}.${process.pid}.tmp`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  let inputs;
  try {
    inputs = await bundleInto(out);
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    throw e;
  }
  const files = readdirSync(out).sort();
  const old = `${final}.${process.pid}.old`;
  if (existsSync(final)) renameSync(final, old);
  renameSync(out, final);
  rmSync(old, { recursive: true, force: true });
  return { out: final, files, inputs };
}

/** The bundle and its chunks, index.html, style.css and the wasm binaries, written to `out`. */
async function bundleInto(out) {
  const result = await build({
    entryPoints: { bundle: join(root, 'web', 'main.ts') },
    outdir: out,
    // the webgl backend becomes its own chunk, loaded only when the page is asked for webgl
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'warning',
    // tfjs reads process.env.NODE_ENV where a bundler defines it
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: { '@tensorflow/tfjs': join(root, 'web', 'tfjs.ts') },
  });
  // a warning is an error here: e.g. a name the page takes from '@tensorflow/tfjs' that the alias
  // above does not export ("will always be undefined") would fail only when the page runs
  if (result.warnings.length) throw new Error(`the page bundle has ${result.warnings.length} warning(s), printed above`);
  const inputs = Object.keys(result.metafile.inputs);
  const nodeOnly = inputs.filter((p) => p.startsWith('node:'));
  if (nodeOnly.length) throw new Error(`the page bundle imports Node modules: ${nodeOnly.join(', ')}`);
  // the chunks the bundle imports statically, fetched with it rather than after it is parsed
  const entry = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const statics = entry.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path));
  const html = readFileSync(join(root, 'web', 'index.html'), 'utf8');
  if (!html.includes(MODULE_MARK)) throw new Error(`web/index.html lacks the line ${MODULE_MARK}`);
  const links = statics.map((f) => `<link rel="modulepreload" href="${f}" />`).join('\n    ');
  writeFileSync(join(out, 'index.html'), html.replace(MODULE_MARK, links));
  copyFileSync(join(root, 'web', 'style.css'), join(out, 'style.css'));
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const wasm = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
  if (wasm.length === 0) throw new Error(`no .wasm binaries in ${wasmDir}`);
  for (const f of wasm) copyFileSync(join(wasmDir, f), join(out, f));
  return inputs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const r = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(
    `web page: ${r.files.length} files in ${r.out} (${r.inputs.length} modules, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}
