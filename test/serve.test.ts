// Serve mode's gate: 127.0.0.1 only, nothing without the token, and the contract enforced on the socket.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { serve } from '../src/main/serve/server.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
let server: Awaited<ReturnType<typeof serve>>;
let base: string;
let token: string;

beforeAll(async () => {
  dir = tempDir();
  const renderer = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
  const file = path.join(dir, 'l.db');
  generateLedger(file, { events: 500 });
  server = await serve({ path: file, cacheDir: path.join(dir, 'cache'), rendererDir: renderer });
  const u = new URL(server.url);
  base = `http://${u.host}`;
  token = u.searchParams.get('token')!;
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Conn {
  ws: WebSocket;
  /** The first message (received so far or later) that matches. */
  next(pred: (m: any) => boolean): Promise<any>;
}

/** Messages are collected from the start: the server speaks first, as soon as the socket opens. */
function socket(url: string, headers: Record<string, string> = {}): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const seen: any[] = [];
    const waiting: Array<[(m: any) => boolean, (m: any) => void]> = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      const i = waiting.findIndex(([p]) => p(m));
      if (i >= 0) waiting.splice(i, 1)[0]![1](m);
      else seen.push(m);
    });
    const next = (pred: (m: any) => boolean) =>
      new Promise<any>((res) => {
        const i = seen.findIndex(pred);
        if (i >= 0) res(seen.splice(i, 1)[0]);
        else waiting.push([pred, res]);
      });
    ws.once('open', () => resolve({ ws, next }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('serve mode', () => {
  it('listens on 127.0.0.1 and refuses pages and sockets without the token', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(403);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    await expect(socket(`ws://${new URL(base).host}/ws`)).rejects.toThrow(/refused 403/);
    await expect(socket(`ws://${new URL(base).host}/ws?token=${token}`, { origin: 'http://evil.example' })).rejects.toThrow(/refused 403/);
  });

  it('serves the app with the token, then by its cookie, and no file outside the app', async () => {
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(`${base}/assets/app.js`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/..%2f..%2fl.db`, { headers: { cookie } })).status).toBe(404);
  });

  it('answers contract calls on the socket, opens its ledger, and refuses bad ones with a typed error', async () => {
    const { ws, next } = await socket(`ws://${new URL(base).host}/ws?token=${token}`);
    const command = await next((m) => m.event === 'command');
    expect(command.payload).toMatchObject({ command: 'open', path: path.join(dir, 'l.db') });
    ws.send(JSON.stringify({ id: 1, method: 'open', args: { path: command.payload.path } }));
    const opened = await next((m) => m.id === 1);
    expect(opened).toMatchObject({ ok: true, result: { layout: 'canonical', events: 500 } });
    ws.send(JSON.stringify({ id: 2, method: 'rows', args: { ledger: opened.result.ledger, start: 498, count: 10 } }));
    const rows = await next((m) => m.id === 2);
    expect(rows.result.events.map((e: { offset: number }) => e.offset)).toEqual([499, 500]);
    ws.send(JSON.stringify({ id: 3, method: 'rows', args: { ledger: opened.result.ledger, start: -1, count: 10 } }));
    expect(await next((m) => m.id === 3)).toMatchObject({ ok: false, error: { code: 'invalid_argument', message: expect.stringMatching(/^rows: start/) } });
    ws.send('not json');
    expect(await next((m) => m.id === 0)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    ws.close();
  });
});
