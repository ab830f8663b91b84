// Training protocol of each state task (REFERENCE.md): steps, batch, weight decay.
import type { StateTask } from '../../datasets/state.ts';

export interface TrainProtocol {
  steps: number;
  /** null = full batch */
  batchSize: number | null;
  weightDecay: number;
  lr: number;
  hidden: number[];
}

const base = { lr: 1e-3, hidden: [200, 200] };

export const TRAIN_PROTOCOLS: Record<StateTask, TrainProtocol> = {
  spring: { ...base, steps: 2000, batchSize: null, weightDecay: 1e-4 },
  pendulum: { ...base, steps: 2000, batchSize: null, weightDecay: 1e-4 },
  'damped-pendulum': { ...base, steps: 2000, batchSize: null, weightDecay: 1e-4 },
  // the code's 1e-5 (the paper says 1e-4)
  'real-pendulum': { ...base, steps: 2000, batchSize: null, weightDecay: 1e-5 },
  'two-body': { ...base, steps: 10000, batchSize: 200, weightDecay: 0 },
  'three-body': { ...base, steps: 10000, batchSize: 600, weightDecay: 1e-4 },
};
