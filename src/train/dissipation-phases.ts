// The relaxed schedule of a state D-HNN's D decay (models/kinds.ts, DISSIPATION_SCHEDULES): the run
// with the decay is a probe of whether the data carry dissipation. When the decay removed D (its
// share of the field under DISSIPATION_ALIVE_SHARE), that run is the result; when D survived, the
// model trains again from its initial weights without D's decay, so the friction it learns is not
// shrunk by a decay that had only to decide whether it is there.
import * as tf from '@tensorflow/tfjs';
import type { DynamicsModel } from '../../models/dynamics.ts';
import { DISSIPATION_ALIVE_SHARE, type DissipationSchedule } from '../../models/kinds.ts';
import { inChunks } from '../tf/chunks.ts';

/** What a relaxed schedule's probe found and did (recorded in metrics.json). */
export interface DissipationGate {
  /** updates of the probe (the whole run), with D's decay */
  probeUpdates: number;
  /** D's decay during the probe */
  probeDecay: number;
  /** D's share of the field at the training inputs after the probe */
  share: number;
  /** true: D survived, the model was trained again without D's decay; false: the probe is the result */
  refit: boolean;
  /** the training seconds the probe took (part of the run's time either way) */
  probeSeconds: number;
}

/** True when a D-HNN's training probes: a relaxed schedule with a decay to relax. */
export function probes(schedule: DissipationSchedule, decay: number): boolean {
  return schedule === 'relaxed' && decay > 0;
}

/** The decision after the probe, from D's share of the field. */
export function gateAfterProbe(probeUpdates: number, probeDecay: number, share: number, probeSeconds: number): DissipationGate {
  return { probeUpdates, probeDecay, share, refit: share >= DISSIPATION_ALIVE_SHARE, probeSeconds };
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
