// Sizes are bounded before work starts: a job that would not fit in this machine's memory is refused
// with its estimate, instead of growing for minutes and dying with a RangeError or an OOM kill.
import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { UserError } from './errors.ts';

/** Bytes a single array may hold: Node reads files of at most 2 GiB, and typed arrays are bounded too. */
export const MAX_ARRAY_BYTES = 2 ** 31 - 1;

/** The memory this process may plan to use: 80% of the machine's (or its cgroup limit's, if lower). */
export function memoryBudget(): number {
  let limit = totalmem();
  const cgroup = '/sys/fs/cgroup/memory.max';
  if (existsSync(cgroup)) {
    const v = Number(readFileSync(cgroup, 'utf8').trim());
    if (Number.isFinite(v) && v > 0) limit = Math.min(limit, v);
  }
  return Math.floor(0.8 * limit);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toPrecision(3)} ${units[i]}`;
}

/**
 * Refuses a job whose estimated peak memory exceeds the budget, or one of whose arrays exceeds
 * MAX_ARRAY_BYTES. `parts` names each large allocation (bytes) so the message says where it goes.
 */
export function checkMemory(what: string, parts: Record<string, number>, fix: string): void {
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const budget = memoryBudget();
  const largest = Object.entries(parts).sort((a, b) => b[1] - a[1])[0];
  if (!Number.isFinite(total) || total > budget) {
    throw new UserError(
      `${what} would need about ${formatBytes(total)} of memory (largest: ${largest[0]} ${formatBytes(largest[1])}); this machine allows ${formatBytes(budget)}: ${fix}`,
    );
  }
  if (largest && largest[1] > MAX_ARRAY_BYTES) {
    throw new UserError(`${what}: ${largest[0]} would be ${formatBytes(largest[1])}, over the 2.1 GB limit of one array: ${fix}`);
  }
}
