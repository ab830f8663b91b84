// Validation of command-line values (each failure is a UserError naming the flag and the fix), and
// the options several commands share with the same text.
import { Option, type Command } from 'commander';
import { DISSIPATION_DECAY_SCOPES, DISSIPATION_FORMS, DISSIPATION_SCHEDULES } from '../../models/kinds.ts';
import { BACKEND_CHOICES } from '../tf/choices.ts';
import { UserError } from '../util/errors.ts';
import { MAX_SEED } from '../util/rng.ts';

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new UserError(`${flag} must be a positive integer, got "${value}"`);
    }
    return Number(value);
  };
}

export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
      throw new UserError(`${flag} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

export function oneOf<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new UserError(`unknown ${flag} "${value}"; choose one of ${choices.join(', ')}`);
    return value as T;
  };
}

export function listOf<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T[] => value.split(',').map((v) => oneOf(flag, choices)(v.trim()));
}

/** A seed every generator honours: an integer in [0, 2^32 - 1] (larger ones would wrap onto smaller ones). */
export function seed(flag: string) {
  return (value: string): number => {
    const v = nonNegativeInt(flag)(value);
    if (v > MAX_SEED)
      throw new UserError(`${flag} must be at most ${MAX_SEED} (2^32 - 1): the generators are seeded from 32 bits, got "${value}"`);
    return v;
  };
}

/** A finite number in [min, max], e.g. a loss weight (a huge weight overflows float32 and trains on NaN). */
export function numberIn(flag: string, min: number, max: number) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < min || v > max)
      throw new UserError(`${flag} must be a number in [${min}, ${max}], got "${value}"`);
    return v;
  };
}

/** The --backend option (the same text and default, 'auto', on every command that trains or runs a model). */
export function backendOption(): Option {
  return new Option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`)
    .argParser(oneOf('backend', BACKEND_CHOICES))
    .default('auto');
}

/**
 * The D network's flags of a D-HNN (docs/DISSIPATIVE.md), the same flags and checks on `train` and
 * `reproduce`: `scope` says where they apply, `notes` hold each command's own defaults.
 */
export function addDissipationOptions(
  cmd: Command,
  scope: string,
  notes: { weightDecay: string; schedule: string; form: string; decayOn: string },
): void {
  cmd
    .option(
      '--dissipation-weight-decay <w>',
      `${scope}: weight decay of the D network${notes.weightDecay}`,
      numberIn('--dissipation-weight-decay', 0, 1),
    )
    .option(
      '--dissipation-schedule <name>',
      `${scope}: how D's weight decay runs, ${DISSIPATION_SCHEDULES.join(', ')} (${notes.schedule})`,
      oneOf('dissipation schedule', DISSIPATION_SCHEDULES),
    )
    .option(
      '--dissipation-form <name>',
      `${scope}: D's part of the field, ${DISSIPATION_FORMS.join(', ')} (${notes.form})`,
      oneOf('dissipation form', DISSIPATION_FORMS),
    )
    .option(
      '--dissipation-decay-on <layers>',
      `${scope}: the D network's variables its weight decay acts on, ${DISSIPATION_DECAY_SCOPES.join(', ')} (${notes.decayOn})`,
      oneOf('dissipation decay scope', DISSIPATION_DECAY_SCOPES),
    );
}
