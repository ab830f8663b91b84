// The state trajectory loss (`hnn train --rollout-steps K`): windows of K + 1 evenly spaced states of
// one trajectory, trained through K integrator steps; the flags are checked in one line.
import { describe, expect, it } from 'vitest';
import { windowStarts, StateWindows } from '../src/train/state-windows.ts';
import { initBackend } from '../src/tf/backend.ts';
import { trainStateModel } from '../src/train/state.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { springTask } from '../src/tasks/builtin/spring.ts';
import { hnn } from './helpers/cli.ts';

describe('trajectory windows', () => {
  it('start only where K + 1 states of one trajectory follow h apart, and stack state j of every window in block j', () => {
    // two trajectories (times 0..0.4 and 0..0.2), then a row with an uneven step
    const t = Float64Array.of(0, 0.1, 0.2, 0.3, 0.4, 0, 0.1, 0.2, 0.35);
    const x = Float64Array.from({ length: 2 * t.length }, (_, i) => i);
    const { starts, h } = windowStarts({ x, t, rows: t.length }, 2);
    expect(h).toBeCloseTo(0.1, 12);
    expect(Array.from(starts)).toEqual([0, 1, 2, 5]);
    const w = new StateWindows(x, 2, 2, 2);
    w.fill([1, 5]);
    // block j holds row start + j of each window: rows 1, 5 | 2, 6 | 3, 7
    expect(Array.from(w.states)).toEqual([2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15]);
    expect(() => windowStarts({ x, t, rows: t.length }, 5)).toThrow(
      /--rollout-steps 5 needs trajectories of more than 5 evenly spaced states/,
    );
  });

  it('train an HNN on the noise-free spring: the trajectory loss falls', async () => {
    await initBackend('ort');
    const data = toStateData(buildStateDataset(springTask, 0, { noiseStd: 0 }));
    const p = springTask.train;
    const r = await trainStateModel(
      {
        kind: 'hnn',
        seed: 0,
        steps: 60,
        batchSize: null,
        weightDecay: 0,
        lr: p.lr,
        hidden: [32, 32],
        rolloutSteps: 3,
        rolloutIntegrator: 'leapfrog',
        logEvery: 60,
      },
      data,
      { quiet: true },
    );
    expect(r.history[r.history.length - 1].loss).toBeLessThan(0.75 * r.history[0].loss);
    r.model.dispose();
    await initBackend('wasm');
  });

  it('refuses --latent-step without --rollout-steps on a state task, in one line', () => {
    const r = hnn(['train', '--task', 'spring', '--latent-step', 'rk4', '--steps', '5', '--out', '/tmp/never-written-hnn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^hnn: error: --latent-step chooses the integrator of the trajectory loss of a state task; give --rollout-steps K too, or drop it\n$/,
    );
  });
});
