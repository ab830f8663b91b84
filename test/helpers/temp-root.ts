// Vitest global setup: one temp folder per test run, removed when the run ends. The test files'
// own folders, and those of every process they start (the CLI, Python, Chromium, Redis), land in it
// through TMPDIR, so no test needs its own cleanup for the disk to stay clean across runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'hnn-test-run-'));
  process.env['TMPDIR'] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
