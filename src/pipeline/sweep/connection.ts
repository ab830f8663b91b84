// The queue's address: redis://[user:pass@]host:port[/db] or rediss:// (TLS). The password is
// taken from the URL or from HNN_REDIS_PASSWORD (which keeps it out of the process list), is given
// to the Redis client only, and never appears in a message, a log or a file: every message shows
// the address as `redact` writes it.
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../../util/errors.ts';

export interface QueueAddress {
  /** the address with the password replaced by *** (the only form ever printed or stored) */
  shown: string;
  options: RedisOptions;
}

/** The queue every sweep's runs go through (one queue; each job names its sweep). */
export const QUEUE_NAME = 'hnn-runs';

/** `url` with any password replaced by ***; a string that is not a URL is shown as <not a URL>. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<not a URL>';
  }
}

/** Replaces every occurrence of the password in a message (errors of the client may quote the URL). */
export function scrub(message: string, address: QueueAddress): string {
  const secret = address.options.password;
  return secret ? message.split(secret).join('***') : message;
}

/** Checks a queue address (redis:// or rediss://) and gives the client options; the password only goes there. */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--queue ${redact(url)} is not a URL; give redis://[user:password@]host:port[/db] or rediss://... for TLS`);
  }
  const shown = redact(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`--queue ${shown}: the scheme must be redis:// or rediss:// (TLS), not ${u.protocol}//`);
  if (!u.hostname) throw new UserError(`--queue ${shown} names no host; give redis://host:port`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText))
    throw new UserError(`--queue ${shown}: the database must be a number such as /0, not /${dbText}`);
  if (u.search || u.hash)
    throw new UserError(`--queue ${shown}: query strings and fragments are not supported; give redis://host:port[/db]`);
  const password = u.password ? decodeURIComponent(u.password) : env.HNN_REDIS_PASSWORD || undefined;
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    // BullMQ's blocking commands need both; a restarted Redis is reconnected to, with a bounded delay
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
  return { shown, options };
}

/**
 * A client of the queue's Redis. Its errors while Redis is away (a restart) are kept, scrubbed, as
 * `lastError` instead of being printed by the client: it reconnects by itself.
 */
export function connect(address: QueueAddress): Redis & { lastError?: string } {
  const client: Redis & { lastError?: string } = new Redis(address.options);
  client.on('error', (e: Error) => {
    client.lastError = scrub(e.message, address);
  });
  return client;
}

const AUTH_ERROR = /NOAUTH|WRONGPASS|invalid password|invalid username/i;

/** Waits until Redis answers, at most `seconds`; a UserError naming the (redacted) address otherwise. */
export async function checkReachable(client: Redis & { lastError?: string }, address: QueueAddress, seconds = 10): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let watch: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), seconds * 1000);
    // refused credentials do not get better by waiting
    watch = setInterval(() => client.lastError && AUTH_ERROR.test(client.lastError) && r('timeout'), 100);
  });
  try {
    const answer = await Promise.race([client.ping(), timeout]);
    if (answer !== 'timeout') return;
  } catch (e) {
    const why = scrub((e as Error).message, address);
    client.disconnect();
    if (AUTH_ERROR.test(why))
      throw new UserError(`the queue at ${address.shown} refused the credentials (${why}); check the user and password`);
    throw new UserError(`the queue at ${address.shown} answered with an error (${why}); check --queue`);
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
  }
  client.disconnect(); // no more reconnecting: the command ends with this error
  if (client.lastError && AUTH_ERROR.test(client.lastError))
    throw new UserError(`the queue at ${address.shown} refused the credentials (${client.lastError}); check the user and password`);
  throw new UserError(
    `no Redis answered at ${address.shown} within ${seconds} s (${client.lastError ?? 'no reply'}); start one (docs/SWEEPS.md) or check --queue`,
  );
}
