// The lines `hnn train` prints for a finished state run: its losses, rollout metrics and files.
import { dissipationLines } from '../eval/dissipation.ts';
import { testLossOf } from '../eval/statistic.ts';
import { withSpread } from '../eval/stats.ts';
import { learnedNothing } from '../pipeline/metrics.ts';
import type { ImportedStateMetrics } from '../pipeline/import-state.ts';
import type { StateMetrics } from '../pipeline/state.ts';

/** The D-HNN paper's statistic beside the final model's, when the run evaluated often enough. */
function lastTestLosses(m: StateMetrics): string[] {
  const h = m.testLossHistory;
  if (!h || h.testLoss.length < 5) return [];
  const mean = testLossOf(m, { kind: 'last', k: 5 }, 'this run');
  return [`  test loss, mean of the last 5 evaluations (every ${h.every} updates; the D-HNN paper's statistic): ${mean.toExponential(3)}`];
}

/** A line when a run's batch size was not smaller than its data, so every step drew on all of it. */
export function fullBatchNote(m: Pick<StateMetrics, 'protocol' | 'training'>): string[] {
  const asked = m.protocol.batchSize;
  const rows = m.training?.batchRows;
  if (typeof asked !== 'number' || rows === undefined || rows >= asked) return [];
  const what = m.protocol.rolloutSteps ? 'training windows' : 'training rows';
  return [`  batch: all ${rows} ${what} every step (the batch size ${asked} is not smaller than the data)`];
}

/** A line when a pixel run's encoder was fed only the input columns lit in some training frame. */
export function inputColumnsNote(m: Pick<StateMetrics, 'training'>): string[] {
  const c = m.training?.inputColumns;
  if (!c || c.active === c.of) return [];
  return [`  encoder input: the ${c.active} of ${c.of} pixel columns lit in some training frame (the rest are 0 in every one)`];
}

/**
 * A warning when the model is not clearly better than a trivial one (predicting no motion; for a
 * pixel model also the mean frame): its rollout metrics then measure nothing it learned.
 */
export function learnedNothingWarning(m: Pick<StateMetrics, 'againstNoMotion' | 'againstMeanFrame'>): string[] {
  const n = learnedNothing(m);
  if (!n) return [];
  return [
    `  WARNING: the model learned nothing: ${n.why}, so the rollout metrics below measure nothing it learned (${n.reason}); lower --lr, or train longer`,
  ];
}

export function summariseState(m: StateMetrics, out: string): void {
  const f = (v: number) => v.toExponential(3);
  console.log(
    [
      `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(1)} s)`,
      ...fullBatchNote(m),
      `  train loss ${f(m.trainLoss.mean)} +- ${f(m.trainLoss.sem)}`,
      `  test loss  ${f(m.testLoss.mean)} +- ${f(m.testLoss.sem)}`,
      ...learnedNothingWarning(m),
      ...lastTestLosses(m),
      `  energy MSE ${withSpread(m.energyMse.mean, m.energyMse.ci)}${m.energyMse.failed ? ` (${m.energyMse.failed} learned rollouts stopped early)` : ''}`,
      ...(m.energyMse.truthFailed
        ? [
            `  ${m.energyMse.truthFailed} of ${m.energyMse.truthFailed + m.energyMse.trajectories} true rollouts failed (${Object.entries(
              m.energyMse.truthFailures,
            )
              .map(([r, n]) => `${n} ${r}`)
              .join(', ')}) and are left out`,
          ]
        : []),
      `  state MSE ${f(m.stateMse.mean)}   VPT mean ${m.vpt.mean.toFixed(2)}, median ${m.vpt.median.toFixed(2)} (time units of ${m.evaluation.t1})`,
      `  evaluation ${m.evaluation.mode} (${m.evaluation.count} rollouts, rtol ${m.evaluation.rtol}): ${m.evalSeconds.toFixed(1)} s`,
      ...(m.dissipation ? dissipationLines(m.dissipation) : []),
      `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
    ].join('\n'),
  );
}

export function summariseImportedState(m: ImportedStateMetrics, out: string): string {
  const f = (v: number) => v.toExponential(3);
  const r = m.rollouts;
  return [
    `${m.task} ${m.model} (seed ${m.seed}, ${m.updates} updates, backend ${m.backend}, ${m.msPerStep.toFixed(1)} ms/step, ${m.trainSeconds.toFixed(1)} s)`,
    `  train loss ${f(m.trainLoss.mean)} +- ${f(m.trainLoss.sem)}`,
    `  test loss  ${f(m.testLoss.mean)} +- ${f(m.testLoss.sem)}`,
    ...learnedNothingWarning(m),
    `  rollouts over ${r.segments} held-out segment(s): state MSE ${f(r.stateMse.mean)}, VPT median ${r.vptMedian} rows${r.failed ? ` (${r.failed} stopped early)` : ''}`,
    m.learnedEnergyDrift
      ? `  learned H drift ${f(m.learnedEnergyDrift.mean)} (in std of H over the test rows)`
      : '  learned H drift n/a (no learned H)',
    m.energyMse
      ? `  energy MSE (the dataset's energy expression) ${withSpread(m.energyMse.mean, m.energyMse.ci)}`
      : '  energy MSE n/a (no --energy given at import)',
    `  wrote ${out}/metrics.json, ${out}/model/, ${out}/log.jsonl, ${out}/plots/`,
  ].join('\n');
}
