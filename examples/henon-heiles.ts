// Your own system from H alone, through the package entry point: the Henon-Heiles system as an
// expression (its exact gradient comes from symbolic differentiation), a state dataset, an HNN and a
// baseline, and their rollout metrics. The same settings as examples/henon-heiles.yaml, so
// `npx hnn train --system henon-heiles.yaml --model hnn --steps 600` prints the same numbers.
// Compile and run (docs/YOUR-SYSTEM.md): npx tsc -p . && node henon-heiles.js
import * as hnn from 'hnn-ts';

const system = hnn.defineSystem({
  name: 'henon-heiles',
  q: ['x', 'y'],
  p: ['px', 'py'],
  H: '(px^2 + py^2)/2 + (x^2 + y^2)/2 + lambda*(x^2*y - y^3/3)',
  params: { lambda: 1 },
  // bounded below the escape energy 1/6: keep sampled states in [0.02, 0.12]
  sampler: { ranges: { x: [-0.5, 0.5], y: [-0.5, 0.5], px: [-0.5, 0.5], py: [-0.5, 0.5] }, energy: [0.02, 0.12] },
});

const task = hnn.defineStateTask(system, {
  data: { trajectories: 50, t1: 3, points: 30, noiseStd: 0.01 },
  train: { steps: Number(process.env.STEPS ?? 600) },
  energy: { count: 15, t1: 20, states: 'sampler' },
});
const backend = await hnn.initBackend(process.env.BACKEND ?? 'auto');
const data = hnn.toStateData(hnn.buildStateDataset(task, 0));
const results: Record<string, { testLoss: number; energyMse: number; stateMse: number; vptMean: number }> = {};
for (const kind of ['hnn', 'baseline'] as const) {
  const { model } = await hnn.trainStateModel({ kind, seed: 0, ...task.train }, data, { quiet: true });
  const testLoss = hnn.derivativeLoss(model, data.test, data.dim).mean;
  const r = hnn.energyEvaluation(task, hnn.fieldFunction(kind, model.read()));
  model.dispose();
  results[kind] = { testLoss, energyMse: r.mean, stateMse: r.stateMse.mean, vptMean: r.vptMean };
  console.log(`${kind}: test loss ${testLoss.toExponential(3)}, energy MSE ${r.mean.toExponential(3)}, VPT mean ${r.vptMean.toFixed(2)}`);
}
console.log(JSON.stringify({ backend: backend.name, gradient: system.gradientSource, results }));
