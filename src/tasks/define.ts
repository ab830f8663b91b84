// A state task for a user's own system in a few lines: the paper's state protocol (docs/PROTOCOLS.md,
// task 1) with whatever the user changes. Defaults: 50 trajectories on t in [0, 3] (30 points),
// noise 0.1, half train; 2000 full-batch steps, weight decay 1e-4; energy MSE from 15 states of the
// box +-[0.2, 1) over t in [0, 20].
import type { System } from '../systems/system.ts';
import type { SimulatedData, SimulatedEnergyEval, StateTask, StateTrainProtocol } from './task.ts';

export interface StateTaskOptions {
  /** Default: the system's name. */
  name?: string;
  description?: string;
  data?: Partial<Omit<SimulatedData, 'source'>>;
  train?: Partial<StateTrainProtocol>;
  energy?: Partial<SimulatedEnergyEval>;
  /** Steps of --quick (default: a fifth of the protocol's). */
  quickSteps?: number;
}

export function defineStateTask(system: System, o: StateTaskOptions = {}): StateTask {
  const train: StateTrainProtocol = { steps: 2000, batchSize: null, weightDecay: 1e-4, lr: 1e-3, hidden: [200, 200], ...o.train };
  return {
    kind: 'state',
    name: o.name ?? system.name,
    suites: [],
    description: o.description ?? system.description,
    system,
    data: {
      source: 'simulated',
      trajectories: 50,
      t0: 0,
      t1: 3,
      points: 30,
      rtol: 1e-10,
      atol: 1e-10,
      noiseStd: 0.1,
      testFraction: 0.5,
      first: 'train',
      randomSource: 'rng',
      ...o.data,
    },
    train,
    energy: { count: 15, t1: 20, points: 100, rtol: 1e-10, atol: 1e-10, states: 'box', ...o.energy },
    quick: { steps: o.quickSteps ?? Math.max(1, Math.round(train.steps / 5)) },
  };
}
