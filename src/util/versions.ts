// Versions recorded in every manifest and metrics file, for reproducibility.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export function packageVersions(): Record<string, string | null> {
  const self = require('../../package.json') as { name: string; version: string };
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
