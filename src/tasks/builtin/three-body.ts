// The three-body task (the system: src/systems/three-body.ts): the paper's appendix, task 4b.
import { threeBody } from '../../systems/three-body.ts';
import { paperRow, sampledStateData, sampledStateEnergy, STATE_TRAIN_DEFAULTS } from '../defaults.ts';
import type { StateTask } from '../task.ts';

export const threeBodyTask: StateTask = {
  kind: 'state',
  name: 'three-body',
  suites: ['paper'],
  description: 'three-body gravitation (paper appendix), 12-D state',
  system: threeBody,
  data: sampledStateData(5000, 5, 20),
  train: { ...STATE_TRAIN_DEFAULTS, steps: 10000, batchSize: 600 },
  // the paper gives the horizon and points only; the two-body tolerance is used
  energy: sampledStateEnergy(3, 500),
  quick: { steps: 800, data: { trajectories: 1000 } },
  // paper appendix, values x 1e2
  published: paperRow(1e2, [9.6, 7], [8.0, 2], [38, 40], [49, 48], [1.1e4, 8e3], [4.2, 3]),
};
