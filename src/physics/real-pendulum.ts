/**
 * Real pendulum (paper task 3): the Schmidt & Lipson (2009) measurements in data/real_pend_h_1.txt.
 *
 * There is no exact field: the data are measured. x = (q, p) = (theta, omega).
 * Energy used for analysis (the reference's): E(q, p) = 2.4(1 - cos q) + p^2. The true motion is
 * damped, so E is not conserved along the data.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { sha256 } from '../util/files.ts';
import { packageFile } from '../util/package-root.ts';
import type { System } from './system.ts';

export const REAL_PENDULUM_SHA256 = '45d92988198b89a5933f5a53e67aa819d06937516f71a462ac09e1307d8b3411';
export const REAL_PENDULUM_ROWS = 556;

/** Path of the shipped measurement file. */
export const REAL_PENDULUM_PATH = packageFile('data/real_pend_h_1.txt');

/**
 * A measured system: it has an energy for analysis but no exact field and no sampler, so it is not a
 * `System`. `measured: true` tells the two apart.
 */
export interface MeasuredSystem extends Pick<
  System,
  'name' | 'dim' | 'conservative' | 'hamiltonian' | 'energy' | 'stateLabels' | 'published'
> {
  readonly measured: true;
}

export interface RealPendulumData {
  rows: number;
  trial: Float64Array;
  t: Float64Array;
  theta: Float64Array;
  omega: Float64Array;
  sha256: string;
}

const E = (x: Float64Array): number => 2.4 * (1 - Math.cos(x[0])) + x[1] * x[1];

export const realPendulum: MeasuredSystem = {
  name: 'real-pendulum',
  dim: 2,
  conservative: false,
  measured: true,
  stateLabels: ['theta', 'omega'],
  hamiltonian: E,
  energy: E,
  published: {
    scale: 1e3,
    trainBaseline: [2.7, 0.2],
    trainHnn: [9.2, 0.5],
    testBaseline: [2.2, 0.3],
    testHnn: [6.0, 0.6],
    energyBaseline: [390, 70],
    energyHnn: [14, 5],
  },
};

/** Parses the file's text: a header line starting with '%', then rows "trial t theta omega". */
export function parseRealPendulum(text: string, source = 'real pendulum data'): Omit<RealPendulumData, 'sha256'> {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('%'));
  const n = lines.length;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  lines.forEach((line, i) => {
    const parts = line.split(/\s+/).map(Number);
    if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) {
      throw new UserError(`${source}: line ${i + 2} is not 4 numbers (trial t theta omega): "${line.slice(0, 60)}"`);
    }
    for (let c = 0; c < 4; c++) cols[c][i] = parts[c];
  });
  for (let i = 1; i < n; i++) {
    if (!(cols[1][i] > cols[1][i - 1])) throw new UserError(`${source}: time stamps do not increase at data row ${i + 1}`);
  }
  return { rows: n, trial: cols[0], t: cols[1], theta: cols[2], omega: cols[3] };
}

/**
 * Loads and checks the measurements. The default file must match its published sha256; a custom
 * path is only parsed (its checksum is reported, not enforced).
 */
export function loadRealPendulum(path: string = REAL_PENDULUM_PATH): RealPendulumData {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`real pendulum data not found at ${path}; it ships as data/real_pend_h_1.txt (see data/README.md)`);
  }
  const digest = sha256(bytes);
  if (path === REAL_PENDULUM_PATH && digest !== REAL_PENDULUM_SHA256) {
    throw new UserError(
      `${path} does not match its sha256 (${digest} instead of ${REAL_PENDULUM_SHA256}); restore it from the repository (see data/README.md)`,
    );
  }
  const parsed = parseRealPendulum(bytes.toString('latin1'), path);
  if (path === REAL_PENDULUM_PATH && parsed.rows !== REAL_PENDULUM_ROWS) {
    throw new UserError(`${path} has ${parsed.rows} data rows, expected ${REAL_PENDULUM_ROWS}`);
  }
  return { ...parsed, sha256: digest };
}
