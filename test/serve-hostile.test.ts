// Serve mode against hostile input: malformed HTTP, malformed WebSocket frames, a foreign
// Host header, files outside the allowed folders, and bad command lines. The server
// must answer or drop each one and go on serving.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { tempDir } from './fixtures.ts';
import { serveProcess } from './helpers/serve-process.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/ledger-inspector.js');
let dir: string;
let outside: string;
let server: ChildProcess;
let port: number;
let token: string;

beforeAll(async () => {
  dir = tempDir();
  outside = tempDir();
  fs.mkdirSync(path.join(dir, 'ledgers'));
  generateLedger(path.join(dir, 'ledgers', 'l.db'), { events: 300 });
  generateLedger(path.join(outside, 'other.db'), { events: 10 });
  fs.writeFileSync(path.join(outside, 'secret.jsonl'), 'root:x:0:0:secret-content\n');
  let url: string;
  ({ server, url } = await serveProcess(path.join(dir, 'ledgers', 'l.db'), path.join(dir, 'cache')));
  const u = new URL(url);
  port = Number(u.port);
  token = u.searchParams.get('token')!;
});
afterAll(() => {
  server.kill('SIGINT');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});
afterEach(() => expect(server.exitCode, 'the serve process is still running').toBeNull());

/** Sends raw bytes and collects whatever comes back until the server closes or goes quiet. */
function raw(bytes: Buffer | string, quietMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    s.on('data', (d) => {
      out += d.toString('latin1');
      idle();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes, idle);
  });
}

/** A working contract call over a fresh socket: the proof that the server still serves. */
async function stillServes(): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
  const reply = await new Promise<any>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ id: 7, method: 'open', args: { path: path.join(dir, 'ledgers', 'l.db') } })));
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.id === 7) resolve(m);
    });
    ws.on('error', reject);
  });
  ws.close();
  expect(reply).toMatchObject({ ok: true, result: { events: 300 } });
}

