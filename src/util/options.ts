// Validation of options objects (library calls, system files, command-line flags) through zod
// schemas, with the project's one-line errors: the first problem found, where it is, and the fix.
// An unknown key suggests the nearest known one ("did you mean"), a wrong choice the nearest valid
// one, a number out of range its range. The schemas are the single source of the option types
// (`z.input` / `z.infer`), so what type-checks and what is accepted at run time agree.
import { z } from 'zod';
import { UserError } from './errors.ts';

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length];
}

/**
 * The known name closest to `word` when it is close enough to be a likely typo (an edit distance
 * of at most a third of the word, at least 2, or one contains the other), else null.
 */
export function nearest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best === null) return null;
  const w = word.toLowerCase();
  const b = best.toLowerCase();
  const contains = w.length >= 3 && (b.includes(w) || w.includes(b));
  return bestD <= Math.max(2, Math.floor(word.length / 3)) || contains ? best : null;
}

/** ` (did you mean "x"?)` or nothing. */
export function didYouMean(word: string, known: readonly string[]): string {
  const n = nearest(word, known);
  return n === null ? '' : `; did you mean "${n}"?`;
}

type AnySchema = z.core.$ZodType;

/** The object schema found at `path` inside `schema` (through optional, nullable, default wrappers), or null. */
function objectAt(schema: AnySchema, path: readonly PropertyKey[]): z.ZodObject | null {
  let s: AnySchema | undefined = schema;
  for (let i = 0; i <= path.length && s; i++) {
    while (s && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'pipe'].includes(s._zod.def.type)) {
      const def = s._zod.def as { innerType?: AnySchema; in?: AnySchema };
      s = def.innerType ?? def.in;
    }
    if (!s) return null;
    if (i === path.length) return s._zod.def.type === 'object' ? (s as z.ZodObject) : null;
    if (s._zod.def.type !== 'object') return null;
    s = (s as z.ZodObject).shape[String(path[i])] as AnySchema | undefined;
  }
  return null;
}

/** How a key path is named: `train.steps` for a library option, or the flag that sets it. */
export type KeyNamer = (path: readonly PropertyKey[]) => string;

const dotted: KeyNamer = (path) => path.map(String).join('.');

function describeIssue(schema: AnySchema, issue: z.core.$ZodIssue, name: KeyNamer, input: unknown): string {
  const at = name(issue.path);
  const value = issue.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    input,
  );
  const shown = typeof value === 'string' ? `"${value}"` : Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = Object.keys(objectAt(schema, issue.path)?.shape ?? {});
      const key = issue.keys[0];
      const full = name([...issue.path, key]);
      const hint = didYouMean(key, known) || (known.length ? `; the known ones are ${known.join(', ')}` : '');
      return `unknown option "${full}"${hint}`;
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      return `${at} must be one of ${values.join(', ')}, got ${shown}${didYouMean(String(value), values)}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const cmp = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what = issue.origin === 'array' ? `${at} must have ${cmp} ${String(bound)} entries` : `${at} must be ${cmp} ${String(bound)}`;
      return `${what}, got ${shown}`;
    }
    case 'invalid_type':
      return value === undefined
        ? `${at} is required (${issue.expected})`
        : `${at} must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}, got ${shown}`;
    default:
      return `${at}: ${issue.message}${value === undefined ? '' : `, got ${shown}`}`;
  }
}

/**
 * Parses `value` with `schema`; on failure throws a one-line UserError: `<what>: <first problem>`
 * (`what` empty: the problem alone, for command-line flags, whose names say where they came from).
 * `name` turns a key path into what the user wrote (default: dotted keys, e.g. `train.steps`).
 */
export function parseOptions<S extends AnySchema>(schema: S, value: unknown, what: string, name: KeyNamer = dotted): z.output<S> {
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const problem = describeIssue(schema, issue, name, value);
  throw new UserError(what ? `${what}: ${problem}` : problem);
}

/** A finite number (NaN and infinities refused). */
export const finite = () => z.number().refine(Number.isFinite, { message: 'must be a finite number' });

/** A function value (zod checks only that it is callable; its contract is documented on the field). */
export function fn<F>() {
  return z.custom<F>((v) => typeof v === 'function', { message: 'must be a function' });
}

/** An option key as its command-line flag spells it: `batchSize` -> `batch-size`. */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
