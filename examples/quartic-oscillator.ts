// Your own system, end to end, through the package entry point only: a quartic oscillator
// H = q^4/4 + p^2/2, a state dataset, an HNN and a baseline, their rollouts and energy MSE.
// Run it in a project that has hnn-ts installed (docs/LIBRARY.md, "Installing"): npx tsc -p . && node quartic-oscillator.js
import {
  buildStateDataset,
  defineStateTask,
  defineSystem,
  energyEvaluation,
  fieldFunction,
  initBackend,
  toStateData,
  trainStateModel,
} from 'hnn-ts';

const quartic = defineSystem({
  name: 'quartic',
  description: 'quartic oscillator, H = q^4/4 + p^2/2',
  coordinates: ['q'],
  hamiltonian: ([q, p]) => q ** 4 / 4 + p ** 2 / 2,
  gradient([q, p], out) {
    out[0] = q ** 3; // dH/dq
    out[1] = p; // dH/dp
  },
  sample(rng) {
    const r = rng.range(0.3, 1.2);
    const a = rng.range(0, 2 * Math.PI);
    return Float64Array.of(r * Math.cos(a), r * Math.sin(a));
  },
});

const task = defineStateTask(quartic, { train: { steps: Number(process.env.STEPS ?? 2000) } });
const backend = await initBackend(process.env.BACKEND ?? 'auto');
const data = toStateData(buildStateDataset(task, 0));
const results: Record<string, number> = {};
for (const kind of ['baseline', 'hnn'] as const) {
  const { model } = await trainStateModel({ kind, seed: 0, ...task.train }, data, { quiet: true });
  const energy = energyEvaluation(task, fieldFunction(kind, model.read()));
  model.dispose();
  results[kind] = energy.mean;
  console.log(`${kind}: energy MSE ${energy.mean.toExponential(3)} (${energy.description})`);
}
console.log(JSON.stringify({ backend: backend.name, energyMse: results }));
