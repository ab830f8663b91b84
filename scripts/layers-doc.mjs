// Draws the layers of .dependency-cruiser.cjs (its ordered LAYERS list) into docs/ARCHITECTURE.md,
// between <!-- LAYERS --> and <!-- /LAYERS -->. `node scripts/layers-doc.mjs` writes the drawing;
// `--check` writes nothing and exits 1 when the document's drawing differs from the list's
// (test/layers.test.ts runs that, so the document cannot drift from the configuration).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join(root, 'docs', 'ARCHITECTURE.md');
const OPEN = '<!-- LAYERS -->';
const CLOSE = '<!-- /LAYERS -->';

/** The ordered list (bottom to top) from the dependency check's configuration. */
export function layers() {
  return createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')).LAYERS;
}

/** The fenced block: the layers top to bottom in a box; imports point down (or stay in their row). */
export function drawing(list = layers()) {
  const top = [...list].reverse();
  const width = (key) => Math.max(...top.map((l) => l[key].length));
  const [wp, wn, ww] = [width('path'), width('name'), width('what')];
  const inner = 2 + wp + 2 + wn + 2 + ww + 1;
  const row = (l, i) => {
    const arrow = i === top.length - 1 ? '▼' : '│';
    return ` ${arrow} │ ${l.path.padEnd(wp)}  ${l.name.padEnd(wn)}  ${l.what.padEnd(ww)} │`;
  };
  return [
    '```text',
    ' each layer imports from itself and the layers below it only (npm run depcheck)',
    ` ┬ ┌${'─'.repeat(inner)}┐`,
    ...top.map(row),
    `   └${'─'.repeat(inner)}┘`,
    '```',
  ].join('\n');
}

/** The document with its block between the markers replaced by `block`. */
export function withDrawing(doc, block) {
  const start = doc.indexOf(OPEN);
  const end = doc.indexOf(CLOSE);
  if (start < 0 || end < start) throw new Error(`${DOC}: no ${OPEN} ... ${CLOSE} block`);
  return doc.slice(0, start + OPEN.length) + '\n' + block + '\n' + doc.slice(end);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const doc = readFileSync(DOC, 'utf8');
  const next = withDrawing(doc, drawing());
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error(`${DOC} is out of date with .dependency-cruiser.cjs: run npm run layers-doc`);
      process.exit(1);
    }
  } else if (next !== doc) {
    writeFileSync(DOC, next);
    console.log(`wrote the layers into ${DOC}`);
  }
}
