// Copies out of a real PostgreSQL ledger, and following it: a snapshot (whole, some
// runs, up to an offset) streamed with COPY into a SQLite file that opens as a
// ledger, payload text byte for byte; cancel leaves nothing; JSONL export; tail sees
// every other client's commit once, in order, with several writers at once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../src/shared/ledger.ts';
import { Follower } from '../src/main/engine/derive/tail.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { pgSnapshot } from '../src/main/engine/pg/pg-snapshot.ts';
import type { SyncPg } from '../src/main/engine/pg/sync-client.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { BIN, runCli } from './helpers/cli.ts';
import { canonicalFromSqlite } from './helpers/pg-fixtures.ts';
import { PG_BIN, startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;
let pg: PgLedger;
const cacheDir = () => path.join(dir, 'cache');
/** Payload text with what COPY's text format escapes: tabs, newlines, backslashes; and text beyond ASCII. */
const TRICKY = '{"a":\t"x\\\\y\\ttab",\n  "b": "é 😀 \\u0001",\r\n "c": [1.10, 12345678901234567890]}';

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgs-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 25_000, runs: 40, seed: 9 });
  server.createDb('team');
  canonicalFromSqlite(server, 'team', db);
  pg = PgLedger.open(server.url('team'), { cacheDir: cacheDir() });
  pg.append([{ id: 'tricky', run_id: 'run-t', kind: 'log', payload: {} }], { payloadTexts: [TRICKY] });
});

afterAll(() => {
  pg?.close();
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

const all = (r: { iterate(q?: unknown): Iterable<LedgerEvent> }, q: unknown = {}) => [...r.iterate(q)];

describe('copies of a PostgreSQL ledger', () => {
  it('snapshots the whole ledger through the CLI into a file that opens as the same ledger', () => {
    const dest = path.join(dir, 'whole.db');
    const r = runCli(['snapshot', server.url('team'), dest], { cacheDir: cacheDir() });
    expect(r.code, r.err).toBe(0);
    const copy = Ledger.open(dest, { dataDir: null, cacheDir: cacheDir() });
    try {
      expect(copy.source.layout).toBe('canonical');
      expect(all(copy)).toEqual(all(pg));
      expect(copy.event(copy.lastOffset()!)!.payload).toBe(TRICKY);
    } finally {
      copy.close();
    }
  });

  it('snapshots some runs up to an offset', () => {
    const runs = pg.facets('run_id', {}, 3).map((f) => String(f.value));
    const dest = path.join(dir, 'part.db');
    expect(pg.snapshot(dest, { runs, upToOffset: 12_000 }).events).toBe(pg.count({ runs, offset_to: 12_000 }));
    const copy = Ledger.open(dest, { dataDir: null, cacheDir: cacheDir() });
    try {
      expect(all(copy)).toEqual(all(pg, { runs, offset_to: 12_000 }));
    } finally {
      copy.close();
    }
  });

  it('stops at a cancel, leaves no file, and the ledger reads on', () => {
    const dest = path.join(dir, 'cancelled.db');
    const signal = { aborted: false };
    let seen = 0;
    expect(() =>
      pg.snapshot(dest, {}, {
        signal,
        onProgress: (p) => {
          seen = p.done;
          if (p.done > 0) signal.aborted = true;
        },
      }),
    ).toThrow(/cancelled/);
    expect(seen).toBeGreaterThan(0);
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('cancelled'))).toEqual([]);
    expect(pg.page({ limit: 3, after: 100 }).events.map((e) => e.offset)).toEqual([101, 102, 103]);
    // The copy's transaction is not left open: it would hold the table against other clients' DDL.
    expect(server.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = 'team' AND state LIKE 'idle in transaction%'`, 'team').trim()).toBe('0');
  });

  it("outlasts the interactive statement limit (the URL's statement_timeout): a copy takes as long as it takes", async () => {
    const slow = PgLedger.open(`${server.url('team')}?statement_timeout=1000`, { cacheDir: cacheDir() });
    const locker = spawn(path.join(PG_BIN, 'psql'), ['-X', '-q', '-d', server.url('team'), '-c', 'BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2.5); COMMIT;']);
    const ended = new Promise((resolve) => locker.on('close', resolve));
    try {
      const conn = (slow as unknown as { pg: SyncPg }).pg;
      expect(() => conn.rows('SELECT pg_sleep(2)')).toThrow(/^the server cancelled the statement \(over the 1 s interactive limit/);
      // Another client holds the table for 2.5 s: the copy waits for it, past the limit.
      const held = `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'events' AND l.mode = 'AccessExclusiveLock' AND l.granted`;
      while (server.psql(held, 'team').trim() !== '1') await new Promise((r) => setTimeout(r, 20));
      const dest = path.join(dir, 'outlasting.db');
      expect(pgSnapshot(conn, slow.source, 1, dest, {}).events).toBe(pg.count());
      expect(server.psql(held, 'team').trim()).toBe('0');
      // The limit is back for what follows on the same connection.
      expect(() => conn.rows('SELECT pg_sleep(2)')).toThrow(/over the 1 s interactive limit/);
    } finally {
      await ended;
      slow.close();
    }
  });

  it('exports JSONL through the reader', () => {
    const out = path.join(dir, 'jsonl');
    const r = runCli(['export-jsonl', server.url('team'), out, '--run', 'run-t', '--json'], { cacheDir: cacheDir() });
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { events: number }).events).toBe(1);
    const text = fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.endsWith('.jsonl'))!), 'utf8');
    expect(text).toContain('😀');
  });
});

describe('following a PostgreSQL ledger', () => {
  it('sees every event other clients commit, once and in offset order, with writers in parallel', async () => {
    const seen: number[] = [];
    const errors: Error[] = [];
    const follower = new Follower(pg, { intervalMs: 20, onEvents: (es) => seen.push(...es.map((e) => e.offset)), onError: (e) => errors.push(e) }).start();
    const start = pg.lastOffset()!;
    const writers = [0, 1, 2].map(
      (w) =>
        new Promise<number | null>((resolve) => {
          const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `tail-${w}-${i}`, run_id: `tail-run-${i % 4}`, kind: 'log' })).join('\n');
          const p = spawn(process.execPath, [BIN, 'append', server.url('team')], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: cacheDir() } });
          p.stdin.end(`${lines}\n`);
          p.on('close', resolve);
        }),
    );
    expect(await Promise.all(writers)).toEqual([0, 0, 0]);
    server.psql(`INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at) VALUES ('psql-1', 'tail-run-x', 0, 'log', 'psql', '{}', '2026-01-01T00:00:00.000Z')`, 'team');
    const last = pg.lastOffset()!;
    while (!errors.length && (seen.at(-1) ?? 0) < last) await new Promise((r) => setTimeout(r, 20));
    follower.stop();
    expect(errors).toEqual([]);
    const expected = server.psql(`SELECT "offset" FROM events WHERE "offset" > ${start} ORDER BY 1`, 'team').trim().split('\n').map(Number);
    expect(expected).toHaveLength(121);
    expect(seen).toEqual(expected);
  });

  it('says so when the table is dropped and made again', () => {
    const other = PgLedger.open(server.url('team'), { cacheDir: cacheDir() });
    try {
      server.psql('ALTER TABLE events RENAME TO events_old; CREATE TABLE events (LIKE events_old INCLUDING ALL)', 'team');
      expect(() => other.refresh()).toThrow(/was replaced by another table; reopen it/);
    } finally {
      server.psql('DROP TABLE events; ALTER TABLE events_old RENAME TO events', 'team');
      other.close();
    }
  });
});
