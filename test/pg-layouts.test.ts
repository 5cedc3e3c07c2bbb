// Every layout the inspector knows, as tables in a real PostgreSQL database: found
// over information_schema (by columns, whatever the table is called), and any other
// table through the detector or a given mapping.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { emmettTable, sessionEventsTable, supervisorTable } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;
const open = (db: string, table?: string) => PgLedger.open(server.url(db), { table, cacheDir: path.join(dir, 'cache') });

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgl-'));
  for (const db of ['sup', 'sess', 'emt', 'other']) server.createDb(db);
  supervisorTable(server, 'sup', [
    ['wf-1', 'workflow.started', null, '{"goal": "x"}', '2026-01-01T10:00:00Z'],
    ['wf-1', 'step.started', 'fetch', '{}', '2026-01-01T10:00:01Z'],
    ['wf-1', 'step.failed', 'fetch', '{"error": "timeout"}', '2026-01-01T10:00:02Z'],
    ['wf-1', 'workflow.failed', null, '{}', '2026-01-01T10:00:03Z'],
    ['wf-2', 'workflow.started', null, '{}', '2026-01-01T11:00:00Z'],
  ]);
  sessionEventsTable(server, 'sess', [
    ['s-1', 1, 'user_message', '{"text": "hi"}', '2026-01-01T10:00:00.000Z'],
    ['s-1', 2, 'assistant_message', '{"text": "hello"}', '2026-01-01T10:00:01.000Z'],
    ['s-2', 1, 'user_message', '{"text": "?"}', '2026-01-01T10:00:02.000Z'],
  ]);
  emmettTable(server, 'emt', [
    ['order-1', 1, 'OrderPlaced', '{"total": 10}', '2026-01-01T10:00:00Z'],
    ['order-1', 2, 'PaymentFailed', '{"reason": "card"}', '2026-01-01T10:00:05Z'],
    ['order-2', 1, 'OrderPlaced', '{"total": 3}', '2026-01-01T10:01:00Z'],
  ]);
  server.psql(
    `CREATE TABLE users (id serial PRIMARY KEY, name text, session_id text);
     CREATE TABLE audit_log (position bigint PRIMARY KEY, stream_id text NOT NULL, event_type text NOT NULL, occurred_at timestamptz NOT NULL, data jsonb);
     INSERT INTO audit_log VALUES (10, 'acct-1', 'Opened', '2026-01-01T09:00:00Z', '{"by": "ann"}'), (20, 'acct-1', 'Closed', '2026-01-01T09:05:00Z', '{"by": "bob"}'), (30, 'acct-2', 'Opened', '2026-01-01T09:06:00Z', null);`,
    'other',
  );
  server.createDb('ids');
  server.psql(
    `CREATE TABLE snowflake (pos bigint PRIMARY KEY, counter bigint, stream_id text NOT NULL, event_type text NOT NULL, occurred_at timestamptz NOT NULL, data jsonb);
     INSERT INTO snowflake VALUES (9007199254740993, 1, 's', 'a', '2026-01-01T09:00:00Z', '{}'), (9007199254740994, 2, 's', 'b', '2026-01-01T09:00:01Z', '{}');
     CREATE TABLE counted (pos bigint PRIMARY KEY, counter bigint, stream_id text NOT NULL, event_type text NOT NULL, occurred_at timestamptz NOT NULL, data jsonb);
     INSERT INTO counted VALUES (1, 1, 's', 'a', '2026-01-01T09:00:00Z', '{}'), (2, 9007199254740993, 's', 'b', '2026-01-01T09:00:01Z', '{}');`,
    'ids',
  );
});

