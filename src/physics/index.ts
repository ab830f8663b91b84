// The system registry: task name -> system. Simulated systems implement System; the real pendulum
// is measured data (MeasuredSystem: energy but no exact field or sampler).
import { UserError } from '../util/errors.ts';
import type { System } from './system.ts';
import { spring } from './spring.ts';
import { pendulum } from './pendulum.ts';
import { dampedPendulum } from './damped-pendulum.ts';
import { realPendulum, type MeasuredSystem } from './real-pendulum.ts';
import { twoBody } from './two-body.ts';
import { threeBody } from './three-body.ts';

export type { System, Field, FieldInto, PublishedResult } from './system.ts';
export type { MeasuredSystem } from './real-pendulum.ts';

export const SIMULATED_SYSTEMS = ['spring', 'pendulum', 'damped-pendulum', 'two-body', 'three-body'] as const;
export type SimulatedSystemName = (typeof SIMULATED_SYSTEMS)[number];
export const SYSTEM_NAMES = ['spring', 'pendulum', 'damped-pendulum', 'real-pendulum', 'two-body', 'three-body'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

const simulated: Record<SimulatedSystemName, System> = {
  spring,
  pendulum,
  'damped-pendulum': dampedPendulum,
  'two-body': twoBody,
  'three-body': threeBody,
};

export function isSimulated(s: System | MeasuredSystem): s is System {
  return !('measured' in s && s.measured);
}

/** Looks a system up by task name; an unknown name is a UserError that lists the valid ones. */
export function getSystem(name: SimulatedSystemName): System;
export function getSystem(name: 'real-pendulum'): MeasuredSystem;
export function getSystem(name: string): System | MeasuredSystem;
export function getSystem(name: string): System | MeasuredSystem {
  if (name === 'real-pendulum') return realPendulum;
  if (Object.hasOwn(simulated, name)) return simulated[name as SimulatedSystemName];
  throw new UserError(`unknown system "${name}"; valid names: ${SYSTEM_NAMES.join(', ')}`);
}

/** Like getSystem, for callers that need the exact field (rejects the measured real pendulum). */
export function getSimulatedSystem(name: string): System {
  const s = getSystem(name);
  if (!isSimulated(s)) {
    throw new UserError(`system "${name}" is measured data and has no exact dynamics; choose one of ${SIMULATED_SYSTEMS.join(', ')}`);
  }
  return s;
}
