// Sweeps through a real queue (Debian's redis-server on a loopback port, `hnn worker` processes):
// workers killed with SIGKILL at seeded random moments and one stopped with SIGTERM still give every
// run, each trained to the end once, with the bytes of the same sweep run locally; a Redis restart
// (with its append-only file, and without persistence) loses no run; resubmitting adds nothing; a
// configuration that fails is failed after its attempts while the others finish; jobs that are not
// valid runs are refused with the reason; a password never shows; a run never leaves the store.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.ts';
import { QUEUE_NAME } from '../src/pipeline/sweep/connection.ts';
import { hnn } from './helpers/cli.ts';
import { REDIS, startRedis, type RedisServer } from './helpers/redis.ts';
import { filesUnder, hnnAsync, hnnProcess, readJsonl, startWorker, trainedCount, until, writeSpec, type Proc } from './helpers/sweep.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-sweep-queue-'));
const servers: RedisServer[] = [];
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function redis(o: { appendonly?: boolean; password?: string } = {}): Promise<RedisServer> {
  const s = await startRedis(o);
  servers.push(s);
  return s;
}

function track(p: Proc): Proc {
  procs.push(p);
  return p;
}

function queueOf(s: RedisServer, password?: string): Queue {
  return new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: s.port, password, maxRetriesPerRequest: null } });
}

function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** The run folders of a sweep in a store, by name. */
function runsOf(store: string, sweep: string): string[] {
  const d = join(store, sweep, 'runs');
  return existsSync(d)
    ? filesUnder(d)
        .filter((f) => f.endsWith('metrics.json'))
        .map((f) => f.split('/').at(-2)!)
    : [];
}

const weights = (store: string, sweep: string, run: string) => readFileSync(join(store, sweep, 'runs', run, 'model', 'weights.bin'));

it.runIf(!!process.env.CI)('has redis-server where CI runs (.ci/run installs it)', () => {
  expect(REDIS).not.toBeNull();
});