/** A WebSocket upgrade by hand, so that the frames after it can be anything. */
const upgrade = () =>
  `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

function frame(first: number, payload: Buffer, opts: { masked?: boolean; length?: bigint } = {}): Buffer {
  const masked = opts.masked ?? true;
  const len = opts.length ?? BigInt(payload.length);
  const head: number[] = [first];
  if (len < 126n) head.push((masked ? 0x80 : 0) | Number(len));
  else {
    head.push((masked ? 0x80 : 0) | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 0xffn));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** A page's socket: its calls answered in turn. */
async function page(): Promise<{ call: (method: string, args: unknown, job?: string) => Promise<any>; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 100;
  const call = (method: string, args: unknown, job?: string) =>
    new Promise<any>((resolve) => {
      const id = next++;
      const onMessage = (d: unknown) => {
        const m = JSON.parse(String(d));
        if (m.id !== id) return;
        ws.off('message', onMessage);
        resolve(m);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, args, job }));
    });
  return { call, ws };
}

/** One call on a socket of its own. */
async function call(method: string, args: unknown): Promise<any> {
  const p = await page();
  const reply = await p.call(method, args);
  p.ws.close();
  return reply;
}

describe('serve mode under hostile input', () => {
  it('answers malformed HTTP requests and keeps serving', async () => {
    expect(await raw('GET http://[/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const cookie = `li_token=${token}`;
    expect(await raw(`GET /%ff HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw('NOT A REQUEST\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: nope\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    await stillServes();
  });

  it('refuses a foreign Host header (DNS rebinding), with or without the token', async () => {
    const res = await raw(`GET /?token=${token} HTTP/1.1\r\nHost: rebind.example:${port}\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 421/);
    expect(res).not.toMatch(/set-cookie/i);
    const ws = await raw(upgrade().replace(`Host: 127.0.0.1:${port}`, `Host: rebind.example:${port}`));
    expect(ws).toMatch(/^HTTP\/1\.1 403/);
    expect(await raw(`GET /?token=${token} HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200/);
  });

  it('survives every kind of malformed WebSocket frame', async () => {
    const frames: Array<[string, Buffer]> = [
      ['a length over the cap', frame(0x81, Buffer.from('{}'), { length: 2n ** 32n })],
      ['invalid UTF-8', frame(0x81, Buffer.from([0xff, 0xfe, 0xfd]))],
      ['an unmasked client frame', frame(0x81, Buffer.from('{"id":1}'), { masked: false })],
      ['RSV1 without an extension', frame(0xc1, Buffer.from('{}'))],
      ['reserved opcode 3', frame(0x83, Buffer.from('{}'))],
      ['a binary frame', frame(0x82, Buffer.from('{"id":1,"method":"info","args":{}}'))],
      ['a fragment with no start', frame(0x80, Buffer.from('{}'))],
    ];
    for (const [, bytes] of frames) {
      const reply = await raw(Buffer.concat([Buffer.from(upgrade()), bytes]));
      expect(reply).toMatch(/^HTTP\/1\.1 101/);
    }
    await stillServes();
  });

  it('answers a JSON message that is not a request with a typed error, and a huge id with its own id', async () => {
    for (const msg of ['[]', 'null', '{"id":"x"}', '{"id":1,"method":"__proto__","args":{}}', '{"id":1,"method":"open","args":{"path":1}}']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
      const reply = await new Promise<any>((resolve) => {
        ws.on('open', () => ws.send(msg));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          if ('ok' in m) resolve(m);
        });
      });
      ws.close();
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    }
    await stillServes();
  });

  it('confines the files calls name to the ledger folder, the cache and --allow-dir folders', async () => {
    const inside = path.join(dir, 'ledgers');
    const opened = await call('open', { path: path.join(outside, 'other.db') });
    expect(opened).toMatchObject({ ok: false, error: { code: 'permission', message: expect.stringMatching(/only inside .*--allow-dir/) } });
    const imported = await call('importJsonl', { src: path.join(outside, 'secret.jsonl'), dest: path.join(inside, 'x.db') });
    expect(imported.ok).toBe(false);
    expect(JSON.stringify(imported)).not.toContain('secret-content');
    expect(fs.existsSync(path.join(inside, 'x.db'))).toBe(false);
    // A link inside that points outside is outside.
    fs.symlinkSync(outside, path.join(inside, 'link'));
    expect(await call('open', { path: path.join(inside, 'link', 'other.db') })).toMatchObject({ ok: false, error: { code: 'permission' } });
    const p = await page();
    const led = (await p.call('open', { path: path.join(inside, 'l.db') })).result.ledger;
    expect(await p.call('snapshot', { ledger: led, dest: path.join(outside, 'snap.db') })).toMatchObject({ ok: false, error: { code: 'permission' } });
    expect(fs.existsSync(path.join(outside, 'snap.db'))).toBe(false);
    expect(await call('generate', { dest: path.join(outside, 'gen.db'), events: 1 })).toMatchObject({ ok: false, error: { code: 'permission' } });
    expect(await p.call('saveBookmarks', { ledger: led, dest: path.join(outside, 'marks.json'), offsets: [1] })).toMatchObject({ ok: false, error: { code: 'permission' } });
    expect(fs.existsSync(path.join(outside, 'marks.json'))).toBe(false);
    expect(await p.call('snapshot', { ledger: led, dest: path.join(inside, 'snap.db') })).toMatchObject({ ok: true });
    p.ws.close();
    // A database URL's certificate parameters name files the driver would read: outside, refused before any read.
    for (const param of ['sslrootcert', 'sslcert', 'sslkey']) {
      const url = `postgres://u@127.0.0.1:1/db?sslmode=require&${param}=${encodeURIComponent(path.join(outside, 'secret.jsonl'))}`;
      for (const [method, args] of [['open', { path: url }], ['tables', { path: url }]] as const)
        expect(await call(method, args)).toMatchObject({ ok: false, error: { code: 'permission', message: expect.stringContaining(path.join(outside, 'secret.jsonl')) } });
    }
  });
});

