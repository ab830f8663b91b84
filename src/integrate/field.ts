// The vector fields the integrators take: a system's exact field, or a learned one.

/** A time-dependent vector field: returns dx/dt at (t, x). */
export type Field = (t: number, x: Float64Array) => Float64Array;

/** The same field writing into a caller-owned buffer: no allocation per call (hot integrator loops). */
export type FieldInto = (t: number, x: Float64Array, out: Float64Array) => void;
