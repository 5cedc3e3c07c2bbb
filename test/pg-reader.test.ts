// A canonical ledger in a real PostgreSQL server reads exactly as the same rows in a
// SQLite file: pages both ways, filters, summaries, runs and replay.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { Replay } from '../src/main/engine/derive/replay.ts';
import { TextIndex } from '../src/main/engine/derive/text-index.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { canonicalSelect } from '../src/main/engine/pg/pg-snapshot.ts';
import { exportJsonl } from '../src/main/engine/copy/jsonl-export.ts';
import { View } from '../src/main/engine/read/view.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { canonicalFromSqlite, generatedCanonical, hangBackends } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';
import { runCli } from './helpers/cli.ts';

let server: PgServer;
let dir: string;
let file: Ledger;
let pg: PgLedger;

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgr-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 3000, runs: 25, seed: 7 });
  server.createDb('team');
  canonicalFromSqlite(server, 'team', db);
  server.createDb('typed');
  canonicalFromSqlite(server, 'typed', db, { typed: true, offset: 'bigserial', table: 'ledger_events' });
  file = Ledger.open(db, { cacheDir: path.join(dir, 'cache-file'), dataDir: null });
  pg = PgLedger.open(`${server.url('team')}?table=events`, { cacheDir: path.join(dir, 'cache-pg') });
});

