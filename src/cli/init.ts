// `hnn init DIR`: a runnable starter for a user's own system. It writes, into a new or empty folder:
//   system.yaml    a system file (the Henon-Heiles example: H as an expression, a sampler in an
//                  energy band, state and pixel settings), usable as is with `hnn ... --system`;
//   train.ts       a script that loads it, trains an HNN and a baseline, prints their metrics and
//                  plots the energy along the first test rollout (energy.png);
//   tsconfig.json  the compiler settings the script needs (examples/tsconfig.json);
//   package.json   "type": "module", hnn-ts as `file:` the package this command runs from (hnn-ts is
//                  not on the npm registry: a version range would not install), and `npm run train`;
//   README.md      what to run.
// An existing file is never overwritten: a folder that is not empty is refused.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { makeDir, writeFileAtomic } from '../util/files.ts';
import { packageFile, packageRoot } from '../util/package-root.ts';

const TRAIN_TS = `// Trains an HNN and a baseline on the state task of system.yaml and plots their energy along the
// first test rollout. Run: npm run train (STEPS=100 npm run train for a short try).
import { buildStateDataset, energyEvaluation, fieldFunction, initBackend, linePlot, loadSystemFile, toStateData, trainStateModel } from 'hnn-ts';
import type { StateTask } from 'hnn-ts';

// the file's first task is its state task (the second, pixel-<name>, learns from frames)
const [task] = (await loadSystemFile('system.yaml')) as [StateTask];
const run: StateTask = { ...task, train: { ...task.train, steps: Number(process.env.STEPS ?? task.train.steps) } };
const backend = await initBackend(process.env.BACKEND ?? 'auto');
const data = toStateData(buildStateDataset(run, 0));
const series: Array<{ name: string; x: ArrayLike<number>; y: ArrayLike<number> }> = [];
for (const kind of ['hnn', 'baseline'] as const) {
  const { model } = await trainStateModel({ kind, seed: 0, ...run.train }, data, { label: kind });
  const r = energyEvaluation(run, fieldFunction(kind, model.read()));
  model.dispose();
  console.log(\`\${kind}: energy MSE \${r.mean.toExponential(3)}, state MSE \${r.stateMse.mean.toExponential(3)}, VPT mean \${r.vptMean.toFixed(2)}\`);
  if (series.length === 0) series.push({ name: 'truth', x: r.truth[0].t, y: r.truth[0].energy });
  series.push({ name: kind, x: r.predicted[0].t, y: r.predicted[0].energy });
}
await linePlot('energy.png', { title: \`\${run.name}: energy along a rollout (\${backend.name})\`, xLabel: 't', yLabel: 'H', series });
console.log('wrote energy.png');
`;

const README = (name: string) => `# ${name}: your own system for hnn-ts

- \`system.yaml\`: the system (H as an expression in q and p, a sampler, dataset and training settings).
- \`npm install\` links hnn-ts from the package \`hnn init\` ran from (\`file:\` in package.json; hnn-ts
  is not on the npm registry), then \`npm run train\`: compiles \`train.ts\` and runs it (an HNN and a baseline,
  their metrics, \`energy.png\`). \`STEPS=100 npm run train\` is a short try.
- The command line takes the same file: \`npx hnn train --system system.yaml --model hnn\`,
  \`npx hnn generate pixel-<name> --system system.yaml --out data\` (frames from the default scene).

The system file's fields are in node_modules/hnn-ts/docs/YOUR-SYSTEM.md.
`;

/** Writes the starter into `dir` (created; refused when it holds anything). Returns the files written. */
export function initProject(dir: string): string[] {
  const out = resolve(dir);
  if (existsSync(out) && readdirSync(out).length > 0) throw new UserError(`${out} is not empty; choose a new or empty folder for hnn init`);
  makeDir(out);
  const linked = `file:${packageRoot()}`;
  const files: Record<string, string> = {
    'system.yaml': readFileSync(packageFile('examples/henon-heiles.yaml'), 'utf8'),
    'tsconfig.json': readFileSync(packageFile('examples/tsconfig.json'), 'utf8'),
    'train.ts': TRAIN_TS,
    'package.json': `${JSON.stringify(
      {
        name: basename(out)
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, '-'),
        private: true,
        type: 'module',
        scripts: { train: 'tsc -p . && node train.js' },
        dependencies: { 'hnn-ts': linked },
        devDependencies: { typescript: '^5.9.0', '@types/node': '^20.0.0' },
        // the linked hnn-ts is built where it lives (this command ran from its build): its prepare
        // script, which rebuilds it, need not run (npm 11 would run it and warn, npm 12 skip it)
        allowScripts: { [linked]: false },
      },
      null,
      2,
    )}\n`,
    'README.md': README(basename(out)),
  };
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(out, name), text);
  return Object.keys(files).map((f) => join(out, f));
}

/** Adds `hnn init DIR`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a runnable starter for your own system: system.yaml, train.ts, tsconfig.json, package.json')
    .argument('<dir>', 'a new or empty folder')
    .action((dir: string) => {
      for (const f of initProject(dir)) console.log(`wrote ${f}`);
      console.log(`next: cd ${dir} && npm install && npm run train`);
    });
}
