// log.jsonl: one JSON object per line, appended as training goes (a resumed job keeps appending).
import { appendFileSync } from 'node:fs';
import { makeDir } from '../util/files.ts';
import { dirname } from 'node:path';

export class JsonlLog {
  constructor(readonly path: string) {
    makeDir(dirname(path));
  }

  write(record: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }
}
