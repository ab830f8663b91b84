// Public surface of the renderer: pendulum scene geometry, anti-aliased rasteriser, simulation sources.
export { defaultGeometry, bobCentre, type PendulumGeometry } from './geometry.ts';
export { PendulumRasterizer, renderPendulum, type RasterOptions } from './rasterize.ts';
export { simulateExact, pendulumEnergy, FRAME_DT, OMEGA0_SQUARED, MOMENTUM_SCALE, type ExactOptions } from './ode.ts';
export { simulateMatter, MATTER_DESCRIPTION, type MatterOptions, type MatterRun } from './matter.ts';
export {
  simulate,
  renderStates,
  renderTrial,
  sourceInfo,
  SCENE_ENGINES,
  type SceneEngine,
  type SourceInfo,
  type Simulation,
  type TrialOptions,
} from './scene.ts';
export { benchRenderer, type RendererBench } from './bench.ts';
