#!/usr/bin/env node
// Trains every task family and model kind for 30 updates from seed 0 and prints the sha256 of the
// resulting weights, one line per configuration: a refactor of the training code that claims not
// to move numbers must print the same lines before and after (run against `dist/`, after
// `npm run build`). `--dump DIR` also writes each configuration's weights (float32, keys sorted) to
// DIR; `--against DIR` prints, beside each hash, the largest difference from those weights relative
// to their largest magnitude. Usage:
//   node scripts/weights-after-30.mjs [--backend NAME] [--only SUBSTRING] [--dump DIR] [--against DIR]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hnn from '../dist/src/index.js';

const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const backend = flag('--backend', 'wasm');
const only = flag('--only', '');
const dump = flag('--dump', null);
const against = flag('--against', null);
if (dump) mkdirSync(dump, { recursive: true });
await hnn.initBackend(backend);

const flat = (weights) =>
  Float32Array.from(
    Object.keys(weights)
      .sort()
      .flatMap((k) => Array.from(weights[k].values)),
  );
const fileOf = (dir, label) => join(dir, `${label.replace(/[^a-z0-9]+/gi, '-')}.bin`);
const report = (label, weights) => {
  const values = flat(weights);
  if (dump) writeFileSync(fileOf(dump, label), Buffer.from(values.buffer));
  let extra = '';
  if (against && existsSync(fileOf(against, label))) {
    const b = readFileSync(fileOf(against, label));
    const ref = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    let [gap, scale] = [0, 0];
    ref.forEach((r, i) => ((gap = Math.max(gap, Math.abs(values[i] - r))), (scale = Math.max(scale, Math.abs(r)))));
    extra = ` (max |diff| / max |w| = ${(gap / scale).toExponential(2)})`;
  }
  console.log(`${label}: ${digest(weights)}${extra}`);
};
const digest = (weights) => {
  const h = createHash('sha256');
  for (const k of Object.keys(weights).sort()) {
    h.update(k);
    h.update(Buffer.from(Float32Array.from(weights[k].values).buffer));
  }
  return h.digest('hex').slice(0, 16);
};

const stateCases = [
  ['spring', ['hnn', 'baseline', 'dhnn']],
  ['pendulum', ['hnn', 'baseline']],
  ['two-body', ['hnn', 'baseline']],
];
for (const [taskName, kinds] of stateCases) {
  const task = hnn.getStateTask(taskName);
  const data = hnn.toStateData(hnn.buildStateDataset(task, 0));
  for (const kind of kinds) {
    const label = `state ${taskName} ${kind}`;
    if (only && !label.includes(only)) continue;
    const p = task.train;
    const cfg = {
      kind,
      seed: 0,
      steps: 29,
      batchSize: p.batchSize,
      weightDecay: p.weightDecay,
      lr: p.lr,
      hidden: p.hidden,
      logEvery: 1000,
    };
    if (kind === 'dhnn') cfg.dissipationWeightDecay = 3e-3;
    const r = await hnn.trainStateModel(cfg, data, { quiet: true });
    report(label, r.model.read());
    r.model.dispose();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'w30-'));
try {
  const task = hnn.getPixelTask('pixel-pendulum');
  await hnn.generatePixelDataset(task, { out: join(dir, 'px'), seed: 0, trials: 10, frames: 24, quiet: true });
  const ds = hnn.loadPixelDataset(join(dir, 'px'));
  const data = ds.data;
  const pixelCases = [
    ['hnn default (leapfrog K=4)', 'hnn', {}, false],
    ['baseline default', 'baseline', {}, false],
    ['dhnn default', 'dhnn', {}, false],
    ['hnn paper (euler K=1)', 'hnn', {}, true],
    ['baseline paper', 'baseline', {}, true],
    ['hnn euler K=4', 'hnn', { latentStep: 'euler' }, false],
    ['hnn rk4 K=2', 'hnn', { latentStep: 'rk4', rolloutSteps: 2 }, false],
    ['hnn conv paper', 'hnn', { encoder: 'conv' }, true],
  ];
  for (const [name, kind, over, paper] of pixelCases) {
    const label = `pixel ${name}`;
    if (only && !label.includes(only)) continue;
    const cfg = hnn.pixelTrainConfig(task, kind, 0, 28, {}, paper);
    const { encoder, ...loss } = over;
    cfg.loss = { ...cfg.loss, ...loss };
    if (encoder) cfg.spec = { ...cfg.spec, encoder };
    cfg.steps = 29;
    cfg.batchSize = 40;
    const r = await hnn.trainPixelModel(cfg, data, { quiet: true, evalRows: 20 });
    report(label, r.model.read());
    r.model.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