/** Runs the real CLI to its end; no time limit but the test's own. */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('serve from the command line', () => {
  it('closes the ledgers a page opened when its socket closes, and no other page\'s', async () => {
    const file = path.join(dir, 'ledgers', 'l.db');
    const [a, b] = [await page(), await page()];
    const ofA = (await a.call('open', { path: file })).result.ledger;
    const ofB = (await b.call('open', { path: file })).result.ledger;
    // An id works on any page while the page that opened it is there.
    expect(await b.call('info', { ledger: ofA })).toMatchObject({ ok: true });
    a.ws.close();
    let gone: any;
    do gone = await b.call('info', { ledger: ofA });
    while (gone.ok);
    expect(gone).toMatchObject({ ok: false, error: { message: expect.stringContaining('no open ledger') } });
    expect(await b.call('info', { ledger: ofB })).toMatchObject({ ok: true });
    b.ws.close();
    await stillServes();
  });

  it("tells each page of its own jobs only, and a job whose ledger closes ends as cancelled", async () => {
    const big = path.join(dir, 'ledgers', 'big.db');
    generateLedger(big, { events: 200_000 });
    const [a, b] = [await page(), await page()];
    const heard = (ws: WebSocket) => {
      const jobs: any[] = [];
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.event === 'progress' || m.event === 'jobDone') jobs.push(m.payload);
      });
      return jobs;
    };
    const [byA, byB] = [heard(a.ws), heard(b.ws)];
    const ofA = (await a.call('open', { path: big })).result.ledger;
    const ofB = (await b.call('open', { path: big })).result.ledger;
    // The full-text index of 200,000 events is built in steps; the ledger closes between two.
    const indexing = a.call('indexText', { ledger: ofA }, 'index-a');
    while (!byA.some((p) => p.job === 'index-a')) await new Promise((r) => setTimeout(r, 5));
    expect(await a.call('close', { ledger: ofA })).toMatchObject({ ok: true });
    expect(await indexing).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    // An export goes on to its file when its ledger closes (another file opened meanwhile).
    const again = (await a.call('open', { path: big })).result.ledger;
    const out = path.join(dir, 'ledgers', 'export');
    const exporting = a.call('exportJsonl', { ledger: again, dir: out }, 'export-a');
    while (!byA.some((p) => p.job === 'export-a')) await new Promise((r) => setTimeout(r, 5));
    expect(await a.call('close', { ledger: again })).toMatchObject({ ok: true });
    expect(await exporting).toMatchObject({ ok: true, result: { events: 200_000 } });
    expect(await b.call('count', { ledger: ofB }, 'count-b')).toMatchObject({ ok: true, result: 200_000 });
    expect(byA.filter((p) => p.ok !== undefined).map((p) => p.method)).toEqual(['open', 'indexText', 'open', 'exportJsonl']);
    expect(byB.filter((p) => p.ok !== undefined).map((p) => p.method)).toEqual(['open', 'count']);
    expect(byB.map((p) => p.job)).not.toContain('index-a');
    a.ws.close();
    b.ws.close();
    await stillServes();
  });

  it('fails at once, with exit 1, on a missing file and on a busy or bad port', async () => {
    const missing = await cli(['serve', path.join(dir, 'nope.db')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/no such file or folder.*nope\.db/);
    const busy = await cli(['serve', path.join(dir, 'ledgers', 'l.db'), '--port', String(port)]);
    expect(busy.code).toBe(1);
    expect(busy.out).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    const bad = await cli(['serve', path.join(dir, 'ledgers', 'l.db'), '--port', '70000']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/port/);
    expect(bad.out).not.toMatch(/\n\s+at /);
  });
});
