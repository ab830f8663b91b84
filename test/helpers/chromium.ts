// The Chromium that the browser tests drive (through playwright-core), and how they launch it.
import { existsSync } from 'node:fs';

/** HNN_CHROMIUM, else Debian's Chromium; null where none is installed (the tests that need it are skipped). */
export const CHROMIUM =
  [process.env.HNN_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => p && existsSync(p)) ?? null;

/** As the machine's notes ask: headless, no sandbox (root), no GPU, and none of Chromium's own network traffic. */
export const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
