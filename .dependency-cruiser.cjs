// The layers of hnn-ts and the dependency check that enforces them (`npm run depcheck`, part of
// `npm test`). LAYERS is the one ordered list, bottom to top: a module may import from its own layer
// and from the layers below it, never from one above. One `forbidden` rule per layer is generated
// from it, and scripts/layers-doc.mjs draws it into docs/ARCHITECTURE.md (test/layers.test.ts checks
// that the drawing is current). Node's builtins and packages in node_modules are allowed everywhere.
'use strict';

/** @type {{ name: string, path: string, what: string }[]} bottom to top; `path` is a folder or a file */
const LAYERS = [
  { name: 'util', path: 'src/util/', what: 'files, locks, .npy, RNGs, option checks, workers' },
  { name: 'integrate', path: 'src/integrate/', what: 'RK45, RK4, Dormand-Prince 5, leapfrog, Euler' },
  { name: 'engine', path: 'src/engine/', what: 'tensor vocabulary and its lowerings (ONNX, tfjs, float64)' },
  { name: 'tf', path: 'src/tf/', what: 'tfjs backends, numerical fixes, fused kernels' },
  { name: 'media', path: 'src/media/', what: 'plots, GIF and MP4 videos' },
  { name: 'systems', path: 'src/systems/', what: 'Hamiltonians, samplers, scenes' },
  { name: 'tasks', path: 'src/tasks/', what: 'task records, the registry, system files' },
  { name: 'renderer', path: 'renderer/', what: 'rasteriser and simulation sources' },
  { name: 'datasets', path: 'datasets/', what: 'state, measured and pixel datasets' },
  { name: 'models', path: 'models/', what: 'MLP, HNN, D-HNN, autoencoders, pixel model' },
  { name: 'train', path: 'src/train/', what: 'steps, engines, Adam, training loops' },
  { name: 'eval', path: 'src/eval/', what: 'losses, rollouts, VPT, statistics' },
  { name: 'pipeline', path: 'src/pipeline/', what: 'experiments end to end, sweeps, reproduce' },
  { name: 'web', path: 'src/web/', what: 'hnn web (site builder), hnn serve' },
  { name: 'cli', path: 'src/cli/', what: 'the hnn command' },
  { name: 'page', path: 'web/', what: 'the browser page (bundled by scripts/build-web.mjs)' },
  { name: 'index', path: 'src/index.ts', what: 'the public API' },
];

/** The regular expression of a layer's path (relative to the repository root, as depcruise reports it). */
const pattern = (layer) => '^' + layer.path.replace(/[.]/g, '\\.') + (layer.path.endsWith('/') ? '' : '$');

/** Every folder the check looks at: a module in one of them must belong to a layer. */
const ROOTS = '^(src|renderer|datasets|models|web)/';

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.path} imports only from itself and the layers below it; not from ${LAYERS.slice(i + 1)
    .map((l) => l.path)
    .join(', ')}`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: LAYERS.slice(i + 1).map(pattern) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'no import cycle, inside a folder or across folders (type imports count: a cycle of types is a knot in the design too)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-in-a-layer',
      comment: `every module under ${ROOTS} belongs to a layer of LAYERS (add a new folder to the list)`,
      severity: 'error',
      from: { path: ROOTS, pathNot: LAYERS.map(pattern) },
      to: {},
    },
    {
      name: 'not-in-a-layer-orphan',
      comment: 'the same for a module that imports nothing and that nothing imports',
      severity: 'error',
      from: { path: ROOTS, pathNot: LAYERS.map(pattern), orphan: true },
      to: {},
    },
    {
      name: 'to-no-layer',
      comment: `an import of a module under ${ROOTS} that belongs to no layer of LAYERS`,
      severity: 'error',
      from: {},
      to: { path: ROOTS, pathNot: LAYERS.map(pattern) },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves (an unresolved one would escape the layer rules)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|runs|site|scratch)/' },
    // type-only imports count: a layer does not name the types of a layer above it either
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.json'],
      // packages' `exports` (csv-parse/sync, pure-rand's subpaths) as Node and TypeScript resolve them
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};

// The list itself, for scripts/layers-doc.mjs and test/layers.test.ts; not enumerable, so depcruise's
// configuration schema (which allows no extra keys) does not see it.
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
