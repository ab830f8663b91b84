// The command line's side of users' systems and shared training options:
//   --system FILE   a system file (src/tasks/system-file.ts), registered before the task is looked up;
//   --lr, --batch-size, --weight-decay, --hidden, --eval-every   training settings, checked by the
//                   same schemas as the library's options (src/tasks/schema.ts) and named by their
//                   flags in errors;
//   --eval full|quick|N   how much a state run evaluates (src/pipeline/options.ts).
import { resolve } from 'node:path';
import { Option } from 'commander';
import { stateTrainProtocolSchema, pixelTrainProtocolSchema } from '../tasks/schema.ts';
import type { Task } from '../tasks/task.ts';
import { UserError } from '../util/errors.ts';
import { parseOptions, type KeyNamer } from '../util/options.ts';

/** The --system option (the same text on every command). */
export function systemOption(): Option {
  return new Option(
    '--system <file>',
    'your own system: a .json/.yaml file (H as an expression) or a compiled .js/.mjs module (docs/YOUR-SYSTEM.md)',
  );
}

/** Registers the tasks of --system FILE (none without it); returns them. */
export async function useSystemFile(file?: string): Promise<Task[]> {
  if (file === undefined) return [];
  const { registerSystemFile } = await import('../tasks/system-file.ts');
  return registerSystemFile(resolve(file));
}

/** The task a command works on: the one named, else the system file's first (its state task). */
export function chosenTask(named: string | undefined, fromFile: readonly Task[], what: string): string {
  if (named !== undefined) return named;
  if (fromFile.length) return fromFile[0].name;
  throw new UserError(`${what} needs a task: name one (see \`hnn tasks\`) or pass --system FILE`);
}

/** The raw training flags (strings as typed; numbers once parsed by commander's parsers below). */
export interface TrainFlagValues {
  lr?: string;
  batchSize?: string;
  weightDecay?: string;
  hidden?: string;
  evalEvery?: string;
}

const FLAG: Record<string, string> = {
  lr: '--lr',
  batchSize: '--batch-size',
  weightDecay: '--weight-decay',
  hidden: '--hidden',
  evalEvery: '--eval-every',
};
const flagName: KeyNamer = (path) =>
  path.length ? `${FLAG[String(path[0])] ?? String(path[0])}${path.length > 1 ? ` (entry ${String(path[1])})` : ''}` : 'options';

/**
 * A flag's text as a number ("1e-3"); text that is not one is refused here, quoted as given, so the
 * error shows what was typed (the schema then checks the range and names the flag).
 */
function num(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UserError(`${flag} must be a finite number, got "${text}"`);
  return value;
}

/** Adds --lr, --batch-size, --weight-decay, --hidden and --eval-every to a command. */
export function trainOptions(): Option[] {
  return [
    new Option(
      '--eval-every <n>',
      "state tasks: updates between test-loss evaluations (default: the task's, 200; the last-K statistic reads them)",
    ),
    new Option('--lr <rate>', "Adam's learning rate (default: the task's, 1e-3)"),
    new Option('--batch-size <n>', "rows per batch (default: the task's; state tasks: full batch)"),
    new Option('--weight-decay <w>', "coupled L2 weight decay of the network, H's for an HNN (default: the task's)"),
    new Option('--hidden <widths>', "state tasks: hidden widths, e.g. 200,200; pixel tasks: the autoencoder's width (default: the task's)"),
  ];
}

/** The training flags given, checked by the task kind's schema (one-line errors naming the flag). */
export function trainOverrides(o: TrainFlagValues, kind: Task['kind']): Record<string, unknown> | undefined {
  const hidden = (text: string) =>
    kind === 'state' ? text.split(',').map((w, i) => num(w, `${FLAG.hidden} (entry ${i})`)) : num(text, FLAG.hidden);
  const raw = {
    lr: num(o.lr, FLAG.lr),
    batchSize: num(o.batchSize, FLAG.batchSize),
    weightDecay: num(o.weightDecay, FLAG.weightDecay),
    hidden: o.hidden === undefined ? undefined : hidden(o.hidden),
    evalEvery: num(o.evalEvery, FLAG.evalEvery),
  };
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length === 0) return undefined;
  const keys = { lr: true, batchSize: true, weightDecay: true, hidden: true } as const;
  if (kind === 'state') return parseOptions(stateTrainProtocolSchema.pick({ ...keys, evalEvery: true }).partial(), given, '', flagName);
  if (given.evalEvery !== undefined) throw new UserError(`--eval-every applies to state tasks (pixel runs log every 200 updates); drop it`);
  return parseOptions(pixelTrainProtocolSchema.pick(keys).partial(), given, '', flagName);
}

/** --eval: 'full', 'quick', or a number of initial states. */
export function evalFlag(value: string): 'full' | 'quick' | { count: number } {
  if (value === 'full' || value === 'quick') return value;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 1e5) return { count: Number(value) };
  throw new UserError(`--eval must be full, quick or a number of initial states (1 to 100000), got "${value}"`);
}
