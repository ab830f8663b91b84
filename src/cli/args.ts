// Validation of command-line values: each failure is a UserError naming the flag and the fix.
import { UserError } from '../util/errors.ts';

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

export function nonNegativeNumber(flag: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new UserError(`${flag} must be a non-negative number, got "${value}"`);
    return v;
  };
}
