// What the safety tests share: a scratch folder per test file, and a pid that no process has (for
// locks and leftovers of a killed run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A pid that no process has (the largest pid Linux allows is 4194304). */
export const DEAD_PID = 4194303;

/** A new folder in the system's temp folder, named `<prefix>XXXXXX`, removed after the calling file's tests. */
export function scratchFolder(prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
