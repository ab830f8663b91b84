#!/usr/bin/env node
// Kill -9 at random moments, 20 times per scenario, and check after every kill that nothing a later
// command could mistake for finished was left, that no finished result was lost, and that the rerun
// (or --resume) completes. Not part of `npm test` (it takes minutes): `npm run stress:kill [N]`.
//
// Scenarios: generate a large dataset (the default pixel-pendulum) over an existing one with --force;
// train a state model over a finished run with --force; train a pixel model, resuming after each
// kill; a quick reproduction, rerun after each kill.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/hnn.js', import.meta.url).pathname;
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { readDataset } = await import(dist('datasets/format.js'));
const { inspectOutput } = await import(dist('src/util/output.js'));
const { Rng } = await import(dist('src/util/rng.js'));

const rounds = Number(process.argv[2] ?? 20);
// optional: only the scenarios whose name contains this text (`npm run stress:kill -- 20 reproduce`)
const only = process.argv[3] ?? '';
const root = mkdtempSync(join(tmpdir(), 'hnn-kill-'));
const rng = new Rng(20261129);
const report = [];

function run(args) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hnn ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** Starts `hnn args`, kills it with SIGKILL after `ms`, and says whether it had already finished. */
function killAfter(args, ms) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--quiet'], { stdio: 'ignore' });
    let exited = false;
    child.on('exit', (code) => {
      exited = true;
      resolve(code === 0 ? 'finished' : code === null ? 'killed' : `failed (${code})`);
    });
    setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, ms);
  });
}

/** A finished dataset must read back whole (every checksum, every value finite). */
function datasetOk(dir) {
  try {
    readDataset(dir);
    return true;
  } catch {
    return false;
  }
}

/** A finished run: metrics.json parses with finite headline numbers and its model files exist. */
function runOk(dir) {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    return Number.isFinite(m.testLoss.mean) && Number.isFinite(m.energyMse.mean) && existsSync(join(dir, 'model', 'weights.bin'));
  } catch {
    return false;
  }
}

async function scenario(name, { setup, args, window, check, rerun }) {
  if (!name.includes(only)) return;
  const counts = { kills: 0, finishedBeforeKill: 0, unfinishedLeft: 0, violations: 0, rerunsCompleted: 0 };
  setup();
  for (let i = 0; i < rounds; i++) {
    const ms = Math.round(window[0] + rng.uniform() * (window[1] - window[0]));
    const outcome = await killAfter(args(i), ms);
    if (outcome === 'killed') counts.kills++;
    else if (outcome === 'finished') counts.finishedBeforeKill++;
    else throw new Error(`${name}: round ${i} ${outcome}`);
    const verdict = check();
    if (verdict === 'violation') {
      counts.violations++;
      console.error(`${name}: round ${i} (kill at ${ms} ms) left a bad state`);
    } else if (verdict === 'unfinished') counts.unfinishedLeft++;
    rerun(i);
    counts.rerunsCompleted++;
  }
  report.push({ scenario: name, rounds, ...counts });
  console.log(name, JSON.stringify(counts));
}

// 1. Replace a finished pixel dataset with --force: after any kill the folder must hold a whole dataset.
const ds = join(root, 'pixel-data');
await scenario('generate pixel-pendulum --force over a finished dataset', {
  setup: () => run(['generate', 'pixel-pendulum', '--out', ds, '--seed', '1']),
  args: (i) => ['generate', 'pixel-pendulum', '--out', ds, '--seed', String(2 + (i % 2)), '--force'],
  window: [300, 9000],
  check: () => (datasetOk(ds) ? 'ok' : 'violation'),
  rerun: (i) => run(['generate', 'pixel-pendulum', '--out', ds, '--seed', String(2 + (i % 2)), '--force']),
});

// 2. Retrain a finished state run with --force: the old run stays whole until the new one is.
const stateData = join(root, 'two-body-data');
const stateRun = join(root, 'two-body-run');
const trainState = ['train', '--task', 'two-body', '--steps', '600', '--data', stateData, '--out', stateRun];
await scenario('train two-body --force over a finished run', {
  setup: () => {
    run(['generate', 'two-body', '--out', stateData]);
    run(trainState);
  },
  args: () => [...trainState, '--force'],
  window: [300, 12000],
  check: () => (runOk(stateRun) ? 'ok' : 'violation'),
  rerun: () => run([...trainState, '--force']),
});

// 3. A pixel run killed anywhere: either finished and whole, or unfinished (then --resume completes it).
const pixRun = join(root, 'pixel-run');
const trainPixel = ['train', '--task', 'pixel-pendulum', '--model', 'hnn', '--steps', '120', '--data', ds, '--out', pixRun];
await scenario('train pixel-pendulum, killed and resumed', {
  setup: () => {},
  // even rounds: a fresh run, killed, then resumed; odd rounds: --force over the finished run
  args: (i) => {
    if (i % 2 === 0) rmSync(pixRun, { recursive: true, force: true });
    return i % 2 === 0 ? trainPixel : [...trainPixel, '--force'];
  },
  window: [500, 15000],
  check: () => {
    const s = inspectOutput(pixRun);
    if (s.state === 'ours' && s.finished) return runOk(pixRun) ? 'ok' : 'violation';
    return s.state === 'foreign' ? 'violation' : 'unfinished';
  },
  rerun: () => {
    const s = inspectOutput(pixRun);
    if (s.state === 'ours' && s.finished) return;
    run(existsSync(join(pixRun, 'checkpoint.bin')) ? [...trainPixel, '--resume'] : [...trainPixel, '--force']);
    if (!runOk(pixRun)) throw new Error('the resumed pixel run did not finish whole');
  },
});

// 4. A quick reproduction killed anywhere, rerun: finished runs are reused, the table completes.
const repro = join(root, 'repro');
const reproduce = ['reproduce', '--quick', '--tasks', 'spring,real-pendulum', '--out', repro];
await scenario('reproduce --quick, killed and rerun', {
  setup: () => {},
  args: () => reproduce,
  window: [500, 20000],
  check: () => {
    const s = inspectOutput(repro);
    if (s.state === 'absent' || s.state === 'empty') return 'unfinished';
    if (s.state !== 'ours') return 'violation';
    return s.finished && !existsSync(join(repro, 'table.md')) ? 'violation' : s.finished ? 'ok' : 'unfinished';
  },
  rerun: () => {
    run(reproduce);
    if (!existsSync(join(repro, 'table.json'))) throw new Error('the rerun reproduction wrote no table');
    rmSync(repro, { recursive: true, force: true }); // the next round starts from nothing again
  },
});

console.log(JSON.stringify({ root, report }, null, 2));
rmSync(root, { recursive: true, force: true });
process.exitCode = report.some((r) => r.violations > 0) ? 1 : 0;
