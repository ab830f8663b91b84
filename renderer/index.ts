// Public surface of the renderer: any scene to anti-aliased frames, and the simulation sources of pixel trials.
export { Rasterizer, toPixels, type RasterOptions } from './rasterize.ts';
export { simulateFrames, type SimulateOptions } from './simulate.ts';
export { sourceNames, sourceOf, type SimulationSource, type TaskSource } from './sources.ts';
export { simulateMatter, MATTER_DESCRIPTION, type MatterOptions, type MatterRun } from './matter.ts';
