// `hnn serve`: a static file server for a site made by `hnn web` (a page opened from file:// cannot
// fetch its models). It binds to 127.0.0.1 only, answers GET and HEAD, serves nothing outside the
// site folder (no `..`, no symbolic link leading out, no listing of folders), names the types the
// browser needs (application/wasm above all: WebAssembly.instantiateStreaming refuses other types),
// and refuses requests addressed to another host name (a DNS-rebinding page cannot read it).
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.ts';
import { SITE_FILE } from './format.ts';

export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface SiteServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Checks that `dir` holds a site of `hnn web`. */
export function checkSiteDir(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UserError(`site folder not found: ${root}; make one with \`hnn web --model <run folder> --out ${dir}\``);
  if (!existsSync(join(root, 'index.html')) || !existsSync(join(root, SITE_FILE)))
    throw new UserError(
      `${root} is not a site made by \`hnn web\` (no index.html and ${SITE_FILE}); make one with \`hnn web --model <run folder>\``,
    );
  return realpathSync(root);
}

/**
 * The file a request path names inside `root` (a real path), or an HTTP status: 400 for a path that
 * does not decode, 403 for one that leads outside the site, 404 for what is not there.
 */
export function resolveRequest(root: string, urlPath: string): string | 400 | 403 | 404 {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return 400;
  }
  if (path.includes('\0') || !path.startsWith('/')) return 400;
  // decoded `..` segments (and backslashes, which some systems read as separators) never reach the disk
  if (path.split(/[\\/]/).includes('..')) return 403;
  let full = resolve(root, '.' + path);
  if (!inside(root, full)) return 403;
  if (!existsSync(full)) return 404;
  let real = realpathSync(full);
  if (!inside(root, real)) return 403; // a symbolic link leading out of the site
  if (statSync(real).isDirectory()) {
    full = join(real, 'index.html');
    if (!existsSync(full)) return 404; // folders are not listed
    real = realpathSync(full);
    if (!inside(root, real)) return 403;
  }
  return statSync(real).isFile() ? real : 404;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

const HOST = '127.0.0.1';

function handler(root: string, port: () => number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const fail = (status: number, message: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : `${status} ${message}\n`);
    };
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${HOST}:${port()}` && host !== `localhost:${port()}`) return fail(421, 'this server answers only http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return fail(405, 'method not allowed');
    }
    const found = resolveRequest(root, req.url ?? '/');
    if (found === 400) return fail(400, 'bad request');
    if (found === 403) return fail(403, 'outside the site');
    if (found === 404) return fail(404, 'not found');
    res.writeHead(200, {
      'Content-Type': MIME_TYPES[extname(found).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(found).size,
      // a site rebuilt in place must not be mixed with cached parts of the old one
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

/** Serves the site in `dir` on 127.0.0.1 (port 0: a free one). */
export async function startSiteServer(dir: string, opts: { port?: number } = {}): Promise<SiteServer> {
  const root = checkSiteDir(dir);
  const wanted = opts.port ?? 0;
  if (!(Number.isInteger(wanted) && wanted >= 0 && wanted <= 65535))
    throw new UserError(`--port must be an integer in 0..65535, got ${wanted}`);
  let port = wanted;
  const server: Server = createServer(handler(root, () => port));
  return new Promise((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') fail(new UserError(`port ${wanted} is in use; choose another --port, or leave it out for a free one`));
      else if (e.code === 'EACCES') fail(new UserError(`port ${wanted} needs privileges; choose a port above 1023`));
      else fail(e);
    });
    server.listen(wanted, HOST, () => {
      port = (server.address() as { port: number }).port;
      done({
        url: `http://${HOST}:${port}/`,
        port,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** `hnn serve`: serves until interrupted (Ctrl-C), then closes and returns. */
export async function runServeCommand(o: { dir: string; port?: number }): Promise<void> {
  const server = await startSiteServer(o.dir, { port: o.port });
  console.log(`serving ${resolve(o.dir)} at ${server.url} (Ctrl-C stops it)`);
  await new Promise<void>((stop) => {
    const end = () => {
      process.off('SIGINT', end);
      process.off('SIGTERM', end);
      stop();
    };
    process.on('SIGINT', end);
    process.on('SIGTERM', end);
  });
  await server.close();
}
