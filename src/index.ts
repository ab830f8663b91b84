// The public API of hnn-ts (the package entry point). Everything not exported here is internal.
export { getSystem, getSimulatedSystem, SYSTEM_NAMES } from './physics/index.ts';
export type { System, Field, FieldInto } from './physics/system.ts';
