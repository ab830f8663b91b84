// D's weight decay schedule (src/train/dissipation-phases.ts, models/kinds.ts): a relaxed schedule
// splits training at the half; D that survived its decay trains on without it, D that the decay
// removed keeps it. A relaxed run whose D was removed is byte for byte the constant run (one Adam
// state across the phases), and the phases are recorded.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/tf/backend.ts';
import { firstPhaseEnd, secondPhase } from '../src/train/dissipation-phases.ts';
import { DISSIPATION_ALIVE_SHARE } from '../models/kinds.ts';
import { trainStateModel } from '../src/train/state.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { dampedSpringTask } from '../src/systems/spring.ts';

beforeAll(async () => {
  await initBackend('auto');
});

describe('the phases of a relaxed schedule', () => {
  it('split at the half when there is a decay to relax, and keep one phase otherwise', () => {
    expect(firstPhaseEnd(2001, 'relaxed', 5e-4)).toBe(1001);
    expect(firstPhaseEnd(2001, 'constant', 5e-4)).toBe(2001);
    expect(firstPhaseEnd(2001, 'relaxed', 0)).toBe(2001); // nothing to relax
    expect(firstPhaseEnd(1, 'relaxed', 1e-3)).toBe(1);
  });

  it("drop D's decay when D survived it, keep it when D was removed", () => {
    expect(secondPhase(10, 20, 5e-4, DISSIPATION_ALIVE_SHARE)).toEqual({
      from: 10,
      to: 20,
      dissipationWeightDecay: 0,
      share: DISSIPATION_ALIVE_SHARE,
    });
    expect(secondPhase(10, 20, 5e-4, 1e-9).dissipationWeightDecay).toBe(5e-4);
  });
});

describe('a relaxed D-HNN training', () => {
  const data = toStateData(buildStateDataset(dampedSpringTask, 0, { trajectories: 6, points: 10 }));
  const base = {
    kind: 'dhnn' as const,
    seed: 2,
    steps: 99,
    batchSize: null,
    weightDecay: 1e-4,
    lr: 1e-2,
    hidden: [8, 8],
    logEvery: 40,
    threads: 1,
  };

  it('is the constant run, byte for byte, when the decay removed D (one Adam state across the phases)', async () => {
    const train = async (dissipationSchedule: 'relaxed' | 'constant') => {
      const r = await trainStateModel({ ...base, dissipationWeightDecay: 1000, dissipationSchedule }, data, { quiet: true });
      const w = r.model.read();
      r.model.dispose();
      return { w, phases: r.dissipationPhases!, history: r.history };
    };
    const [relaxed, constant] = [await train('relaxed'), await train('constant')];
    expect(relaxed.phases).toHaveLength(2);
    expect(relaxed.phases[1]).toMatchObject({ from: 50, to: 100, dissipationWeightDecay: 1000 });
    expect(relaxed.phases[1].share!).toBeLessThan(DISSIPATION_ALIVE_SHARE);
    expect(constant.phases).toEqual([{ from: 0, to: 100, dissipationWeightDecay: 1000 }]);
    for (const k of Object.keys(constant.w)) expect(Array.from(relaxed.w[k].values), k).toEqual(Array.from(constant.w[k].values));
    // the evaluations run on as one loop's: every 40 updates and the last
    expect(relaxed.history.map((h) => h.step)).toEqual([0, 40, 80, 99]);
  });

  it('trains D on without decay when D survived the first half', async () => {
    const r = await trainStateModel({ ...base, dissipationWeightDecay: 1e-4 }, data, { quiet: true });
    r.model.dispose();
    expect(r.dissipationPhases![1].share!).toBeGreaterThanOrEqual(DISSIPATION_ALIVE_SHARE);
    expect(r.dissipationPhases![1]).toMatchObject({ from: 50, to: 100, dissipationWeightDecay: 0 });
  });
});
