// Serve mode: the built renderer and a WebSocket bridge of the same contract, on
// 127.0.0.1 only, behind a random token. The page is opened once with ?token=…,
// which sets a same-site cookie; anything without the token or cookie is refused.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { validateRequest, type Push, type Response } from '../../shared/contract.ts';
import { LedgerError } from '../../shared/errors.ts';
import { EngineHost } from '../host/host.ts';

export interface ServeOptions {
  path: string;
  port?: number;
  cacheDir?: string;
  rendererDir?: string;
}

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

export async function serve(opts: ServeOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const root = opts.rendererDir ?? DEFAULT_RENDERER_DIR;
  if (!fs.existsSync(path.join(root, 'index.html')))
    throw new LedgerError('not_found', 'the app is not built; run "npm run build" first', root);
  const token = crypto.randomBytes(24).toString('base64url');
  const cookie = `li_token=${token}`;
  const authorised = (req: http.IncomingMessage, url: URL) =>
    url.searchParams.get('token') === token || (req.headers.cookie ?? '').split(/;\s*/).includes(cookie);

  const host = new EngineHost({ cacheDir: opts.cacheDir });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!authorised(req, url)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: open the URL with its token\n');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
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
    fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  const unsubscribe = host.subscribe((push: Push) => {
    const text = JSON.stringify(push);
    for (const s of sockets) s.send(text);
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const sameOrigin = !origin || origin === `http://${req.headers.host}`;
    if (url.pathname !== '/ws' || !authorised(req, url) || !sameOrigin) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', async (data) => {
        let id = 0;
        let res: Response;
        try {
          const msg = JSON.parse(String(data));
          id = typeof msg?.id === 'number' ? msg.id : 0;
          const valid = validateRequest(msg);
          res = await host.request({ id, method: valid.method, args: valid.args, job: valid.job });
        } catch (e) {
          const err = e instanceof LedgerError ? e : new LedgerError('invalid_argument', `bad message: ${(e as Error).message}`);
          res = { id, ok: false, error: { code: err.code, message: err.message } };
        }
        ws.send(JSON.stringify(res));
      });
      // The window opens what serve was started with.
      ws.send(JSON.stringify({ event: 'command', payload: { command: 'open', path: path.resolve(opts.path) } } satisfies Push));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new LedgerError('permission', `cannot listen on 127.0.0.1:${opts.port ?? 0}: ${e.message}`)));
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      unsubscribe();
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => server.close(() => r()));
      await host.close();
    },
  };
}
