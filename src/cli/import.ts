// `hnn import states FILE --out DIR` and `hnn import video FILE|DIR --out DIR`: a user's
// trajectories or video as a dataset folder that `hnn train --data DIR` takes (docs/IMPORT.md).
import { resolve } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { numberIn, oneOf, positiveInt, seed } from './args.ts';
import type { SplitBy, StateImportOptions, TargetMethod } from '../../datasets/import-states.ts';

const TARGETS = ['forward', 'central'] as const satisfies readonly TargetMethod[];
const SPLITS = ['trials', 'time'] as const satisfies readonly SplitBy[];
const BACKGROUNDS = ['subtract', 'keep'] as const;

/** A comma-separated list of names (column names are the user's own). */
function names(flag: string) {
  return (value: string): string[] => {
    const list = value.split(',').map((v) => v.trim());
    if (list.some((v) => v === '')) throw new UserError(`${flag} takes comma-separated column names, got "${value}"`);
    return list;
  };
}

/** The command line as typed, for the manifest. */
function commandLine(): string {
  return ['hnn', ...process.argv.slice(2)].map((a) => (/^[\w./,:=@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The flags of `hnn import states`: the importer's options, with the output folder and a seed always given. */
interface StatesFlags extends Omit<StateImportOptions, 'command'> {
  out: string;
  seed: number;
}

async function importStatesCommand(file: string, o: StatesFlags): Promise<void> {
  const { importStates } = await import('../../datasets/import-states.ts');
  const { dataset } = importStates(resolve(file), resolve(o.out), { ...o, command: commandLine() });
  const p = dataset.params as { trials: unknown[]; targets: string };
  console.log(
    `state-import: ${p.trials.length} trial${p.trials.length === 1 ? '' : 's'}, ${dataset.trainRows} train rows, ${dataset.testRows} test rows, dim ${dataset.dim}; targets: ${p.targets.split(':')[0]} -> ${resolve(o.out)}`,
  );
}

interface VideoFlags {
  out: string;
  size: number;
  crop?: string;
  grey?: boolean;
  fps?: number;
  every: number;
  trialFrames?: number;
  dof: number;
  background: (typeof BACKGROUNDS)[number];
  testFraction?: number;
  seed: number;
  maxGb: number;
  force?: boolean;
  quiet?: boolean;
}

async function importVideoCommand(source: string, o: VideoFlags): Promise<void> {
  const { importVideo } = await import('../../datasets/import-video.ts');
  const r = await importVideo(resolve(source), resolve(o.out), { ...o, command: commandLine() });
  console.log(
    `pixel-import: ${r.trials} trials of ${r.frames} frames (${r.size}x${r.size}, ${r.channels === 3 ? 'colour' : 'grey'}, dt ${Number(r.frameDt.toPrecision(6))} s), ${r.testTrials} held out -> ${resolve(o.out)}`,
  );
}

export function registerImport(program: Command): void {
  const cmd = program.command('import').description('make a dataset of your own data: trajectories (states) or a video (pixels)');
  cmd
    .command('states')
    .description('trajectories from CSV (with a header), .npy, .npz or JSON -> a state dataset (task state-import)')
    .argument('<file>', 'the table: .csv, .tsv, .npy, .npz or .json')
    .requiredOption('--out <dir>', 'output folder')
    .option('--columns <list>', 'state columns, positions then momenta: q1,q2,p1,p2', names('--columns'))
    .option('--q <list>', 'position columns (with --p)', names('--q'))
    .option('--p <list>', 'momentum columns (with --q)', names('--p'))
    .option('--time <column>', 'time column (or --dt)')
    .option('--dt <h>', 'fixed time step between rows (or --time)', numberIn('--dt', 1e-300, 1e300))
    .option('--trial <column>', 'column naming the trial of each row (default: one trial)')
    .option('--derivatives <list>', 'derivative columns dq..., dp... as the targets (default: finite differences)', names('--derivatives'))
    .option(
      '--targets <method>',
      `finite differences: ${TARGETS.join(' or ')} (default forward, as the paper's real pendulum)`,
      oneOf('targets', TARGETS),
    )
    .option('--split <by>', `held-out data: ${SPLITS.join(' or ')} (default trials, seeded)`, oneOf('split', SPLITS))
    .option('--test-fraction <f>', 'fraction held out (default 0.2)', numberIn('--test-fraction', 0, 1))
    .option('--seed <n>', 'seed of the split by trials', seed('--seed'), 0)
    .option('--energy <expr>', 'the true energy of a state, e.g. "0.5*p^2 + 3*(1-cos(q))": adds energy MSE to the evaluation')
    .option('--force', 'replace a dataset already in <out>')
    .action(importStatesCommand);
  cmd
    .command('video')
    .description('a video (MP4, WebM, GIF; through ffmpeg) or a folder of PNG/JPEG frames -> a pixel dataset (task pixel-import)')
    .argument('<source>', 'a video file or a folder of frames (sorted by name)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--size <n>', 'frame side N of the dataset', positiveInt('--size'), 28)
    .option('--crop <box>', 'x,y,w,h in source pixels, or "auto": the bounding box of what moves')
    .option('--grey', 'grey frames (default: colour)')
    .option('--fps <f>', 'videos: resample to f frames per second; frame folders: their rate (default 30)', numberIn('--fps', 0.001, 1000))
    .option('--every <k>', 'keep every k-th frame', positiveInt('--every'), 1)
    .option(
      '--trial-frames <f>',
      'cut the frames into trials of f frames (default: the whole video is one trial)',
      positiveInt('--trial-frames'),
    )
    .option('--dof <k>', 'degrees of freedom of the latent space (2k values)', positiveInt('--dof'), 1)
    .option(
      '--background <mode>',
      `${BACKGROUNDS.join(' or ')}: subtract the per-pixel median frame (default) or keep it`,
      oneOf('background', BACKGROUNDS),
      'subtract',
    )
    .option('--test-fraction <f>', 'fraction of trials held out (default 0.2)', numberIn('--test-fraction', 0, 1))
    .option('--seed <n>', 'seed of the split by trials', seed('--seed'), 0)
    .option('--max-gb <g>', 'refuse more than g GB of decoded frames', numberIn('--max-gb', 0, 1e6), 2)
    .option('--force', 'replace a dataset already in <out>')
    .option('--quiet', 'no progress output')
    .action(importVideoCommand);
}
