// The public API of hnn-ts (the package entry point). Everything not exported here is internal.
export { defineSystem, type System, type SystemDefinition, type Field, type FieldInto, type PublishedResult } from './systems/system.ts';
export { springShapes, type Shape, type Disc, type Rod, type View, type Colour } from './systems/scene.ts';
