// A Redis server for a test: Debian's redis-server on a free loopback port with its own temporary
// folder, stopped (and restartable on the same port and folder) by the test. Without redis-server
// (a developer's machine), `REDIS` is null and the queue tests are skipped by name; CI installs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null;

export interface RedisServer {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  dir: string;
  stop(): Promise<void>;
  /** stops the server (SIGTERM: with appendonly it writes its log first) and starts it again on the same port and folder */
  restart(downMs?: number): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startRedis(o: { appendonly?: boolean; password?: string } = {}): Promise<RedisServer> {
  if (!REDIS) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'hnn-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', o.appendonly ? 'yes' : 'no'];
  if (o.password) args.push('--requirepass', o.password);
  let child: ChildProcess;
  const start = async () => {
    child = spawn(REDIS!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitReady(child);
  };
  await start();
  const auth = o.password ? `:${o.password}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 500) {
      await stopChild(child);
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
  };
}

/** Whether Redis answers on `port` (redis-cli ping). */
export function pingRedis(port: number): boolean {
  const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
  return r.stdout.trim() === 'PONG';
}
