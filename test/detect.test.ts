// The detector and payloads of every storage class: tables in no known layout open
// with a guessed mapping, or fail naming the candidates; no layout ever fails inside.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/shared/errors.ts';
import type { Mapping } from '../src/shared/ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { saveLedgerSettings } from '../src/main/engine/settings/ledger-settings.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { Replay } from '../src/main/engine/derive/replay.ts';
import { listTables } from '../src/main/engine/base/sqlite.ts';
import { fingerprint, seedLine, tempDir, writeSeed004, writeSessionEvents, writeStateDb, writeSupervisor } from './fixtures.ts';
import { writeEmmett, writeLangGraph } from './helpers/frameworks.ts';

let dir: string;
let dataDir: string;
beforeAll(() => {
  dir = tempDir();
  dataDir = path.join(dir, 'data');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const open = (p: string, mapping?: Mapping) => Ledger.open(p, { cacheDir: path.join(dir, 'cache'), mapping, dataDir });

function db(name: string, sql: string, rows: Array<[string, unknown[]]> = []): string {
  const file = path.join(dir, name);
  fs.rmSync(file, { force: true });
  const d = new Database(file);
  d.exec(sql);
  for (const [stmt, params] of rows) d.prepare(stmt).run(...params);
  d.close();
  return file;
}

const t0 = Date.UTC(2026, 0, 2, 3, 4, 5);

/** Ids as the order, unix-ms times, payloads as BLOBs of UTF-8 JSON. */
function idsMsBlobs(): string {
  const rows: Array<[string, unknown[]]> = [];
  const add = (id: number, thread: string, type: string, data: object, ms: number) =>
    rows.push(['INSERT INTO activity VALUES (?, ?, ?, ?, ?)', [id, thread, type, Buffer.from(JSON.stringify(data)), ms]]);
  add(10, 't1', 'job.started', { step: 'a' }, t0);
  add(20, 't1', 'step.started', { step_id: 'fetch' }, t0 + 1000);
  add(30, 't2', 'job.started', {}, t0 + 1500);
  add(40, 't1', 'step.failed', { step_id: 'fetch', error: 'ünïcode ✅' }, t0 + 2000);
  add(50, 't1', 'job.failed', { error: 'gave up' }, t0 + 3000);
  return db('ids-ms-blobs.db', 'CREATE TABLE activity (id INTEGER PRIMARY KEY, thread_id TEXT, event_type TEXT, body BLOB, timestamp INTEGER); CREATE TABLE notes (x TEXT)', rows);
}

describe('the detector', () => {
  it('opens a table of another shape directly: INTEGER PRIMARY KEY order, unix-ms time, BLOB payload', () => {
    const file = idsMsBlobs();
    const before = fingerprint(file);
    const l = open(file);
    expect(l.source.layout).toBe('mapped');
    const stats = l.stats();
    expect(stats.mapping).toEqual({
      how: 'detected',
      mapping: { table: 'activity', order: 'id', run: 'thread_id', kind: 'event_type', time: 'timestamp', time_format: 'unix_ms', payload: 'body' },
    });
    const events = l.page({ payload: 'full' }).events;
    expect(events.map((e) => [e.offset, e.run_id, e.kind, e.time])).toEqual([
      [10, 't1', 'job.started', '2026-01-02T03:04:05.000Z'],
      [20, 't1', 'step.started', '2026-01-02T03:04:06.000Z'],
      [30, 't2', 'job.started', '2026-01-02T03:04:06.500Z'],
      [40, 't1', 'step.failed', '2026-01-02T03:04:07.000Z'],
      [50, 't1', 'job.failed', '2026-01-02T03:04:08.000Z'],
    ]);
    expect(events[3]!.payload).toBe(JSON.stringify({ step_id: 'fetch', error: 'ünïcode ✅' }));
    expect(l.page({ query: { json_path: { path: '$.step_id', value: 'fetch' } } }).events.map((e) => e.offset)).toEqual([20, 40]);
    expect(l.page({ query: { text: 'ünïcode' } }).events.map((e) => e.offset)).toEqual([40]);
    expect(new Projector(l).run('t1').run).toMatchObject({ status: 'failed', error: 'gave up' });
    l.close();
    expect(fingerprint(file)).toEqual(before);
  });

  it('opens a view, ordered by its integer position, with SQLite datetime text', () => {
    const file = db(
      'view.db',
      `CREATE TABLE raw (p INTEGER, s TEXT, n TEXT, c TEXT, d TEXT);
       CREATE VIEW event_log AS SELECT p AS position, s AS stream, n AS name, c AS created, d AS data FROM raw WHERE n <> 'noise';`,
      [
        ["INSERT INTO raw VALUES (1, 's', 'session.started', '2026-01-02 03:04:05', '{}')", []],
        ["INSERT INTO raw VALUES (2, 's', 'noise', '2026-01-02 03:04:06', '{}')", []],
        ["INSERT INTO raw VALUES (3, 's', 'session.completed', '2026-01-02 03:04:07', '{}')", []],
      ],
    );
    const l = open(file);
    expect(l.stats().mapping.mapping).toMatchObject({ table: 'event_log', order: 'position', run: 'stream', kind: 'name', time: 'created', time_format: 'sqlite' });
    expect(l.page().events.map((e) => [e.offset, e.kind, e.time])).toEqual([
      [1, 'session.started', '2026-01-02T03:04:05.000Z'],
      [3, 'session.completed', '2026-01-02T03:04:07.000Z'],
    ]);
    expect(l.page({ query: { time_from: '2026-01-02T03:04:06Z' } }).events.map((e) => e.offset)).toEqual([3]);
    expect(new Projector(l).runs()[0]!.status).toBe('completed');
    l.close();
  });

  it('falls back to the rowid for the order, and reads unix seconds', () => {
    const file = db('rowid.db', 'CREATE TABLE log (session_id TEXT, kind TEXT, ts REAL, payload TEXT)', [
      ['INSERT INTO log VALUES (?, ?, ?, ?)', ['a', 'run.started', t0 / 1000, '{"x":1}']],
      ['INSERT INTO log VALUES (?, ?, ?, ?)', ['a', 'run.completed', t0 / 1000 + 1.25, '{"x":2}']],
    ]);
    const l = open(file);
    expect(l.stats().mapping.mapping).toMatchObject({ order: 'rowid', run: 'session_id', kind: 'kind', time: 'ts', time_format: 'unix_s' });
    expect(l.page().events.map((e) => [e.offset, e.time])).toEqual([
      [1, '2026-01-02T03:04:05.000Z'],
      [2, '2026-01-02T03:04:06.250Z'],
    ]);
    l.close();
  });

  it('does not take a table with only an id, a run-like and a kind-like column for an event log', () => {
    const file = db('users.db', 'CREATE TABLE users (id INTEGER PRIMARY KEY, session_id TEXT, name TEXT)', [["INSERT INTO users VALUES (1, 's', 'ann')", []]]);
    expect(() => open(file)).toThrow(/no table is clearly the event log; candidates: users \(run=session_id, kind=name, order=id, score 0\.82\)/);
  });

  it('below the threshold, or with two equal candidates, fails naming the candidates; --map and a saved mapping override', () => {
    const twin = 'CREATE TABLE %s (id INTEGER PRIMARY KEY, run_id TEXT, kind TEXT, payload TEXT)';
    const file = db('twins.db', `${twin.replace('%s', 'events_a')}; ${twin.replace('%s', 'events_b')}`, [
      ["INSERT INTO events_a VALUES (1, 'r', 'run.started', '{}')", []],
      ["INSERT INTO events_b VALUES (1, 'q', 'run.failed', '{}')", []],
    ]);
    let err: LedgerError | undefined;
    try {
      open(file);
    } catch (e) {
      err = e as LedgerError;
    }
    expect(err).toBeInstanceOf(LedgerError);
    expect(err!.code).toBe('unrecognised');
    expect(err!.message).toContain('candidates: events_a (run=run_id, kind=kind, order=id');
    expect(err!.message).toContain('events_b (run=run_id');
    expect(err!.message).toContain(file);

    const given = open(file, { table: 'events_b', order: 'id', run: 'run_id', kind: 'kind', payload: 'payload' });
    expect(given.stats().mapping.how).toBe('given');
    // The fold of one mapping is cached; another mapping of the same file folds afresh.
    expect(new Projector(given).runs().map((r) => [r.run_id, r.status])).toEqual([['q', 'failed']]);
    given.close();
    const other = open(file, { table: 'events_a', order: 'id', run: 'run_id', kind: 'kind', payload: 'payload' });
    expect(new Projector(other).runs().map((r) => [r.run_id, r.status])).toEqual([['r', 'running']]);
    other.close();
    saveLedgerSettings(file, { mapping: { table: 'events_a', order: 'id', run: 'run_id', kind: 'kind' }, rules: { kinds: [{ match: 'run.started', entity: 'run', transition: 'completed' }] } }, dataDir);
    const saved = open(file);
    expect(saved.stats()).toMatchObject({ table: 'events_a', mapping: { how: 'saved' }, rules: { how: 'saved' } });
    expect(new Projector(saved).runs().map((r) => [r.run_id, r.status])).toEqual([['r', 'completed']]);
    saved.close();

    const bin = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LEDGER_INSPECTOR_DATA: path.join(dir, 'no-data'), LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    const r = cli('stats', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no table is clearly the event log');
    expect(r.stderr).toContain('--map table=NAME');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const m = JSON.parse(cli('--map', 'table=events_b,order=id,run=run_id,kind=kind', 'stats', file, '--json').stdout);
    expect(m.mapping).toMatchObject({ how: 'given', mapping: { table: 'events_b' } });
    const nowid = db('without-rowid.db', 'CREATE TABLE ev (k INTEGER PRIMARY KEY, run_id TEXT, kind TEXT) WITHOUT ROWID');
    expect(() => open(nowid, { table: 'ev', order: 'rowid', run: 'run_id', kind: 'kind' })).toThrow(/the mapping of ev cannot be read: no such column: ev.rowid/);
    const text = cli('--map', 'table=events_b,order=kind,run=run_id,kind=kind', 'stats', file);
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('the order column of events_b must hold integers, and it holds "run.failed"');
  });
});

describe('payload columns of every storage class', () => {
  it('reads TEXT, BLOB of UTF-8 JSON, integers, reals and NULL as text; non-JSON text as text', () => {
    const file = db('classes.db', 'CREATE TABLE events2 (seq_no INTEGER PRIMARY KEY, run_id, type, data)', [
      ['INSERT INTO events2 VALUES (1, ?, ?, ?)', ['r', 'node.started', '{"node_id":"a"}']],
      ['INSERT INTO events2 VALUES (2, ?, ?, ?)', ['r', 'node.completed', Buffer.from('{"node_id":"a","ok":true}')]],
      ["INSERT INTO events2 VALUES (3, 'r', 'note', 42)", []],
      ['INSERT INTO events2 VALUES (4, ?, ?, ?)', ['r', 'note', 1.5]],
      ['INSERT INTO events2 VALUES (5, ?, ?, ?)', ['r', 'note', null]],
      ['INSERT INTO events2 VALUES (6, ?, ?, ?)', ['r', 'note', 'plain words, not JSON']],
      ['INSERT INTO events2 VALUES (7, 7, 99, ?)', [Buffer.from([0xff, 0xfe, 0x00])]],
      ['INSERT INTO events2 VALUES (8, ?, ?, ?)', [null, null, '{"x":1}']],
    ]);
    const l = open(file);
    const events = l.page({ payload: 'full' }).events;
    expect(events.map((e) => [e.run_id, e.kind, e.payload])).toEqual([
      ['r', 'node.started', '{"node_id":"a"}'],
      ['r', 'node.completed', '{"node_id":"a","ok":true}'],
      ['r', 'note', '42'],
      ['r', 'note', '1.5'],
      ['r', 'note', 'null'],
      ['r', 'note', 'plain words, not JSON'],
      ['7', '99', '\ufffd\ufffd\u0000'],
      ['', '', '{"x":1}'],
    ]);
    for (const e of l.page().events) expect(typeof e.payload).toBe('string');
    expect(l.page({ query: { json_path: { path: '$.ok', value: true } } }).events.map((e) => e.offset)).toEqual([2]);
    expect(new Projector(l).run('r').node_runs.map((n) => n.status)).toEqual(['completed']);
    l.close();
  });
});

/** Every fixture this suite knows, in every layout. */
async function everyFixture(): Promise<string[]> {
  const f = (n: string) => path.join(dir, 'all', n);
  fs.mkdirSync(path.join(dir, 'all'), { recursive: true });
  writeSeed004(f('seed004.db'), [
    { id: 'a', run_id: 'r1', kind: 'run.started' },
    { id: 'b', run_id: 'r1', kind: 'node.failed', payload: { node_id: 'n' } },
  ]);
  writeStateDb(f('seed004.db'), [['r1', 'wf', '1', 'failed']], [['r1:n:1', 'r1', 'n', 'failed', 1]]);
  writeSupervisor(f('supervisor.db'), [{ workflow_id: 'w', event_type: 'STEP_STARTED', step_id: 's' }]);
  writeSessionEvents(f('sessions.db'), [{ session_id: 's', type: 'session.started' }]);
  fs.writeFileSync(f('stream.jsonl'), `${seedLine('stream', 'run.started', {}, t0)}\n`);
  await writeLangGraph(f('langgraph.db'));
  writeEmmett(f('emmett.db'));
  return [f('stream.jsonl'), f('seed004.db'), f('supervisor.db'), f('sessions.db'), f('langgraph.db'), f('emmett.db'), idsMsBlobs(), path.join(dir, 'classes.db'), path.join(dir, 'view.db')];
}

describe('no layout ever fails inside', () => {
  it('opens every table of every fixture under every mapping of its columns, and reads, folds and replays it', async () => {
    const files = await everyFixture();
    let opened = 0;
    const check = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        // A bad mapping is a user's mistake: a typed error naming it, never an internal one.
        expect(e, `${what}: ${(e as Error).message}`).toBeInstanceOf(LedgerError);
        expect((e as LedgerError).code, what).not.toBe('internal');
      }
    };
    for (const file of files) {
      check(`${file} as detected`, () => exercise(open(file)));
      opened++;
      if (file.endsWith('.jsonl')) continue;
      const d = new Database(file, { readonly: true });
      const tables = listTables(d);
      d.close();
      for (const t of tables) {
        const cols = t.view ? t.columns : [...t.columns, 'rowid'];
        for (const c of cols) {
          const order = t.rowidAlias ?? (t.view ? t.columns[0]! : 'rowid');
          for (const m of [
            { table: t.name, order, run: c, kind: c },
            { table: t.name, order: 'rowid', run: c, kind: c, payload: c },
            { table: t.name, order, run: t.columns[0]!, kind: t.columns.at(-1)!, payload: c, time: c },
            { table: t.name, order, run: c, kind: t.columns[0]!, payload: c, time: c, time_format: 'unix_ms' as const, node: c, seq: c, actor: c },
          ]) {
            check(`${file} ${JSON.stringify(m)}`, () => exercise(open(file, m)));
            opened++;
          }
        }
      }
    }
    expect(opened).toBeGreaterThan(100);
  });
});

function exercise(l: Ledger): void {
  try {
    l.stats();
    const page = l.page({ limit: 50 });
    for (const e of page.events) if (e.offset !== null) l.event(e.offset);
    l.page({ query: { text: 'a', json_path: { path: '$.node_id', value: 'n' } } });
    l.histogram();
    const p = new Projector(l);
    const runs = p.runs();
    if (runs[0] && runs[0].run_id !== '') {
      p.run(runs[0].run_id);
      const r = Replay.open(l, runs[0].run_id);
      r.end();
      r.find({ failure: true });
    }
  } finally {
    l.close();
  }
}
