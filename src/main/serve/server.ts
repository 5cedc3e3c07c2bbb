// Serve mode: the built renderer and a WebSocket bridge of the same contract, on
// 127.0.0.1 only, behind a random token. The page is opened once with ?token=…,
// which sets a same-site cookie; anything without the token or cookie is refused,
// and so is any Host header but this server's own (a DNS-rebinding page's).
// No request or frame, however malformed, can stop the server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorResponse, isJob, validateRequest, type Push, type Response } from '../../shared/contract.ts';
import { LedgerError } from '../../shared/errors.ts';
import { defaultCacheDir } from '../engine/base/cache.ts';
import { EngineHost } from '../host/host.ts';
import { AllowedFolders } from './folders.ts';
import { UrlSecrets } from '../engine/pg/pg-secrets.ts';
import { isPgUrl } from '../engine/pg/pg-url.ts';

export interface ServeOptions {
  path: string;
  port?: number;
  cacheDir?: string;
  rendererDir?: string;
  /** Folders whose files the contract's calls may read or write; the ledger's folder and the cache are always among them. */
  allowDirs?: string[];
}

/** The biggest WebSocket message: the app's own requests are a few kilobytes. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

// From source this module is src/main/serve/server.ts; built, a chunk in out/main.
export const DEFAULT_RENDERER_DIR = path.resolve(import.meta.dirname, import.meta.url.endsWith('.ts') ? '../../../out/renderer' : '../renderer');

/** The request's URL, or null where it does not parse (`GET http://[/`). */
function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

