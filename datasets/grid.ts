// Grid state datasets (GridData, src/tasks/task.ts): every state of a regular grid with the exact
// field at it as the target, no noise and no time, shuffled and split. This is the D-HNN paper's
// damped-spring protocol (Sosanya & Greydanus 2022: a 25 x 25 grid on [-1.2, 1.2]^2, an 85/15 split
// of np.random.permutation(625) after np.random.seed(seed)); with the 'numpy-legacy' shuffle, seed s
// gives the reference's rows at seed s, in its order.
import { NumpyLegacyRandom } from '../src/util/numpy-random.ts';
import { Rng } from '../src/util/rng.ts';
import { checkMemory } from '../src/util/memory.ts';
import type { GridData, StateTask } from '../src/tasks/task.ts';
import type { StateDataset } from './state-dataset.ts';

/** The grid's states in numpy's meshgrid order (the first coordinate varies fastest), [size^dim, dim]. */
export function gridStates(data: Pick<GridData, 'min' | 'max' | 'size'>, dim: number): Float64Array {
  // numpy.linspace's values to the bit: min + i step with step = (max - min) / (size - 1), the last max
  const step = data.size > 1 ? (data.max - data.min) / (data.size - 1) : 0;
  const axis = Float64Array.from({ length: data.size }, (_, i) => (i === data.size - 1 ? data.max : data.min + i * step));
  const rows = data.size ** dim;
  const x = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let rest = r;
    for (let c = 0; c < dim; c++) {
      x[r * dim + c] = axis[rest % data.size];
      rest = Math.floor(rest / data.size);
    }
  }
  return x;
}

/** The shuffle of the grid's rows, as `data.shuffle` says. */
function shuffleOf(data: GridData, rows: number, seed: number): Int32Array {
  return data.shuffle === 'numpy-legacy'
    ? new NumpyLegacyRandom(seed).permutation(rows)
    : new Rng(seed).fork('grid-shuffle').permutation(rows);
}

/** The grid dataset of a task at a seed: targets are the system's exact field at the grid states. */
export function buildGrid(task: StateTask, data: GridData, seed: number, generatorVersion: number): StateDataset {
  const system = task.system;
  const dim = system.dim;
  const rows = data.size ** dim;
  checkMemory(`the ${task.name} grid (${rows} rows)`, { 'x and dx': 2 * 2 * rows * dim * 8 }, 'use a smaller grid');
  const grid = gridStates(data, dim);
  const order = shuffleOf(data, rows, seed);
  const x = new Float64Array(rows * dim);
  const dx = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const from = grid.subarray(order[r] * dim, (order[r] + 1) * dim);
    x.set(from, r * dim);
    system.fieldInto(0, from, dx.subarray(r * dim, (r + 1) * dim));
  }
  const cut = Math.floor(rows * data.trainFraction);
  const t = new Float64Array(rows);
  return {
    task: task.name,
    seed,
    dim,
    trainRows: cut,
    testRows: rows - cut,
    trainX: x.slice(0, cut * dim),
    trainDx: dx.slice(0, cut * dim),
    trainT: t.slice(0, cut),
    testX: x.slice(cut * dim),
    testDx: dx.slice(cut * dim),
    testT: t.slice(cut),
    params: {
      task: task.name,
      system: system.name,
      systemDescription: system.description,
      stateLabels: system.stateLabels,
      friction: system.friction,
      frictionOn: system.frictionOn,
      ...data,
      targets: 'exact field at the grid states',
      noise: 'none',
      time: 'none (every row t = 0)',
      randomDraws:
        data.shuffle === 'numpy-legacy' ? `np.random.seed(${seed}); np.random.permutation(${rows})` : 'Rng(seed).fork("grid-shuffle")',
      split: `first ${cut} shuffled rows train, remaining ${rows - cut} test`,
      rows,
      trainRows: cut,
      testRows: rows - cut,
      generatorVersion,
    },
  };
}