describe.skipIf(!REDIS)('sweeps through a queue', () => {
  it('makes a reproduction table from runs trained by a worker (hnn reproduce --queue --store)', async () => {
    const server = await redis();
    const store = folder('store-rep');
    const worker = track(startWorker(server.url, store, 'wr'));
    const out = join(dir, 'rep-table');
    const rep = await hnnAsync([
      'reproduce',
      '--tasks',
      'spring',
      '--quick',
      '--steps',
      '5',
      '--queue',
      server.url,
      '--store',
      store,
      '--out',
      out,
      '--quiet',
    ]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/sweep rep-table, 2 runs \(2 added\)/);
    const table = JSON.parse(readFileSync(join(out, 'table.json'), 'utf8')) as {
      rows: Array<{ task: string; cells: Record<string, unknown> }>;
    };
    expect(table.rows.map((r) => [r.task, Object.keys(r.cells).sort()])).toEqual([['spring', ['baseline', 'hnn']]]);
    expect(runsOf(store, 'rep-table')).toHaveLength(2);
    expect(existsSync(join(out, 'spring', 'plots'))).toBe(true);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 300_000);

  it('survives SIGKILLed workers and a SIGTERMed one: every run once, byte-identical to the local sweep', async () => {
    // two pixel runs with checkpoints every 10 updates on tiny datasets of their own
    const spec = writeSpec(dir, 'chaos', {
      name: 'chaos',
      tasks: ['pixel-pendulum'],
      models: ['hnn', 'baseline'],
      seeds: [0],
      train: { steps: 80, 'checkpoint-every': 10 },
      data: { trials: 6, frames: 24 },
    });
    const local = folder('local');
    const ran = hnn(['sweep', spec, '--store', local, '--jobs', '2', '--quiet'], { timeout: 600_000 }); // no worker runs yet
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/2 runs: 2 completed, 0 failed/);
    expect(existsSync(join(local, 'chaos', 'report', 'index.html'))).toBe(true);

    const server = await redis();
    const store = folder('store');
    const workers: Proc[] = [1, 2, 3].map((k) => track(startWorker(server.url, store, `w${k}`)));
    const coordinator = track(hnnProcess(['sweep', spec, '--queue', server.url, '--out', folder('out'), '--quiet']));
    const queue = queueOf(server);
    const rng = new Rng(26);
    const signalled = new Set<Proc>();
    /** A live worker holding a run (with a checkpoint written, when asked), and the run's name. */
    const busyWorker = async (checkpointed: boolean) => {
      for (const job of await queue.getActive()) {
        const name = (job.progress as { worker?: string }).worker ?? job.processedBy;
        const w = workers.find((p, k) => !signalled.has(p) && name === `w${k + 1}`);
        const ckpt = join(store, 'chaos', 'runs', job.name, 'checkpoint.bin');
        if (w && (!checkpointed || existsSync(ckpt))) return { w, run: job.name };
      }
      return undefined;
    };
    // two SIGKILLs at random moments after a worker has taken a run, and a SIGTERM once a run has a checkpoint
    let next = 4;
    let drained = '';
    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGKILL'] as const) {
      let found: { w: Proc; run: string } | undefined;
      const wanted = async () => !!(found = await busyWorker(signal === 'SIGTERM')) || coordinator.child.exitCode !== null;
      await until(wanted, 240, 'a busy worker');
      if (!found) break;
      if (signal === 'SIGKILL') await new Promise((r) => setTimeout(r, 500 + rng.int(4000)));
      signalled.add(found.w);
      found.w.child.kill(signal);
      if (signal === 'SIGTERM') {
        // it writes its run's next checkpoint, puts the run back and leaves by itself
        expect(await found.w.exited).toBe(0);
        expect(found.w.output()).toMatch(new RegExp(`stopped ${found.run} at its checkpoint; it goes back to the queue`));
        drained = found.run;
      }
      workers.push(track(startWorker(server.url, store, `w${next++}`)));
    }
    expect(await coordinator.exited, coordinator.output()).toBe(0);
    await queue.close();
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));

    const logs = workers.map((w) => w.output());
    const names = runsOf(local, 'chaos');
    expect(names).toHaveLength(2);
    expect(runsOf(store, 'chaos').sort()).toEqual([...names].sort());
    for (const run of names) {
      expect(weights(store, 'chaos', run).equals(weights(local, 'chaos', run)), run).toBe(true);
      // trained once: one 'done' in its log (below), and at most one worker saying it trained it (a
      // worker SIGKILLed after its run wrote metrics.json but before it said so leaves the next
      // worker to find the run finished in the store; its 'done' then stays the only one)
      expect(trainedCount(logs, run), run).toBeLessThanOrEqual(1);
      expect(readJsonl(join(store, 'chaos', 'runs', run, 'log.jsonl')).filter((r) => r.event === 'done')).toHaveLength(1);
    }
    // the SIGTERMed worker's run went on from the checkpoint it wrote
    expect(readJsonl(join(store, 'chaos', 'runs', drained, 'log.jsonl')).some((r) => r.event === 'resume')).toBe(true);
  }, 600_000);

  it('survives a Redis restart (append-only file), and a resubmission adds nothing', async () => {
    const server = await redis({ appendonly: true });
    const store = folder('store-aof');
    const spec = writeSpec(dir, 'aof', {
      name: 'aof',
      tasks: ['spring'],
      models: ['hnn', 'baseline'],
      seeds: [0, 1],
      train: { quick: true, steps: 5 },
    });
    const worker = track(startWorker(server.url, store, 'wa'));
    const coordinator = track(hnnProcess(['sweep', spec, '--queue', server.url, '--out', folder('out-aof'), '--quiet']));
    const queue = queueOf(server);
    await until(async () => (await queue.getActiveCount()) > 0, 120, 'an active run');
    await queue.close();
    await server.restart(1000);
    expect(await coordinator.exited, coordinator.output()).toBe(0);
    expect(coordinator.output()).toMatch(/4 runs: 4 completed, 0 failed/);
    const again = await hnnAsync(['sweep', spec, '--queue', server.url, '--out', folder('out-aof'), '--no-wait']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 runs added, 4 already there: 4 done, 0 failed, 0 running, 0 waiting/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    for (const run of runsOf(store, 'aof')) expect(trainedCount([worker.output()], run)).toBe(1);
    expect(runsOf(store, 'aof')).toHaveLength(4);
  }, 300_000);

  it('survives a Redis restart without persistence: the waiting coordinator adds the runs again, none is trained twice', async () => {
    const server = await redis();
    const store = folder('store-np');
    const spec = writeSpec(dir, 'np', {
      name: 'np',
      tasks: ['spring'],
      models: ['hnn'],
      seeds: [0, 1, 2],
      train: { quick: true, steps: 5 },
    });
    const worker = track(startWorker(server.url, store, 'wn'));
    const coordinator = track(hnnProcess(['sweep', spec, '--queue', server.url, '--out', folder('out-np'), '--quiet']));
    await until(() => runsOf(store, 'np').length >= 1, 120, 'a finished run');
    await server.restart(500);
    expect(await coordinator.exited, coordinator.output()).toBe(0);
    expect(coordinator.output()).toMatch(/added \d+ runs again that the queue no longer held/);
    expect(coordinator.output()).toMatch(/3 runs: 3 completed, 0 failed/);
    worker.child.kill('SIGTERM');
    await worker.exited;
    expect(runsOf(store, 'np')).toHaveLength(3);
    for (const run of runsOf(store, 'np')) expect(trainedCount([worker.output()], run), worker.output()).toBe(1);
  }, 300_000);

  it('fails a failing configuration after its attempts, refuses invalid jobs and runs outside the store', async () => {
    const server = await redis();
    const store = folder('store-f');
    mkdirSync(join(dir, 'outside'));
    symlinkSync(join(dir, 'outside'), join(store, 'escape'));
    const worker = track(startWorker(server.url, store, 'wf'));
    const queue = queueOf(server);
    // jobs a hostile or broken producer could add: never run, failed at once with the reason
    await queue.add(
      'x',
      { format: 1, sweep: 'bad', task: 'spring', model: 'hnn', seed: 0, train: {}, data: {}, cmd: 'touch /tmp/pwned' },
      { jobId: 'j1', attempts: 3 },
    );
    await queue.add(
      'x',
      { format: 1, sweep: 'bad', task: 'spring', model: 'hnn', seed: 0, train: { exec: 'sh' }, data: {} },
      { jobId: 'j2', attempts: 3 },
    );
    await queue.add(
      'x',
      { format: 1, sweep: 'bad', task: 'spring', model: 'hnn', seed: 0, train: {}, data: {} },
      { jobId: 'not-the-hash', attempts: 3 },
    );
    const escape = writeSpec(dir, 'escape', {
      name: 'escape',
      tasks: ['spring'],
      models: ['hnn'],
      train: { quick: true, steps: 5 },
      attempts: 1,
    });
    const esc = await hnnAsync(['sweep', escape, '--queue', server.url, '--out', folder('out-f'), '--quiet']);
    expect(esc.code).toBe(2);
    expect(esc.stdout).toMatch(/leads outside the store .*through a link/);
    for (const id of ['j1', 'j2', 'not-the-hash']) {
      const job = (await queue.getJob(id))!;
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toMatch(/^refused: /);
      expect(job.attemptsMade).toBe(1);
    }
    expect(worker.output()).toMatch(/refused job "j1": payload field \(top level\): Unrecognized key: "cmd"/);
    expect(worker.output()).toMatch(/refused job "j2": train\.exec is not an option of `hnn train`/);
    expect(worker.output()).toMatch(/refused job "not-the-hash": job id "not-the-hash" is not the hash/);
    expect(filesUnder(join(dir, 'outside'))).toEqual([]);

    const spec = writeSpec(dir, 'fail', {
      name: 'fail',
      tasks: ['pixel-pendulum'],
      models: ['hnn'],
      train: { steps: 5 },
      data: { trials: 4, frames: [3, 24] },
      attempts: 2,
    });
    const failing = await hnnAsync(['sweep', spec, '--queue', server.url, '--out', folder('out-f'), '--quiet']);
    expect(failing.code).toBe(2);
    expect(failing.stdout).toMatch(/2 runs: 1 completed, 1 failed/);
    expect(failing.stdout).toMatch(
      /- pixel-pendulum hnn seed 0 threads=1 steps=5 data\.trials=4 data\.frames=3 \(.*, 2 attempts\): .*frames must be an integer >= 4, got 3/,
    );
    expect(failing.stderr).toMatch(/^hnn: error: 1 of 2 runs failed/);
    const report = readFileSync(join(dir, 'out-f', 'fail', 'report', 'results.md'), 'utf8');
    expect(report).toMatch(/## Failed runs/);
    await queue.close();
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 300_000);

  it('never shows the password: not in any output, log or file; a wrong one is a one-line refusal', async () => {
    const secret = 'pw-Zq81-secret';
    const server = await redis({ password: secret });
    const store = folder('store-pw');
    const out = folder('out-pw');
    const spec = writeSpec(dir, 'pw', { name: 'pw', tasks: ['spring'], models: ['hnn'], train: { quick: true, steps: 5 } });
    const worker = track(startWorker(server.url, store, 'wp'));
    const sweep = await hnnAsync(['sweep', spec, '--queue', server.url, '--out', out]);
    expect(sweep.code, sweep.stderr).toBe(0);
    const status = await hnnAsync(['sweep', 'status', '--queue', server.url]);
    expect(status.stdout).toMatch(/pw: 1 runs, 1 done/);
    const wrong = await hnnAsync(['sweep', 'status', '--queue', `redis://:not-${secret}@127.0.0.1:${server.port}`]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^hnn: error: the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the credentials/);
    worker.child.kill('SIGTERM');
    await worker.exited;
    const seen = [sweep.stdout, sweep.stderr, status.stdout, status.stderr, wrong.stderr, worker.output()];
    expect(sweep.stdout).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1/);
    for (const text of seen) expect(text).not.toContain(secret);
    for (const f of [...filesUnder(store), ...filesUnder(out)]) expect(readFileSync(f).includes(secret), f).toBe(false);
    const none = hnn(['worker', '--queue', server.url, '--store', join(dir, 'no-such-store')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--store .*no-such-store is not an existing folder; create it/);
  }, 300_000);
});
