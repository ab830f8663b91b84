// A sweep's run options are `hnn train` (and `hnn generate`) flags, checked by those commands' own
// parsers: the options are parsed by a fresh copy of the real commands with their actions replaced by
// a capture, then by the checks their actions make (checkTrainFlags, checkGenerateFlags). Options
// added to `hnn train` later are sweepable as they are.
import { kebabCase } from '../util/options.ts';
import { Command, CommanderError, type Option } from 'commander';
import { UserError } from '../util/errors.ts';
import { optionArgv, type OptionValue, type RunSpec, type RunValidator } from '../pipeline/sweep/plan.ts';
import { checkGenerateFlags, registerGenerate } from './generate.ts';
import { checkTrainFlags, registerTrain } from './train.ts';

/** Options the sweep sets itself (the run's dimensions and its place in the store). */
const RESERVED: Record<'train' | 'generate', Record<string, string>> = {
  train: {
    task: 'a dimension of the sweep: list it under "tasks"',
    model: 'a dimension of the sweep: list it under "models"',
    seed: 'a dimension of the sweep: list it under "seeds" (or "repeat")',
    out: 'set by the sweep: each run writes into its own folder of the store',
    data: 'set by the sweep: give dataset options under "data" instead',
    resume: 'set by the worker: an interrupted run always resumes from its checkpoint',
    force: 'not allowed: a finished run is reused, never replaced',
    quiet: 'set by the sweep',
    system: 'not allowed: a system file may hold code, and a sweep carries data only (sweep the built-in tasks)',
    help: 'not an option of a run',
  },
  generate: {
    out: 'set by the sweep: each run writes its dataset into its own folder of the store',
    seed: "set by the sweep: a run's dataset has the run's seed",
    force: 'not allowed',
    quiet: 'set by the sweep',
    system: 'not allowed: a system file may hold code, and a sweep carries data only (sweep the built-in tasks)',
    help: 'not an option of a run',
  },
};

function command(name: 'train' | 'generate'): { program: Command; cmd: Command } {
  const program = new Command('hnn').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} });
  registerTrain(program);
  registerGenerate(program);
  const cmd = program.commands.find((c) => c.name() === name);
  if (!cmd) throw new Error(`hnn has no ${name} command`);
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} });
  return { program, cmd };
}

/** The option of `cmd` a spec key names (kebab-case or camelCase), or a UserError listing the choices. */
function optionOf(cmd: Command, key: string, section: string): Option {
  const name = kebabCase(key);
  const why = RESERVED[cmd.name() as 'train' | 'generate'][name];
  if (why) throw new UserError(`${section}.${key}: ${why}`);
  const opt = cmd.options.find((o) => o.long === `--${name}`);
  if (!opt) {
    const names = cmd.options.map((o) => o.long!.slice(2)).filter((n) => !(n in RESERVED[cmd.name() as 'train' | 'generate']));
    throw new UserError(`${section}.${key} is not an option of \`hnn ${cmd.name()}\`; use one of ${names.join(', ')}`);
  }
  return opt;
}

/** A value as its flag takes it: true/false for a flag without a value, a string or number otherwise. */
function checkValue(opt: Option, value: unknown, where: string): OptionValue {
  const takesValue = opt.required || opt.optional;
  if (!takesValue) {
    if (typeof value !== 'boolean')
      throw new UserError(`${where} is a flag without a value: give true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new UserError(`${where} takes a value (a number or a string), got ${JSON.stringify(value)}`);
}

/** Parses `argv` with `cmd`'s parsers; returns the options as the command's action would receive them. */
function parseWith(name: 'train' | 'generate', argv: string[]): Record<string, unknown> {
  const { program, cmd } = command(name);
  let parsed: Record<string, unknown> = {};
  cmd.action((...args: unknown[]) => {
    parsed = (args.at(-2) as Record<string, unknown>) ?? {};
  });
  try {
    program.parse([name, ...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UserError(`\`hnn ${name}\` refuses ${argv.join(' ')}: ${e.message.replace(/^error: /, '')}`);
    throw e;
  }
  return parsed;
}

/** The options of one section in canonical form: kebab-case names, values as the command's parsers return them. */
function canonical(cmd: Command, section: string, given: Record<string, unknown>, parsed: Record<string, unknown>) {
  const out: Record<string, OptionValue> = {};
  for (const key of Object.keys(given)) {
    const opt = optionOf(cmd, key, section);
    const v = parsed[opt.attributeName()];
    if (v === undefined || v === false) continue;
    out[kebabCase(opt.attributeName())] = v as OptionValue;
  }
  return out;
}

/**
 * Checks a run as `hnn train` (and `hnn generate` for its dataset options) would check it, and
 * returns it in canonical form: the same configuration always gives the same job id.
 */
export const validateRun: RunValidator = (run: RunSpec): RunSpec => {
  const { cmd: train } = command('train');
  const trainGiven: Record<string, OptionValue> = {};
  for (const [k, v] of Object.entries(run.train)) trainGiven[kebabCase(k)] = checkValue(optionOf(train, k, 'train'), v, `train.${k}`);
  const dims = ['--task', run.task, '--model', run.model, '--seed', String(run.seed)];
  const parsedTrain = parseWith('train', [...dims, ...optionArgv(trainGiven)]);
  checkTrainFlags(parsedTrain as unknown as Parameters<typeof checkTrainFlags>[0]);
  const { cmd: generate } = command('generate');
  const dataGiven: Record<string, OptionValue> = {};
  for (const [k, v] of Object.entries(run.data)) dataGiven[kebabCase(k)] = checkValue(optionOf(generate, k, 'data'), v, `data.${k}`);
  const hasData = Object.keys(dataGiven).length > 0;
  const parsedData = hasData ? parseWith('generate', [run.task, '--out', '.', ...optionArgv(dataGiven)]) : {};
  if (hasData) checkGenerateFlags(run.task, parsedData);
  return {
    task: parsedTrain.task as string,
    model: parsedTrain.model as string,
    seed: parsedTrain.seed as number,
    train: canonical(train, 'train', trainGiven, parsedTrain),
    data: canonical(generate, 'data', dataGiven, parsedData),
  };
};