afterAll(() => {
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL layouts', () => {
  it('reads the supervisor layout, with its step ids as nodes', () => {
    const l = open('sup');
    try {
      expect(l.source.layout).toBe('supervisor');
      expect(l.source.appendable).toBe(false);
      const page = l.page({ limit: 10, payload: 'full' });
      expect(page.events.map((e) => [e.offset, e.run_id, e.kind, e.node_id])).toEqual([
        [1, 'wf-1', 'workflow.started', null],
        [2, 'wf-1', 'step.started', 'fetch'],
        [3, 'wf-1', 'step.failed', 'fetch'],
        [4, 'wf-1', 'workflow.failed', null],
        [5, 'wf-2', 'workflow.started', null],
      ]);
      expect(page.events[0]!.time).toBe('2026-01-01T10:00:00.000Z');
      expect(JSON.parse(page.events[2]!.payload)).toEqual({ error: 'timeout' });
      expect(l.count({ time_from: '2026-01-01T10:00:02Z' })).toBe(3);
      const runs = new Projector(l).runs();
      expect(runs.map((r) => r.run_id)).toEqual(['wf-1', 'wf-2']);
    } finally {
      l.close();
    }
  });

  it('reads session_events with its seq', () => {
    const l = open('sess');
    try {
      expect(l.source.layout).toBe('session_events');
      expect(l.page({ query: { runs: ['s-1'], since_seq: 1 } }).events.map((e) => e.kind)).toEqual(['assistant_message']);
      expect(l.facets('run_id')).toEqual([
        { value: 's-1', count: 2 },
        { value: 's-2', count: 1 },
      ]);
    } finally {
      l.close();
    }
  });

  it("reads Emmett's emt_messages: global_position the order, timestamps as ISO text, archived flags", () => {
    const l = open('emt');
    try {
      expect(l.source.layout).toBe('emmett');
      const events = l.page({ payload: 'full' }).events;
      expect(events.map((e) => [e.offset, e.run_id, e.seq, e.kind, e.archived])).toEqual([
        [1, 'order-1', 1, 'OrderPlaced', false],
        [2, 'order-1', 2, 'PaymentFailed', false],
        [3, 'order-2', 1, 'OrderPlaced', false],
      ]);
      expect(events[1]!.time).toBe('2026-01-01T10:00:05.000Z');
      expect(l.histogram({}, 2).counts).toEqual([2, 1]);
    } finally {
      l.close();
    }
  });

  it('detects any other table, and takes a mapping', () => {
    const l = open('other');
    try {
      expect(l.source.layout).toBe('mapped');
      expect(l.source.how).toBe('detected');
      expect(l.source.tableName).toBe('audit_log');
      const events = l.page({ payload: 'full' }).events;
      expect(events.map((e) => [e.offset, e.run_id, e.kind, e.time])).toEqual([
        [10, 'acct-1', 'Opened', '2026-01-01T09:00:00.000Z'],
        [20, 'acct-1', 'Closed', '2026-01-01T09:05:00.000Z'],
        [30, 'acct-2', 'Opened', '2026-01-01T09:06:00.000Z'],
      ]);
      expect(events[2]!.payload).toBe('null');
      expect(l.page({ query: { json_path: { path: '$.by', value: 'bob' } } }).events.map((e) => e.offset)).toEqual([20]);
    } finally {
      l.close();
    }
    const mapped = PgLedger.open(server.url('other'), { mapping: { table: 'users', order: 'id', run: 'session_id', kind: 'name' }, cacheDir: path.join(dir, 'cache') });
    try {
      expect(mapped.source.how).toBe('given');
      expect(mapped.page().events).toEqual([]);
    } finally {
      mapped.close();
    }
    expect(() => PgLedger.open(server.url('other'), { table: 'users' })).toThrow(/no ledger table recognised.*users\(id, name, session_id\)/);
    // Bigints past 2^53 would read as numbers run together: offsets that large are refused, naming the column; another such value reads as its exact text.
    const ids = { order: 'pos', seq: 'counter', run: 'stream_id', kind: 'event_type', time: 'occurred_at', payload: 'data' };
    expect(() => PgLedger.open(server.url('ids'), { mapping: { table: 'snowflake', ...ids } })).toThrow(
      expect.objectContaining({ code: 'not_a_ledger', message: expect.stringMatching(/order column "snowflake"\."pos" holds 9007199254740994, past 2\^53/) }),
    );
    // Its integer primary key orders a table, whatever its name ("pos" is no name the detector knows).
    const keyed = PgLedger.open(server.url('ids'), { table: 'counted', cacheDir: path.join(dir, 'cache') });
    try {
      expect(keyed.source.col.offset).toBe('"counted"."pos"');
      expect(keyed.page().events.map((e) => e.offset)).toEqual([1, 2]);
    } finally {
      keyed.close();
    }
    const counted = PgLedger.open(server.url('ids'), { mapping: { table: 'counted', ...ids }, cacheDir: path.join(dir, 'cache') });
    try {
      expect(counted.page().events.map((e) => e.seq)).toEqual([1, '9007199254740993']);
    } finally {
      counted.close();
    }
    expect(() => PgLedger.open(server.url('other'), { mapping: { table: 'users', order: 'name', run: 'session_id', kind: 'name' } })).toThrow(/order column of users must be an integer column; it is text/);
  });
});