afterAll(() => {
  pg?.close();
  file?.close();
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

const strip = (events: Array<Record<string, unknown>>) => events.map(({ ...e }) => e);

describe('a canonical PostgreSQL ledger', () => {
  it('detects the layout and names the server without the password', () => {
    expect(pg.source.layout).toBe('canonical');
    expect(pg.source.appendable).toBe(true);
    expect(pg.path).not.toContain('sekrit');
    expect(pg.path).toContain(`127.0.0.1:${server.port}/team`);
  });

  it('pages both ways as the SQLite file does', () => {
    const reqs = [
      { limit: 50 },
      { limit: 50, after: 1234 },
      { limit: 50, before: 1234 },
      { limit: 40, from_end: true },
      { limit: 30, payload: 'full' as const, after: 2990 },
      { limit: 20, query: { kinds: ['node.failed'] } },
      { limit: 20, query: { kinds: ['node.failed', 'run.completed'] }, before: 2500 },
      { limit: 20, query: { exclude_kinds: ['node.started', 'node.completed'] } },
      { limit: 20, query: { runs: [file.page({ limit: 1 }).events[0]!.run_id] } },
      { limit: 20, query: { text: 'timeout' } },
      { limit: 20, query: { json_path: { path: '$.attempt', value: 2 } } },
      { limit: 20, query: { offset_from: 100, offset_to: 300 }, before: 250 },
    ];
    for (const req of reqs) {
      const a = file.page(req);
      const b = pg.page(req);
      expect(strip(b.events as never), JSON.stringify(req)).toEqual(strip(a.events as never));
      expect(b.has_more).toBe(a.has_more);
    }
  });

  it('refuses a JSON-path value beyond 2^53 as the file does, and compares the integers below it exactly, with the same rows', () => {
    const small = path.join(dir, 'big-ints.db');
    const lines = [2 ** 53 - 1, 2 ** 53 - 2, '9007199254740992', '9007199254740993'].map((n) => `{"run_id":"r","kind":"k","payload":{"n":${n}}}`);
    expect(runCli(['append', small], { cacheDir: path.join(dir, 'cache-cli'), input: `${lines.join('\n')}\n` }).code).toBe(0);
    server.createDb('bigints');
    canonicalFromSqlite(server, 'bigints', small, { typed: true });
    const both = [Ledger.open(small, { cacheDir: path.join(dir, 'cache-file'), dataDir: null }), PgLedger.open(`${server.url('bigints')}?table=events`, { cacheDir: path.join(dir, 'cache-pg') })];
    try {
      for (const l of both) {
        for (const value of [2 ** 53, 2 ** 53 + 2, -(2 ** 53)])
          expect(() => l.page({ query: { json_path: { path: '$.n', value } } }), l.path).toThrow(/an integer beyond 2\^53 \(9007199254740991\) cannot be compared exactly/);
        expect(l.page({ query: { json_path: { path: '$.n', value: 2 ** 53 - 1 } } }).events.map((e) => e.offset), l.path).toEqual([1]);
      }
      const url = `${server.url('bigints')}?table=events`;
      const r = runCli(['query', url, '--where', '$.n=9007199254740993'], { cacheDir: path.join(dir, 'cache-cli') });
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/^ledger-inspector: --where "\$\.n=9007199254740993": an integer beyond 2\^53/);
    } finally {
      for (const l of both) l.close();
    }
  });

  it('filters by time, seeks a time, and counts as the file does', () => {
    const mid = file.event(1500)!.time!;
    const q = { time_from: mid, kinds: ['node.completed'] };
    expect(pg.count(q)).toBe(file.count(q));
    expect(pg.count({ time_to: mid })).toBe(file.count({ time_to: mid }));
    expect(pg.seekTime(mid)).toBe(file.seekTime(mid));
    expect(pg.count({}, {})).toBe(3000);
  });

  it('gives the same facets, histogram, stats and offsets', () => {
    expect(pg.facets('kind')).toEqual(file.facets('kind'));
    expect(pg.facets('run_id', { kinds: ['node.failed'] }, 5)).toEqual(file.facets('run_id', { kinds: ['node.failed'] }, 5));
    expect(pg.histogram({}, 60)).toEqual(file.histogram({}, 60));
    const a = file.stats();
    const b = pg.stats();
    expect({ ...b, path: '', table: '' }).toEqual({ ...a, path: '', table: '' });
    expect([...pg.iterateOffsets({ kinds: ['node.failed'] })]).toEqual([...file.iterateOffsets({ kinds: ['node.failed'] })]);
    expect(pg.lastOffset()).toBe(3000);
    expect([...pg.iterate({}, 2900)].map((e) => e.payload)).toEqual([...file.iterate({}, 2900)].map((e) => e.payload));
  });

  it('rebuilds the same runs, node-runs and replay, through the reader interface alone', () => {
    const runsA = new Projector(file).runs();
    const runsB = new Projector(pg).runs();
    expect(runsB).toEqual(runsA);
    const run = runsA.find((r) => r.status === 'failed') ?? runsA[0]!;
    expect(new Projector(pg).run(run.run_id)).toEqual(new Projector(file).run(run.run_id));
    const ra = Replay.open(file, run.run_id);
    const rb = Replay.open(pg, run.run_id);
    expect(rb.steps).toBe(ra.steps);
    expect(rb.at(Math.floor(ra.steps / 2))).toEqual(ra.at(Math.floor(ra.steps / 2)));
  });

  it('searches by scanning: no text index is built that a database table could never use', () => {
    const index = new TextIndex(pg);
    try {
      index.build();
      expect(index.indexedUpTo()).toBeNull();
      const found = index.search({ query: { text: 'timeout' }, limit: 5 });
      expect(found.indexed).toBe(false);
      expect(found.events.map((e) => e.offset)).toEqual(file.page({ query: { text: 'timeout' }, limit: 5 }).events.map((e) => e.offset));
    } finally {
      index.close();
    }
  });

  it('numbers a view without counting first', () => {
    const v = new View(pg, {});
    expect(v.exact).toBe(true);
    expect(v.total).toBe(3000);
    expect(v.rows(2000, 3).map((e) => e.offset)).toEqual([2001, 2002, 2003]);
  });

  it('reads jsonb payloads and timestamptz times as text, byte for byte where the server keeps it', () => {
    const typed = PgLedger.open(server.url('typed'), { cacheDir: path.join(dir, 'cache-typed') });
    try {
      expect(typed.source.tableName).toBe('ledger_events');
      const e = typed.event(10)!;
      const f = file.event(10)!;
      expect(JSON.parse(e.payload)).toEqual(JSON.parse(f.payload));
      expect(Date.parse(e.time!)).toBe(Date.parse(f.time!));
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const mid = f.time!;
      expect(typed.count({ time_from: mid })).toBe(file.count({ time_from: mid }));
      expect(new Projector(typed).runs().map((r) => [r.run_id, r.status])).toEqual(new Projector(file).runs().map((r) => [r.run_id, r.status]));
    } finally {
      typed.close();
    }
  });

  it('reads a NULL payload of a canonical table whose copy of the schema allows one as JSON null, in pages, runs and exports', () => {
    server.createDb('nulls');
    server.psql(
      `CREATE TABLE events ("offset" bigint PRIMARY KEY, id text NOT NULL, run_id text NOT NULL, turn integer NOT NULL DEFAULT 0, kind text NOT NULL,
         actor text NOT NULL DEFAULT '', payload jsonb, created_at timestamptz NOT NULL, schema_version integer NOT NULL DEFAULT 1,
         session_id text, model_profile text, model_id text, seq bigint);
       INSERT INTO events ("offset", id, run_id, kind, payload, created_at, seq) VALUES
         (1, 'a', 'r', 'run.started', '{"x": 1}', '2026-01-01T00:00:00Z', 1), (2, 'b', 'r', 'run.completed', NULL, '2026-01-01T00:00:01Z', 2);`,
      'nulls',
    );
    const l = PgLedger.open(server.url('nulls'), { cacheDir: path.join(dir, 'cache-nulls') });
    try {
      expect(l.source.layout).toBe('canonical');
      expect(l.event(2)!.payload).toBe('null');
      expect(new Projector(l).runs().map((r) => [r.run_id, r.status, r.event_count])).toEqual([['r', 'completed', 2]]);
      const out = path.join(dir, 'nulls-export');
      exportJsonl(l, out);
      const lines = fs.readFileSync(path.join(out, 'r.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((t) => JSON.parse(t).payload)).toEqual([{ x: 1 }, null]);
    } finally {
      l.close();
    }
  });

  it('keeps a time an ISO time cannot hold (BC, infinity) as the server prints it in UTC, filters it in its place, and gives it no duration', () => {
    server.createDb('edges');
    // A server zone other than UTC: what is shown and what filters compare are UTC all the same.
    server.psql("ALTER DATABASE edges SET timezone = 'Asia/Kolkata'");
    const times = ['2024-05-01T10:00:00Z', '0044-03-15 00:00:00+00 BC', 'infinity', '-infinity', '2024-05-01T11:00:00Z'];
    const kinds = ['run.started', 'node.started', 'node.completed', 'log', 'run.completed'];
    for (const [table, type] of [['zoned', 'timestamptz'], ['plain', 'timestamp']]) {
      server.psql(
        `CREATE TABLE ${table} ("offset" bigint PRIMARY KEY, id text NOT NULL, run_id text NOT NULL, turn integer NOT NULL DEFAULT 0, kind text NOT NULL,
           actor text NOT NULL DEFAULT 'a', payload text NOT NULL, created_at ${type} NOT NULL, schema_version integer NOT NULL DEFAULT 1,
           session_id text, model_profile text, model_id text, seq bigint);
         INSERT INTO ${table} ("offset", id, run_id, kind, payload, created_at, seq) VALUES
           ${times.map((t, i) => `(${i + 1}, 'e${i + 1}', 'r', '${kinds[i]}', '{"node_id": "n"}', '${t}', ${i + 1})`).join(', ')};`,
        'edges',
      );
    }
    const shown = {
      zoned: ['2024-05-01T10:00:00.000Z', '0044-03-15 00:00:00+00 BC', 'infinity', '-infinity', '2024-05-01T11:00:00.000Z'],
      plain: ['2024-05-01T10:00:00.000Z', '0044-03-15 00:00:00 BC', 'infinity', '-infinity', '2024-05-01T11:00:00.000Z'],
    };
    for (const table of ['zoned', 'plain'] as const) {
      const l = PgLedger.open(server.url('edges'), { table, cacheDir: path.join(dir, `cache-${table}`) });
      try {
        expect(l.page({ limit: 10 }).events.map((e) => e.time)).toEqual(shown[table]);
        expect(l.event(2)!.time).toBe(shown[table][1]);
        // infinity after every date, -infinity and 44 BC before.
        const offsets = (q: object) => [...l.iterateOffsets(q)];
        expect(offsets({ time_from: '2024-05-01T10:30:00Z' })).toEqual([3, 5]);
        expect(offsets({ time_to: '2024-05-01T10:30:00Z' })).toEqual([1, 2, 4]);
        expect(offsets({ time_from: '9999-12-31T00:00:00Z' })).toEqual([3]);
        expect(offsets({ time_to: '0001-01-01T00:00:00Z' })).toEqual([2, 4]);
        expect(l.count({ time_from: '2024-05-01T10:00:00Z', time_to: '2024-05-01T11:00:00Z' })).toBe(2);
        expect(l.seekTime('2024-05-01T10:30:00Z')).toBe(3);
        // Only times with a place on the axis are counted in it.
        const h = l.histogram({}, 4);
        expect([h.from, h.to, h.counts.reduce((a, b) => a + b, 0)]).toEqual(['2024-05-01T10:00:00.000Z', '2024-05-01T11:00:00.000Z', 2]);
        const detail = new Projector(l).run('r');
        expect(detail.run).toMatchObject({ status: 'completed', started_at: shown[table][0], ended_at: shown[table][4] });
        expect(detail.node_runs[0]).toMatchObject({ started_at: shown[table][1], ended_at: 'infinity', duration_ms: null });
        const replay = Replay.open(l, 'r');
        expect(replay.at(3).event!.time).toBe('infinity');
        const out = path.join(dir, `${table}-export`);
        exportJsonl(l, out);
        const lines = fs.readFileSync(path.join(out, 'r.jsonl'), 'utf8').trim().split('\n').map((t) => JSON.parse(t) as { ts: number | null; created_at: string });
        expect(lines.map((e) => e.created_at)).toEqual(shown[table]);
        expect(lines.map((e) => e.ts)).toEqual([1714557600, null, null, null, 1714561200]);
        const snap = path.join(dir, `${table}-snap.db`);
        l.snapshot(snap);
        const copy = Ledger.open(snap, { cacheDir: path.join(dir, `cache-${table}-snap`), dataDir: null });
        try {
          expect(copy.page({ limit: 10 }).events.map((e) => e.time)).toEqual(shown[table]);
        } finally {
          copy.close();
        }
      } finally {
        l.close();
      }
    }
  });

  it('gives up on a server that sends no answer, saying so, and connects afresh once it answers again', () => {
    const l = PgLedger.open(`${server.url('team')}?table=events&statement_timeout=1000`, { cacheDir: path.join(dir, 'cache-hang') });
    let hung: { resume: () => void } | undefined;
    try {
      expect(l.count({})).toBe(3000);
      // Its connection's backend stopped, as a hung server is: the statement timeout never fires on the server.
      hung = hangBackends(server, 'team');
      expect(() => l.event(5)).toThrow(expect.objectContaining({ code: 'source_changed', message: expect.stringMatching(/sent no answer \(no answer within 6 s\); the next call reconnects/) }));
      hung.resume();
      expect(l.event(5)!.offset).toBe(5);
    } finally {
      hung?.resume();
      l.close();
    }
  });

  it('says a server that accepts and never answers timed out connecting, not that the connection was lost', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      expect(() => PgLedger.open(`postgres://u:p@127.0.0.1:${port}/x`)).toThrow(
        expect.objectContaining({ code: 'not_found', message: expect.stringContaining('cannot connect to the PostgreSQL server: the connection timed out') }),
      );
    } finally {
      silent.close();
    }
  });

  it('creates nothing in the database, and its session refuses writes', () => {
    const before = server.psql("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace", 'team');
    new Projector(pg).runs();
    pg.stats();
    expect(server.psql("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace", 'team')).toBe(before);
    const sessions = server.psql("SELECT setting FROM pg_settings WHERE name = 'default_transaction_read_only'", 'team');
    expect(sessions.trim()).toBe('off'); // psql's own session; the reader's is checked through its own connection below
    expect(() => (pg as unknown as { pg: { rows(s: string): unknown } }).pg.rows("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at) VALUES ('x','r',0,'k','a','{}','t')")).toThrow(/read-only/);
  });
});

describe('a big PostgreSQL table (past 200,000 rows by the planner)', () => {
  let big: PgLedger;
  beforeAll(() => {
    server.createDb('big');
    generatedCanonical(server, 'big', 210_000);
    big = PgLedger.open(server.url('big'), { cacheDir: path.join(dir, 'cache-big') });
  });
  afterAll(() => big?.close());

  it("answers totals and unfiltered facets from the planner's statistics, marked, and counts when asked", () => {
    const counted = Object.fromEntries(
      server
        .psql('SELECT kind, count(*) FROM events GROUP BY 1', 'big')
        .trim()
        .split('\n')
        .map((l) => l.split('|'))
        .map(([k, n]) => [k, Number(n)]),
    );
    const estimated = big.facets('kind');
    expect(estimated.length).toBe(Object.keys(counted).length);
    expect(estimated.every((f) => f.estimate === true && f.count > 0)).toBe(true);
    const exact = big.facets('kind', {}, 100, { exact: true });
    expect(exact.every((f) => f.estimate === undefined)).toBe(true);
    expect(Object.fromEntries(exact.map((f) => [f.value, f.count]))).toEqual(counted);
    // A filter is counted in any case.
    expect(big.facets('kind', { runs: ['run-7'] }).every((f) => f.estimate === undefined)).toBe(true);
    const stats = big.stats();
    expect(stats.estimate).toBe(true);
    expect(stats.events).toBeGreaterThan(150_000);
    // The CLI's stats say so too.
    const cli = runCli(['stats', `${server.url('big')}?table=events`], { cacheDir: path.join(dir, 'cache-cli') });
    expect(cli.code, cli.err).toBe(0);
    expect(cli.out).toMatch(/^events +≈[\d,]+$/m);
    expect(cli.out).toMatch(/^runs +≈[\d,]+$/m);
    expect(cli.out).toMatch(/^  log +≈[\d,]+$/m);
    expect(cli.out).toContain("≈: the database planner's estimate (a big table), not a count");
  });

  it('reads one run in the order of its (run_id, offset) index, without sorting the run', () => {
    // As `run_id = $1` lets it, the planner walks the index in order and stops at the limit (on
    // PostgreSQL 15, `= ANY (array)` always sorts the whole run first). The runs here are small
    // (42 rows), so a small limit is what shows the planner's choice.
    const plan = server.psql(`EXPLAIN ${canonicalSelect(big.source, { runs: ['run-7'], offset_from: 1000 })} LIMIT 5`, 'big');
    expect(plan).toMatch(/Index Scan using events_run_offset/);
    expect(plan).not.toMatch(/Sort/);
  });
});
