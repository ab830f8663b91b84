// The phases of a state D-HNN's training that D's weight decay runs in (models/kinds.ts,
// DISSIPATION_SCHEDULES): one phase for a constant decay; for a relaxed one, a first half with the
// decay, then a second whose decay depends on what the first left: none when D still carries a share
// of the field (the refit undoes the decay's shrinkage), the same when the decay removed D.
import * as tf from '@tensorflow/tfjs';
import type { DynamicsModel } from '../../models/dynamics.ts';
import { DISSIPATION_ALIVE_SHARE, type DissipationSchedule } from '../../models/kinds.ts';
import { inChunks } from '../tf/chunks.ts';

/** One phase: updates [from, to) with D's decay; `share`: D's share of the field when it began (phase 2). */
export interface DissipationPhase {
  from: number;
  to: number;
  dissipationWeightDecay: number;
  share?: number;
}

/** The first phase's end: the whole run (constant), or half of it (relaxed). */
export function firstPhaseEnd(updates: number, schedule: DissipationSchedule, decay: number): number {
  return schedule === 'relaxed' && decay > 0 && updates > 1 ? Math.ceil(updates / 2) : updates;
}

/** The second phase of a relaxed schedule, given D's share of the field at its start. */
export function secondPhase(from: number, to: number, decay: number, share: number): DissipationPhase {
  return { from, to, dissipationWeightDecay: share >= DISSIPATION_ALIVE_SHARE ? 0 : decay, share };
}

/** D's share of the field at the states x, sum |P grad D| / sum (|J grad H| + |P grad D|) over the rows (float32). */
export function dissipationShare(model: DynamicsModel, x: Float64Array, dim: number): number {
  let [d, all] = [0, 0];
  inChunks(x.length / dim, 5000, (start, n) => {
    tf.tidy(() => {
      const rows = tf.tensor2d(Float32Array.from(x.subarray(start * dim, (start + n) * dim)), [n, dim]);
      const parts = model.fieldParts(rows);
      const cn = tf.norm(parts.conservative, 'euclidean', 1);
      const dn = tf.norm(parts.dissipative, 'euclidean', 1);
      d += tf.sum(dn).dataSync()[0];
      all += tf.sum(tf.add(cn, dn)).dataSync()[0];
    });
  });
  return all > 0 ? d / all : 0;
}