export async function serve(opts: ServeOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const root = opts.rendererDir ?? DEFAULT_RENDERER_DIR;
  if (!fs.existsSync(path.join(root, 'index.html')))
    throw new LedgerError('not_found', 'the app is not built; run "npm run build" first', root);
  const database = isPgUrl(opts.path);
  const ledgerPath = database ? opts.path : path.resolve(opts.path);
  if (!database && !fs.existsSync(ledgerPath)) throw new LedgerError('not_found', 'no such file or folder', ledgerPath);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LedgerError('invalid_argument', `--port takes a port from 0 to 65535, not ${port}`);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const ledgerFolder = database ? [] : [fs.statSync(ledgerPath).isDirectory() ? ledgerPath : path.dirname(ledgerPath)];
  const allowed = new AllowedFolders([...ledgerFolder, cacheDir, ...(opts.allowDirs ?? [])]);
  // Passwords of database URLs stay in this process, never on the page or on disk.
  const secrets = new UrlSecrets();
  const token = crypto.randomBytes(24).toString('base64url');
  const cookie = `li_token=${token}`;
  const authorised = (req: http.IncomingMessage, url: URL) =>
    url.searchParams.get('token') === token || (req.headers.cookie ?? '').split(/;\s*/).includes(cookie);
  let hosts = new Set<string>();
  const ownHost = (req: http.IncomingMessage) => hosts.has(String(req.headers.host ?? '').toLowerCase());

  const server = http.createServer((req, res) => {
    const url = requestUrl(req);
    if (!url || !ownHost(req)) {
      res.writeHead(url ? 421 : 400, { 'content-type': 'text/plain' }).end(url ? 'misdirected request\n' : 'bad request\n');
      return;
    }
    if (!authorised(req, url)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: open the URL with its token\n');
      return;
    }
    let rel: string;
    try {
      rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
      return;
    }
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    };
    if (url.searchParams.get('token') === token) headers['set-cookie'] = `${cookie}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  // Every connection, to end each one at close: a browser's preconnected socket that never sends
  // a byte counts as busy to server.close(), which would then wait for it for ever.
  const connections = new Set<Socket>();
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  // A request the HTTP parser refuses, or a socket reset mid-request: answer if it can, never throw.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  /** Each page's socket, with the jobs it started: a job's progress and outcome go to its own page only. */
  const pages = new Map<WebSocket, Set<string>>();
  const send = (ws: WebSocket, text: string) => {
    if (ws.readyState === ws.OPEN) ws.send(text, () => {});
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    const origin = req.headers.origin;
    const sameOrigin = !origin || origin === `http://${req.headers.host}`;
    if (!url || !ownHost(req) || url.pathname !== '/ws' || !authorised(req, url) || !sameOrigin) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const jobs = new Set<string>();
      pages.set(ws, jobs);
      // The ledgers this page opened end with its socket (a reload, a closed tab): left open,
      // each held its files, a follower and its database connections until serve exited.
      const opened = new Set<string>();
      // Closed already, or serve itself closing: nothing is left to release.
      const closeLedger = (ledger: string) => void engine.request({ id: 0, method: 'close', args: { ledger } }).catch(() => {});
      ws.on('close', () => {
        pages.delete(ws);
        for (const ledger of opened) closeLedger(ledger);
        opened.clear();
      });
      // A bad frame (too long, not UTF-8, unmasked, reserved bits or opcodes) closes this socket only.
      ws.on('error', () => ws.terminate());
      ws.on('message', async (data, isBinary) => {
        let id = 0;
        let res: Response;
        try {
          if (isBinary) throw new LedgerError('invalid_argument', 'bad message: expected JSON text');
          let msg: unknown;
          try {
            msg = JSON.parse(String(data));
          } catch {
            throw new LedgerError('invalid_argument', 'bad message: not JSON');
          }
          id = typeof (msg as { id?: unknown })?.id === 'number' ? (msg as { id: number }).id : 0;
          const valid = validateRequest(msg);
          allowed.checkRequest(valid.method, valid.args);
          const args = valid.args as { path?: unknown };
          if (typeof args.path === 'string' && isPgUrl(args.path)) secrets.remember((args.path = secrets.restore(args.path)));
          // Every job gets its id here, so that its pushes find this page.
          const job = isJob(valid.method) ? (valid.job ?? crypto.randomUUID()) : undefined;
          if (job) jobs.add(job);
          try {
            res = await engine.request({ id, method: valid.method, args: valid.args, job });
          } finally {
            if (job) jobs.delete(job);
          }
          if (res.ok && valid.method === 'open') {
            const ledger = (res.result as { ledger: string }).ledger;
            // Its page went away while it opened.
            if (ws.readyState === ws.OPEN) opened.add(ledger);
            else closeLedger(ledger);
          } else if (res.ok && valid.method === 'close') opened.delete((valid.args as { ledger: string }).ledger);
        } catch (e) {
          res = errorResponse(id, e);
        }
        send(ws, JSON.stringify(res));
      });
      // The window opens what serve was started with.
      send(ws, JSON.stringify({ event: 'command', payload: { command: 'open', path: database ? secrets.remember(ledgerPath) : ledgerPath } } satisfies Push));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new LedgerError(e.code === 'EADDRINUSE' ? 'locked' : 'permission', `cannot listen on 127.0.0.1:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  hosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
  // The engine starts once the server listens: a refused port leaves no worker threads holding the process.
  const engine = new EngineHost({ cacheDir });
  const unsubscribe = engine.subscribe((push: Push) => {
    const text = JSON.stringify(push);
    // Another tab's export, or a job whose page has gone, is no news to this one.
    const job = push.event === 'progress' || push.event === 'jobDone' ? (push.payload as { job: string }).job : undefined;
    for (const [ws, own] of pages) if (job === undefined || own.has(job)) send(ws, text);
  });
  return {
    url: `http://127.0.0.1:${bound}/?token=${token}`,
    close: async () => {
      unsubscribe();
      const closed = new Promise<void>((r) => server.close(() => r()));
      // HTTP, WebSocket and refused upgrades alike.
      for (const socket of connections) socket.destroy();
      await closed;
      await engine.close();
    },
  };
}
