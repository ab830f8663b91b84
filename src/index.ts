// The public API of hnn-ts: the package entry point (`import { ... } from 'hnn-ts'`). Everything not
// exported here is internal and may change. Grouped as data flows: systems -> tasks -> datasets ->
// models -> training -> rollouts and metrics -> rendering and media.

// Systems: define your own, or use the paper's
export { type System, type SystemDefinition, type Field, type FieldInto, type FrictionOn, type PublishedResult } from './systems/system.ts';
export { defineSystem, samplerOf, type UserSystemDefinition, type SamplerSpec } from './systems/define.ts';
export { GRADIENT_TOLERANCE, differenceGradient } from './systems/check.ts';
export { defaultScene, fitView, SCENE_LAYOUTS, type SceneLayout } from './systems/default-scene.ts';
export { springShapes, type Shape, type Disc, type Rod, type View, type Colour } from './systems/scene.ts';
export { massSpring, spring, springExact, positionDampedSpring } from './systems/spring.ts';
export { pendulumSystem, pendulum, gymPendulum } from './systems/pendulum.ts';
export { gravitySystem } from './systems/gravity.ts';
export { twoBody } from './systems/two-body.ts';
export { threeBody } from './systems/three-body.ts';

// Tasks: a system plus its protocol, and the registry of the built-in ones
export { TASKS, TASK_NAMES, getTask, getStateTask, getPixelTask, stateTasks, pixelTasks } from './tasks/registry.ts';
export { defineStateTask, definePixelTask, type StateTaskOptions, type PixelTaskOptions } from './tasks/define.ts';
export { loadSystemFile, registerSystemFile, tasksOfSystemData, type SystemFile } from './tasks/system-file.ts';
export { registerTasks, allTasks } from './tasks/registry.ts';
export type {
  Task,
  StateTask,
  PixelTask,
  SimulatedData,
  MeasuredData,
  GridData,
  StateDataSpec,
  StateTrainProtocol,
  PixelTrainProtocol,
} from './tasks/task.ts';

// Datasets
export {
  buildStateDataset,
  writeStateDataset,
  loadStateDataset,
  linspace,
  type StateDataset,
  type StateOverrides,
} from '../datasets/state.ts';
export { energyEvalConfig, type EnergyEvalSettings } from '../datasets/energy-eval.ts';
export { generatePixelDataset, renderTruth, sampleInitialStates, type PixelDatasetOptions } from '../datasets/pixel.ts';
export { readDataset, readManifest, type DatasetManifest } from '../datasets/format.ts';
// Your own data (docs/IMPORT.md): trajectories and videos as datasets of the import tasks
export { importStates, buildImportedStates, type StateImportOptions, type ImportedStates } from '../datasets/import-states.ts';
export { importVideo, type VideoImportOptions, type VideoImportResult } from '../datasets/import-video.ts';
export { readTable, type Table } from '../datasets/import-table.ts';
export { taskOfDataset, taskOfManifest, resolveRunTask } from '../datasets/import-task.ts';
export { importedStateTask, importedPixelTask, isImportedTask, IMPORT_TASK_NAMES } from './tasks/imported.ts';
export { parseExpression, type Expression } from './util/expression.ts';

// Models
export { MODEL_KINDS, type ModelKind } from '../models/kinds.ts';
export { DynamicsModel, type DynamicsSpec } from '../models/dynamics.ts';
export { saveDynamicsModel, loadDynamicsModel, savePixelModel, loadPixelModel } from '../models/storage.ts';
export { PixelModel, DEFAULT_PIXEL_LOSS, type PixelModelSpec, type PixelLossConfig } from '../models/pixel.ts';
export { fieldFunction, hamiltonianFunction } from '../models/f64.ts';
export type { NamedWeights } from '../models/mlp.ts';

// Training (and the experiments the CLI runs, writing every output to a folder)
export { initBackend, describeBackend, type BackendInfo } from './tf/backend.ts';
export { trainStateModel, type StateTrainConfig, type StateData } from './train/state.ts';
export { trainPixelModel, pixelTrainConfig, type PixelTrainConfig } from './train/pixel.ts';
export { Adam, type AdamOptions } from './train/adam.ts';
export { runStateExperiment, toStateData, type StateMetrics, type StateRunOptions } from './pipeline/state.ts';
export { quickEvaluation, QUICK_EVAL_BELOW, type EvaluationSizes } from './pipeline/options.ts';
export { runPixelExperiment, type PixelMetrics } from './pipeline/pixel.ts';
export { loadPixelDataset, type PixelDataset } from '../datasets/pixel-load.ts';
export { runReproduce } from './pipeline/reproduce.ts';
// Sweeps (docs/SWEEPS.md): specs, runs as data, the queue's worker, results
export { readSpec, parseSpec, expandSpec, type SweepSpec, type SweepPlan } from './pipeline/sweep/spec.ts';
export { planRun, runId, type RunSpec, type PlannedRun, type RunValidator } from './pipeline/sweep/plan.ts';
export { parseQueueUrl, redact } from './pipeline/sweep/connection.ts';
export { runWorker, type WorkerOptions } from './pipeline/sweep/worker.ts';
export { sweepResults, resultsMarkdown, type RunRecord, type SweepResults } from './pipeline/sweep/results.ts';
export { writeReport } from './pipeline/sweep/report.ts';

// Rollouts and metrics
export {
  solveIvp,
  solveIvpInto,
  FIXED_STEP_INTEGRATORS,
  FIXED_STEP_NAMES,
  type FixedStepName,
  type FixedStepIntegrator,
  type SolveOptions,
  type SolveResult,
} from './integrate/index.ts';
export { IntegrationError } from './integrate/errors.ts';
export { rollout, energyEvaluation, energyMseAgainst, trueRollouts, type EnergyResult, type Rollout } from './eval/energy.ts';
export { derivativeLoss } from './eval/derivative.ts';
export { parseStatistic, testLossOf, type TestStatistic } from './eval/statistic.ts';
export { latentRollout, normalisedErrors, validPredictionTime, meanPeriod, pixelRollout, VPT_THRESHOLD } from './eval/pixel.ts';
export { ROLLOUT_INTEGRATORS, ROLLOUT_PROJECTIONS, type RolloutIntegrator, type RolloutProjection } from './eval/integrators.ts';

// Rendering and media
export { Rasterizer, simulateFrames } from '../renderer/index.ts';
export { composePanels, writeVideo, type VideoPanel } from './media/video.ts';
export { linePlot, contourPlot, vectorFieldPlot, orbitPlot } from './media/plot.ts';

// Utilities
export { Rng, MAX_SEED } from './util/rng.ts';
export { UserError } from './util/errors.ts';
