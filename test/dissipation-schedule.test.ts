// D's weight decay schedule (src/train/dissipation-phases.ts, models/kinds.ts): under the relaxed
// schedule a D-HNN's run with D's decay is a probe. When the decay removed D, that run is the result,
// byte for byte the constant run; when D survived, the model trains again from its initial weights
// without D's decay, byte for byte the constant run with D's decay 0. The decision is recorded, and
// the log holds the result's lines as `step` and a discarded probe's as `probe-step`.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/tf/backend.ts';
import { gateAfterProbe, probes } from '../src/train/dissipation-phases.ts';
import { DISSIPATION_ALIVE_SHARE } from '../models/kinds.ts';
import { trainStateModel, type StateTrainConfig } from '../src/train/state.ts';
import { buildStateDataset } from '../datasets/state.ts';
import { toStateData } from '../src/pipeline/state.ts';
import { dampedSpringTask } from '../src/tasks/builtin/spring.ts';
import { JsonlLog } from '../src/train/log.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

beforeAll(async () => {
  await initBackend('auto');
});

describe('the probe of a relaxed schedule', () => {
  it('runs when there is a decay to relax', () => {
    expect(probes('relaxed', 5e-4)).toBe(true);
    expect(probes('constant', 5e-4)).toBe(false);
    expect(probes('relaxed', 0)).toBe(false); // nothing to relax
  });

  it('refits without the decay when D survived it, and goes on with it when the decay removed D', () => {
    expect(gateAfterProbe(10, 5e-4, DISSIPATION_ALIVE_SHARE, 1)).toEqual({
      probeUpdates: 10,
      probeDecay: 5e-4,
      share: DISSIPATION_ALIVE_SHARE,
      refit: true,
      probeSeconds: 1,
    });
    expect(gateAfterProbe(10, 5e-4, 1e-9, 1).refit).toBe(false);
  });
});

describe('a relaxed D-HNN training', () => {
  const data = toStateData(buildStateDataset(dampedSpringTask, 0, { trajectories: 6, points: 10 }));
  const base = {
    kind: 'dhnn' as const,
    seed: 2,
    steps: 99,
    batchSize: 16,
    weightDecay: 1e-4,
    lr: 1e-2,
    hidden: [8, 8],
    logEvery: 40,
    threads: 1,
  };
  const train = async (cfg: Partial<StateTrainConfig>) => {
    const log = new JsonlLog(join(mkdtempSync(join(tmpdir(), 'hnn-schedule-')), 'log.jsonl'));
    const r = await trainStateModel({ ...base, ...cfg }, data, { quiet: true, log });
    const events = readFileSync(log.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event as string);
    const w = r.model.read();
    r.model.dispose();
    return { w, gate: r.dissipationGate, steps: r.history.map((h) => h.step), events };
  };
  const same = (a: Awaited<ReturnType<typeof train>>, b: Awaited<ReturnType<typeof train>>) => {
    for (const k of Object.keys(b.w)) expect(Array.from(a.w[k].values), k).toEqual(Array.from(b.w[k].values));
  };

  it('is the constant run, byte for byte, when the decay removed D', async () => {
    const [relaxed, constant] = [
      await train({ dissipationWeightDecay: 1000, dissipationSchedule: 'relaxed' }),
      await train({ dissipationWeightDecay: 1000, dissipationSchedule: 'constant' }),
    ];
    expect(relaxed.gate).toMatchObject({ probeUpdates: 100, probeDecay: 1000, refit: false });
    expect(relaxed.gate!.share).toBeLessThan(DISSIPATION_ALIVE_SHARE);
    expect(constant.gate).toBeUndefined();
    same(relaxed, constant);
    expect(relaxed.events).toEqual(['step', 'step', 'step', 'step', 'dissipation-gate']);
    expect(relaxed.steps).toEqual([0, 40, 80, 99]);
  });

  it("is the run without D's decay, byte for byte, when D survived the probe", async () => {
    const [relaxed, undecayed] = [
      await train({ dissipationWeightDecay: 1e-4, dissipationSchedule: 'relaxed' }),
      await train({ dissipationWeightDecay: 0 }),
    ];
    expect(relaxed.gate).toMatchObject({ probeUpdates: 100, probeDecay: 1e-4, refit: true });
    expect(relaxed.gate!.share).toBeGreaterThanOrEqual(DISSIPATION_ALIVE_SHARE);
    expect(undecayed.gate).toBeUndefined(); // no decay: nothing to probe
    same(relaxed, undecayed);
    expect(relaxed.events).toEqual([...Array(4).fill('probe-step'), 'dissipation-gate', ...Array(4).fill('step')]);
    expect(relaxed.steps).toEqual([0, 40, 80, 99]);
  });
});
