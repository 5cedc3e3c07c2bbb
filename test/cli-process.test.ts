// The CLI as a process among others: output streamed without a cap, a reader
// that closes the pipe early, Ctrl+C and SIGTERM mid-job or while serving, strict flags, --version.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { SEED_004_DDL, tempDir } from './fixtures.ts';
import { BIN, runCli } from './helpers/cli.ts';
import { serveProcess } from './helpers/serve-process.ts';

const PKG = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
let dir: string;
let gen: string;
const env = () => ({ ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') });

const cli = (args: string[]) => runCli(args, { cacheDir: path.join(dir, 'cache') });

beforeAll(() => {
  dir = tempDir();
  gen = path.join(dir, 'gen.db');
  expect(cli(['generate', gen, '--events', '12000', '--runs', '40']).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Files in the test folder other than the ledger itself and the cache. */
const leftovers = () => fs.readdirSync(dir).filter((f) => !/^gen\.db(-wal|-shm)?$/.test(f) && f !== 'cache');

describe('CLI processes', () => {
  it('query and search list any number of events: --all, --limit past one page, --json and --jsonl agree', () => {
    const all = cli(['query', gen, '--all', '--jsonl']);
    expect(all.code).toBe(0);
    const lines = all.out.trim().split('\n').map((l) => JSON.parse(l) as { offset: number; payload: string });
    expect(lines.map((e) => e.offset)).toEqual(Array.from({ length: 12000 }, (_, i) => i + 1));
    const doc = JSON.parse(cli(['query', gen, '--limit', '11000', '--json']).out);
    expect(doc.events).toHaveLength(11000);
    expect(doc).toMatchObject({ first_offset: 1, last_offset: 11000, has_more: true });
    expect(doc.events[10999]).toEqual(lines[10999]);
    const last = JSON.parse(cli(['query', gen, '--last', '--limit', '10500', '--json']).out);
    expect(last.events.map((e: { offset: number }) => e.offset)).toEqual(Array.from({ length: 10500 }, (_, i) => 1501 + i));
    const failed = lines.filter((e) => e.payload.includes('upstream did not'));
    const found = cli(['search', gen, 'upstream did not', '--all', '--jsonl']).out.trim().split('\n');
    expect(found).toHaveLength(failed.length);
    const human = cli(['query', gen, '--kind', 'run.started', '--all']);
    expect(human.out.trim().split('\n')).toHaveLength(40);
    const runs = cli(['runs', gen, '--jsonl']).out.trim().split('\n').map((l) => JSON.parse(l).run_id);
    expect(runs).toHaveLength(40);
    expect(JSON.parse(cli(['runs', gen, '--json', '--limit', '3']).out).map((r: { run_id: string }) => r.run_id)).toEqual(runs.slice(0, 3));
  });

  it('a reader that closes the pipe early ends the command quietly with exit 0', async () => {
    for (const args of [['query', gen, '--all', '--jsonl'], ['tail', gen, '--json', '--lines', '5000']]) {
      const child = spawn(process.execPath, [BIN, ...args], { env: env() });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      // Read the first chunk, then close our end, as `| head -2` does.
      await new Promise((r) => child.stdout.once('data', r));
      child.stdout.destroy();
      const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? sig)));
      expect(err).toBe('');
      expect(code).toBe(0);
    }
    const shell = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" tail "${gen}" --json --lines 5000 | head -2`], { encoding: 'utf8', env: env() });
    expect(shell.stderr).toBe('');
    expect(shell.stdout.trim().split('\n')).toHaveLength(2);
    expect(shell.status).toBe(0);
  });

  it('SIGINT or SIGTERM mid-job cancels it, removes its partial files and exits 130', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const dest = path.join(dir, `big-${signal}.db`);
      const child = spawn(process.execPath, [BIN, 'generate', dest, '--events', '50000000'], { env: env() });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exit = new Promise((r) => child.on('exit', (c, sig) => r(c ?? sig)));
      // Wait until the job is writing its partial file, then interrupt it.
      while (!leftovers().some((f) => f.includes('.partial-') && fs.statSync(path.join(dir, f)).size > 0)) await new Promise((r) => setTimeout(r, 50));
      child.kill(signal);
      expect(await exit).toBe(130);
      expect(err).toMatch(/^ledger-inspector: cancelled[^\n]*\n$/);
      expect(leftovers()).toEqual([]);
    }
  });

  it('SIGINT or SIGTERM during a long scan of a listing ends it there, by the signal, not once the scan is done', async () => {
    // Needles at both ends of a long run of hay: the second page of `--text needle` scans the hay.
    const file = path.join(dir, 'needles.db');
    const [n, k] = [1_000_000, 2500];
    const db = new Database(file);
    db.exec(SEED_004_DDL);
    db.prepare(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
       INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at)
       SELECT 'e' || i, 'r' || (i % 50), 0, 'step.completed', 'agent',
              json_object('i', i, 'note', (CASE WHEN i <= ? OR i > ? - ? THEN 'needle ' ELSE 'hay ' END) || hex(zeroblob(40))), '2026-01-01T00:00:00.000Z'
       FROM c`,
    ).run(n, k, n, k);
    db.close();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, [BIN, 'query', file, '--text', 'needle', '--all', '--jsonl'], { env: env() });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exit = new Promise((r) => child.on('exit', (c, sig) => r(c ?? sig)));
      // Once the first needles are out, the listing is in the hay.
      while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 20));
      child.kill(signal);
      // Nothing to clean up: the process ends by the signal itself, as a shell expects (status 130 or 143 there).
      expect(await exit).toBe(signal);
      const last = out.trim().split('\n').filter((l) => l.endsWith('}')).map((l) => (JSON.parse((JSON.parse(l) as { payload: string }).payload) as { i: number }).i).at(-1)!;
      // Stopped in the hay: none of the needles at the far end were reached.
      expect(last).toBeLessThanOrEqual(k);
    }
    fs.rmSync(file);
  });

  it('Ctrl+C stops serve with connections still open: silent, half a request, kept alive, a WebSocket', async () => {
    const { server, url } = await serveProcess(gen, path.join(dir, 'cache'));
    const { port, search } = new URL(url);
    const connect = async (bytes: string) => {
      const s = net.connect(Number(port), '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      if (bytes) s.write(bytes);
      return s;
    };
    const host = `Host: 127.0.0.1:${port}\r\n`;
    // A browser's preconnected socket sends nothing at all; it kept serve running for minutes.
    const open = [await connect(''), await connect(`GET / HTTP/1.1\r\n${host}`)];
    const kept = await connect(`GET /${search} HTTP/1.1\r\n${host}\r\n`);
    await new Promise((r) => kept.once('data', r));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${search}`);
    await new Promise((r) => ws.once('message', r));
    const exit = new Promise((r) => server.on('exit', (c, sig) => r(c ?? sig)));
    server.kill('SIGINT');
    try {
      expect(await exit).toBe(0);
    } finally {
      for (const s of [...open, kept]) s.destroy();
      ws.terminate();
    }
  });

  it('flags out of range or not decimal are usage errors (exit 2), one line naming the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['generate', path.join(dir, 'x.db'), '--events', '1e12'], /--events takes a whole number, not "1e12"/],
      [['generate', path.join(dir, 'x.db'), '--events', '1000000000'], /--events must be from 1 to 100,000,000/],
      [['generate', path.join(dir, 'x.db'), '--events', '10', '--runs', '0'], /--runs must be at least 1, not 0/],
      [['generate', path.join(dir, 'x.db'), '--events', '10', '--runs', '-3'], /--runs must be at least 1, not -3/],
      [['tail', gen, '--lines', '-1'], /--lines must be at least 0, not -1/],
      [['query', gen, '--limit', '99999999999999999999'], /--limit must be at most 9,007,199,254,740,991, not 99999999999999999999/],
      [['append', gen, '--max-payload', '-1'], /--max-payload must be at least 1, not -1/],
      [['query', gen, '--limit', '0x10'], /--limit takes a whole number, not "0x10"/],
      [['query', gen, '--limit', '0'], /--limit must be at least 1, not 0/],
      [['query', gen, '--limit', '5', '--all'], /give --limit or --all, not both/],
      [['query', gen, '--frobnicate'], /unknown option '--frobnicate'/],
      [['generate', path.join(dir, 'x.db')], /required option '--events <n>' not specified/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli(args);
      expect(r.err).toMatch(new RegExp(`^ledger-inspector: .*${pattern.source}[^\n]*\n$`));
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
    }
    expect(leftovers()).toEqual([]);
  });

  it('--version, -V and help for every command', () => {
    for (const flag of ['--version', '-V']) expect(cli([flag])).toEqual({ code: 0, out: `${PKG.version}\n`, err: '' });
    const help = cli(['help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Exit codes:[\s\S]*130/);
    const commands = [...help.out.split('Commands:')[1]!.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['stats', 'query', 'append', 'generate', 'runs', 'search', 'tail', 'serve']));
    for (const c of commands) {
      const r = cli(['help', c]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: ledger-inspector ${c}`);
    }
    expect(cli(['help', 'query']).out).toContain('--all');
  });
});

describe('the cache folder', () => {
  it('is the platform cache folder (XDG here), unless LEDGER_INSPECTOR_CACHE names another', () => {
    const store = path.join(dir, 'store');
    fs.mkdirSync(store, { recursive: true });
    fs.writeFileSync(path.join(store, 'r.jsonl'), '{"ts":1,"stream":"r","event":"run.started","payload":{}}\n');
    const xdg = path.join(dir, 'xdg');
    const mine = path.join(dir, 'mine');
    const run = (extra: Record<string, string | undefined>) => {
      const e: Record<string, string | undefined> = { ...process.env, LEDGER_INSPECTOR_CACHE: undefined, XDG_CACHE_HOME: xdg, ...extra };
      const r = spawnSync(process.execPath, [BIN, 'stats', store, '--json'], { encoding: 'utf8', env: e as NodeJS.ProcessEnv });
      expect(r.status).toBe(0);
    };
    run({});
    expect(fs.readdirSync(path.join(xdg, 'ledger-inspector')).some((f) => f.startsWith('store-'))).toBe(true);
    run({ LEDGER_INSPECTOR_CACHE: mine });
    expect(fs.readdirSync(mine).some((f) => f.startsWith('store-'))).toBe(true);
    fs.rmSync(store, { recursive: true });
  });

  it('that is a file, or under one, is refused in words naming the folder and the file in the way, by every command that writes there', () => {
    const store = path.join(dir, 'store-for-cache');
    fs.mkdirSync(store, { recursive: true });
    fs.writeFileSync(path.join(store, 'r.jsonl'), '{"ts":1,"stream":"r","event":"run.started","payload":{}}\n');
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const cases: Array<[string, RegExp]> = [
      [file, /^ledger-inspector: the cache folder is a file, not a folder \(.*not-a-folder\)\n$/],
      [path.join(file, 'sub'), /^ledger-inspector: the cache folder cannot be created: .*not-a-folder is a file, not a folder \(.*not-a-folder\/sub\)\n$/],
      [path.join(file, 'sub', 'deeper'), /^ledger-inspector: the cache folder cannot be created: .*not-a-folder is a file, not a folder \(.*not-a-folder\/sub\/deeper\)\n$/],
    ];
    for (const [cacheDir, pattern] of cases)
      for (const args of [['runs', gen], ['search', gen, 'upstream'], ['stats', store], ['query', store, '--limit', '1']]) {
        const r = runCli(['--cache-dir', cacheDir, ...args], { cacheDir });
        expect(r.err, args.join(' ')).toMatch(pattern);
        expect(r.err).not.toMatch(/EEXIST|ENOTDIR|internal error/);
        expect(r.code, args.join(' ')).toBe(1);
      }
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    fs.rmSync(store, { recursive: true });
  });

  // Root writes whatever the permission bits say: as root the CLI runs as the user nobody (setpriv), else the case is skipped.
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const canDrop = asNobody.length === 0 || spawnSync(asNobody[0]!, [...asNobody.slice(1), process.execPath, '-e', '0']).status === 0;
  it.skipIf(!canDrop)('that cannot be written in, or created in its parent, is refused as such (as root: run as nobody, since root ignores permission bits)', () => {
    const home = path.join(dir, 'perm');
    const locked = path.join(home, 'locked');
    fs.mkdirSync(locked, { recursive: true });
    fs.copyFileSync(gen, path.join(home, 'gen.db'));
    // The ledger's folder open to all: reading a WAL ledger creates its -shm beside it.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(home, 0o777);
    fs.chmodSync(path.join(home, 'gen.db'), 0o644);
    fs.chmodSync(locked, 0o555);
    const run = (cacheDir: string) => {
      const argv = [...asNobody, process.execPath, BIN, '--cache-dir', cacheDir, 'runs', path.join(home, 'gen.db')];
      return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: undefined } });
    };
    try {
      const inIt = run(locked);
      expect(inIt.stderr).toMatch(/^ledger-inspector: the cache folder cannot be written in: permission denied \(.*locked\)\n$/);
      expect(inIt.status).toBe(1);
      const under = run(path.join(locked, 'sub'));
      expect(under.stderr).toMatch(/^ledger-inspector: the cache folder cannot be created: permission denied \(.*locked\/sub\)\n$/);
      expect(under.status).toBe(1);
    } finally {
      fs.chmodSync(dir, 0o700);
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
