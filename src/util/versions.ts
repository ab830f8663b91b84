// Versions recorded in every manifest and metrics file, for reproducibility.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from './package-root.ts';

/** Reads node_modules/<pkg>/package.json directly: some packages (sharp) do not export it. */
function versionOf(pkg: string): string | null {
  let dir = packageRoot();
  for (;;) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}

export function packageVersions(): Record<string, string | null> {
  const self = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
  return {
    [self.name]: self.version,
    node: process.versions.node,
    '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-node': versionOf('@tensorflow/tfjs-node'),
    '@tensorflow/tfjs-node-gpu': versionOf('@tensorflow/tfjs-node-gpu'),
    'matter-js': versionOf('matter-js'),
    sharp: versionOf('sharp'),
  };
}
