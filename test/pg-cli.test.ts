// The command line over a real PostgreSQL server: the commands read a postgres://
// URL as they read a file, and every bad connection is one line naming the server,
// never the password.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { EngineHost } from '../src/main/host/host.ts';
import type { Request, Response } from '../src/shared/contract.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { runCli } from './helpers/cli.ts';
import { canonicalFromSqlite, hangBackends } from './helpers/pg-fixtures.ts';
import { PG_PASSWORD, startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;
let cacheDir: string;

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgc-'));
  cacheDir = path.join(dir, 'cache');
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 2000, runs: 10, seed: 3 });
  server.createDb('team');
  canonicalFromSqlite(server, 'team', db);
});

afterAll(() => {
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The CLI with these environment variables set (undefined: unset). */
const cli = (args: string[], env: Record<string, string | undefined> = {}) => {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return runCli(args, { cacheDir });
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
};

describe('the CLI over PostgreSQL', () => {
  it('queries, counts, folds and replays a table', () => {
    const q = cli(['query', server.url('team'), '--table', 'events', '--kind', 'run.started', '--jsonl', '--all']);
    expect(q.code, q.err).toBe(0);
    const events = q.out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; run_id: string });
    expect(events).toHaveLength(10);
    expect(events.every((e) => e.kind === 'run.started')).toBe(true);
    const stats = cli(['stats', server.url('team'), '--json']);
    expect(stats.code, stats.err).toBe(0);
    const s = JSON.parse(stats.out) as { events: number; runs: number; layout: string; path: string };
    expect([s.events, s.runs, s.layout]).toEqual([2000, 10, 'canonical']);
    expect(s.path).not.toContain(PG_PASSWORD);
    const runs = cli(['runs', server.url('team'), '--jsonl']);
    expect(runs.code, runs.err).toBe(0);
    expect(runs.out.trim().split('\n')).toHaveLength(10);
    const run = events[0]!.run_id;
    const replay = cli(['replay', server.url('team'), run, '--step', '3', '--json']);
    expect(replay.code, replay.err).toBe(0);
    expect((JSON.parse(replay.out) as { step: number }).step).toBe(3);
  });

  it('lists, folds, replays and copies times an ISO time cannot hold (BC, infinity) as the server prints them, and filters them in their place', () => {
    server.createDb('edges');
    server.psql(
      `CREATE TABLE events ("offset" bigint PRIMARY KEY, id text NOT NULL, run_id text NOT NULL, turn integer NOT NULL DEFAULT 0, kind text NOT NULL,
         actor text NOT NULL DEFAULT 'a', payload text NOT NULL, created_at timestamptz NOT NULL, schema_version integer NOT NULL DEFAULT 1,
         session_id text, model_profile text, model_id text, seq bigint);
       INSERT INTO events ("offset", id, run_id, kind, payload, created_at, seq) VALUES
         (1, 'a', 'r', 'run.started', '{}', '2024-05-01T10:00:00Z', 1), (2, 'b', 'r', 'node.started', '{"node_id": "n"}', '0044-03-15 00:00:00+00 BC', 2),
         (3, 'c', 'r', 'node.completed', '{"node_id": "n"}', 'infinity', 3), (4, 'd', 'r', 'log', '{}', '-infinity', 4),
         (5, 'e', 'r', 'run.completed', '{}', '2024-05-01T11:00:00Z', 5);`,
      'edges',
    );
    const url = server.url('edges');
    const ok = (args: string[]) => {
      const r = cli(args);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      return r.out;
    };
    const times = (out: string) => out.trim().split('\n').map((l) => (JSON.parse(l) as { time: string }).time);
    const shown = ['2024-05-01T10:00:00.000Z', '0044-03-15 00:00:00+00 BC', 'infinity', '-infinity', '2024-05-01T11:00:00.000Z'];
    expect(times(ok(['query', url, '--all', '--jsonl']))).toEqual(shown);
    expect(ok(['query', url])).toMatch(/^ +3 +infinity +r /m);
    expect(times(ok(['query', url, '--from', '2024-05-01T10:30:00Z', '--jsonl']))).toEqual(['infinity', '2024-05-01T11:00:00.000Z']);
    expect(times(ok(['query', url, '--to', '2024-05-01T10:30:00Z', '--jsonl']))).toEqual(['2024-05-01T10:00:00.000Z', '0044-03-15 00:00:00+00 BC', '-infinity']);
    expect(JSON.parse(ok(['runs', url, '--json']))).toMatchObject([{ run_id: 'r', status: 'completed', started_at: shown[0], ended_at: shown[4] }]);
    expect(ok(['run', url, 'r'])).toMatch(/n +#1 +completed +0044-03-15 00:00:00\+00 BC/);
    expect(JSON.parse(ok(['run', url, 'r', '--json'])).node_runs[0]).toMatchObject({ started_at: shown[1], ended_at: 'infinity', duration_ms: null });
    expect(JSON.parse(ok(['replay', url, 'r', '--step', '3', '--json'])).event.time).toBe('infinity');
    ok(['replay', url, 'r', '--step', '4']);
    const snap = path.join(dir, 'edges.db');
    ok(['snapshot', url, snap]);
    expect(times(ok(['query', snap, '--all', '--jsonl']))).toEqual(shown);
    const out = path.join(dir, 'edges-jsonl');
    ok(['export-jsonl', url, out]);
    const lines = fs.readFileSync(path.join(out, 'r.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ts: number | null; created_at: string });
    expect(lines.map((l) => [l.created_at, l.ts])).toEqual(shown.map((t, i) => [t, i === 0 ? 1714557600 : i === 4 ? 1714561200 : null]));
  });

  it('reads the libpq environment and .pgpass as psql does', () => {
    const env = { PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: 'team' };
    const viaEnv = cli(['query', 'postgres://', '--limit', '1', '--json'], { ...env, PGPASSWORD: PG_PASSWORD });
    expect(viaEnv.code, viaEnv.err).toBe(0);
    expect((JSON.parse(viaEnv.out) as { events: unknown[] }).events).toHaveLength(1);
    const pgpass = path.join(dir, 'pgpass');
    fs.writeFileSync(pgpass, `127.0.0.1:${server.port}:team:postgres:${PG_PASSWORD}\n`, { mode: 0o600 });
    const viaFile = cli(['query', `postgres://postgres@127.0.0.1:${server.port}/team`, '--limit', '1', '--json'], { PGPASSFILE: pgpass, PGPASSWORD: undefined });
    expect(viaFile.code, viaFile.err).toBe(0);
  });

  it('says in one line what is wrong with a connection, naming the server and never the password', () => {
    const at = `127.0.0.1:${server.port}`;
    const cases: Array<[string[], RegExp]> = [
      [['query', server.url('team', { password: 'not-the-password' })], new RegExp(`refused user "postgres".*\\(${at}/team\\)`)],
      [['query', server.url('nodb')], new RegExp(`no database "nodb".*\\(${at}/nodb\\)`)],
      [['query', server.url('team'), '--table', 'nope'], new RegExp(`no table "nope" in the database; tables: events \\(${at}/team\\)`)],
      [['query', `postgres://postgres:${PG_PASSWORD}@127.0.0.1:1/team`], /cannot connect .*connection refused.*\(127\.0\.0\.1:1\/team\)/],
      [['query', `postgres://postgres:${PG_PASSWORD}@[bad/team`], /not a valid postgres:\/\/ URL \(postgres:\/\/postgres@\[bad\/team\)/],
      [['query', `postgres://postgres:${PG_PASSWORD}@127.0.0.1:99999/team`], /not a valid postgres:\/\/ URL/],
      [['query', `${server.url('team')}?statement_timeout=soon`], new RegExp(`statement_timeout must be a number of milliseconds; it is "soon" \\(${at}/team\\)`)],
      // A % that starts no escape is the password's own character (as libpq reads it), not a broken URL.
      [['query', `postgres://postgres:p%ZZ@127.0.0.1:${server.port}/team`], new RegExp(`refused user "postgres".*\\(${at}/team\\)`)],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).not.toContain(PG_PASSWORD);
      expect(r.err).not.toContain('not-the-password');
      expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
    }
    // No password in the URL, the environment or a password file.
    const none = cli(['query', `postgres://postgres@${at}/team`], { PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'no-such-pgpass') });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(new RegExp(`the server asks user "postgres" for a password, and none was given: put it in the URL, in PGPASSWORD or in ~/.pgpass \\(${at}/team\\)`));
    const bad = cli(['query', 'ledger.db', '--table', 'events']);
    expect(bad.code).toBe(2);
  });

  it('names a server that goes away mid-session, and reads again once it is back', () => {
    const ledger = PgLedger.open(server.url('team'), { cacheDir });
    try {
      expect(ledger.page({ limit: 2 }).events).toHaveLength(2);
      server.stop();
      let err: (Error & { code?: string }) | undefined;
      try {
        ledger.page({ limit: 2, after: 10 });
      } catch (e) {
        err = e as Error & { code?: string };
      }
      // Lost mid-statement or found gone by the reconnect: either way, said of the server.
      expect(['source_changed', 'not_found']).toContain(err?.code);
      expect(err?.message).toMatch(new RegExp(`PostgreSQL server.*\\(127\\.0\\.0\\.1:${server.port}/team\\)`));
      expect(err?.message.split('\n')).toHaveLength(1);
      let refused: (Error & { code?: string }) | undefined;
      try {
        ledger.page({ limit: 2 });
      } catch (e) {
        refused = e as Error & { code?: string };
      }
      expect(refused?.message).toMatch(/connection refused/);
      server.start();
      expect(ledger.page({ limit: 2, after: 10 }).events.map((e) => e.offset)).toEqual([11, 12]);
    } finally {
      ledger.close();
    }
  });

  it("answers a file ledger's calls while a PostgreSQL ledger open beside it waits on a hung server", async () => {
    // The app's host (every lane started at once), as serve and the desktop app run it.
    const host = new EngineHost({ cacheDir, log: () => {} });
    let hung: { resume: () => void } | undefined;
    let id = 0;
    const call = (method: string, args: object, job = false) => host.request({ id: ++id, method, args, ...(job && { job: crypto.randomUUID() }) } as Request);
    const ledgerOf = async (p: string) => {
      const r = await call('open', { path: p }, true);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      return (r as { result: { ledger: string } }).result.ledger;
    };
    try {
      const file = await ledgerOf(path.join(dir, 'ledger.db'));
      const pg = await ledgerOf(`${server.url('team')}?table=events&statement_timeout=1000`);
      // Each lane has connected (a worker takes its messages in order: its open came first).
      expect(await call('count', { ledger: pg }, true)).toMatchObject({ ok: true, result: 2000 });
      expect(await call('event', { ledger: pg, offset: 1 })).toMatchObject({ ok: true });
      // The ledger's backends stopped, as a hung server is: its statement timeout never fires.
      hung = hangBackends(server, 'team');
      const order: string[] = [];
      const settled = (name: string, p: Promise<Response>) => p.then((r) => (order.push(name), r));
      const pgRows = settled('pg rows', call('rows', { ledger: pg, start: 10, count: 5 }));
      const pgCount = settled('pg count', call('count', { ledger: pg, query: { kinds: ['run.started'] } }, true));
      const fileRows = await settled('file rows', call('rows', { ledger: file, start: 10, count: 5 }));
      const fileCount = await settled('file count', call('count', { ledger: file, query: { kinds: ['run.started'] } }, true));
      expect(fileRows).toMatchObject({ ok: true, result: { start: 10 } });
      expect(fileCount).toMatchObject({ ok: true, result: 10 });
      // Both file calls answered while the PostgreSQL calls were still waiting.
      expect(order).toEqual(['file rows', 'file count']);
      // Those give up as before (statement timeout + 5 s), saying so; the next call reconnects.
      expect(await pgRows).toMatchObject({ ok: false, error: { code: 'source_changed', message: expect.stringMatching(/sent no answer .*the next call reconnects/) } });
      expect(await pgCount).toMatchObject({ ok: false });
      expect(order.slice(2).sort()).toEqual(['pg count', 'pg rows']);
      hung.resume();
      expect(await call('event', { ledger: pg, offset: 5 })).toMatchObject({ ok: true, result: { offset: 5 } });
      expect(await call('close', { ledger: pg })).toMatchObject({ ok: true });
      expect(await call('rows', { ledger: file, start: 0, count: 1 })).toMatchObject({ ok: true });
    } finally {
      hung?.resume();
      await host.close();
    }
  });

  it('answers on a lane whose worker took the open while the server was down, once the server is back', async () => {
    // Each of the engine host's workers holds every open ledger; a lane started at its first call (the CLI's) takes the opens then.
    const host = new EngineHost({ cacheDir, lanesOnDemand: true, log: () => {} });
    try {
      const opened = await host.request({ id: 1, method: 'open', args: { path: `${server.url('team')}?table=events` } });
      expect(opened.ok).toBe(true);
      const ledger = (opened as { result: { ledger: string } }).result.ledger;
      server.stop();
      // The background lane's worker starts now, and its copy of the open fails.
      expect(await host.request({ id: 2, method: 'count', args: { ledger }, job: crypto.randomUUID() })).toMatchObject({ ok: false });
      server.start();
      expect(await host.request({ id: 3, method: 'count', args: { ledger }, job: crypto.randomUUID() })).toMatchObject({ ok: true, result: 2000 });
    } finally {
      await host.close();
    }
  });
});
