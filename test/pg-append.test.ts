// Appending to a canonical PostgreSQL table from several real processes at once:
// idempotent by id, all or nothing per batch, a gap-free seq per run, offsets
// committed in order; a table without seq gains it on the first append.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { BIN, runCli } from './helpers/cli.ts';
import { canonicalFromSqlite } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pga-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 300, runs: 4, seed: 5 });
  server.createDb('team');
  // As the seed system writes it: no seq column yet.
  canonicalFromSqlite(server, 'team', db, { seq: false, offset: 'bigserial' });
});

afterAll(() => {
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runAsync(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, err }));
  });
}

const line = (id: string, run: string, i: number) => JSON.stringify({ id, run_id: run, kind: 'tool_call', actor: 'svc', payload: { i, note: 'x  y' } });

describe('appending to PostgreSQL', () => {
  it('keeps seq gap-free per run and each id once, with five writers at once', async () => {
    const runs = ['run-a', 'run-b', 'run-3-000001'];
    const writers = 5;
    const files: string[] = [];
    for (let w = 0; w < writers; w++) {
      const lines: string[] = [];
      for (let i = 0; i < 60; i++) lines.push(line(`w${w}-${i}`, runs[i % runs.length]!, i));
      // Every writer also sends ids another writer sends: each must land once.
      for (let i = 0; i < 10; i++) lines.push(line(`shared-${i}`, runs[i % runs.length]!, i));
      const f = path.join(dir, `w${w}.jsonl`);
      fs.writeFileSync(f, `${lines.join('\n')}\n`);
      files.push(f);
    }
    const results = await Promise.all(files.flatMap((f) => [runAsync(['append', server.url('team'), '--file', f]), runAsync(['append', server.url('team'), '--file', f])]));
    for (const r of results) expect(r.code, r.err).toBe(0);
    const total = Number(server.psql('SELECT count(*) FROM events', 'team'));
    expect(total).toBe(300 + writers * 60 + 10);
    expect(server.psql('SELECT count(*) - count(DISTINCT id) FROM events', 'team').trim()).toBe('0');
    // Seq of every appended row: 1..n per run counting the rows from before the column, in offset order.
    const bad = server.psql(
      `SELECT count(*) FROM (SELECT seq, row_number() OVER (PARTITION BY run_id ORDER BY "offset") AS n FROM events) s WHERE seq IS NOT NULL AND seq <> n`,
      'team',
    );
    expect(bad.trim()).toBe('0');
    expect(server.psql('SELECT count(*) FROM events WHERE seq IS NULL', 'team').trim()).toBe('300');
    const ledger = PgLedger.open(server.url('team'));
    try {
      expect(ledger.source.hasSeq).toBe(true);
      const since = ledger.page({ query: { runs: ['run-a'], since_seq: 100 }, limit: 1000 }).events;
      expect(since.map((e) => e.seq)).toEqual(Array.from({ length: since.length }, (_, i) => 101 + i));
    } finally {
      ledger.close();
    }
  });

  it('takes a batch all or nothing, and an id already there as a duplicate', () => {
    const ledger = PgLedger.open(server.url('team'));
    try {
      const before = ledger.lastOffset();
      const res = ledger.append([
        { id: 'new-1', run_id: 'run-z', kind: 'run.started', payload: { a: 1 } },
        { id: 'w0-0', run_id: 'run-a', kind: 'tool_call' },
        { id: 'new-1', run_id: 'run-z', kind: 'run.started' },
      ]);
      expect(res.results.map((r) => r.status)).toEqual(['appended', 'duplicate', 'duplicate']);
      expect(res.results[0]).toMatchObject({ seq: 1 });
      // PostgreSQL refuses a NUL in text: the whole batch is refused, the good event with it.
      expect(() =>
        ledger.append([
          { id: 'new-2', run_id: 'run-z', kind: 'node.started' },
          { id: 'new-3', run_id: 'run-z', kind: 'node\u0000started' },
        ]),
      ).toThrow(/\(127\.0\.0\.1:\d+\/team\)$/);
      expect(ledger.lastOffset()).toBe((before ?? 0) + 1);
      expect(ledger.event(ledger.lastOffset()!)!.id).toBe('new-1');
      // The reader's own session stays read-only: the append used a connection of its own.
      expect(server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger-inspector'", 'team').trim()).toBe('2');
    } finally {
      ledger.close();
    }
  });

  it('refuses appends to other layouts', () => {
    server.psql('CREATE TABLE session_events (id bigserial PRIMARY KEY, session_id text NOT NULL, seq int, type text NOT NULL, payload text, created_at text)', 'team');
    const r = runCli(['append', `${server.url('team')}?table=session_events`], { cacheDir: path.join(dir, 'cache'), input: `${line('q', 'r', 1)}\n` });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/appending is for canonical ledgers; this one is session_events/);
  });

  it('refuses an append to a table read as canonical from fewer columns, before it changes the table', () => {
    server.psql(
      `CREATE TABLE slim ("offset" bigserial PRIMARY KEY, id text UNIQUE NOT NULL, run_id text NOT NULL, turn int NOT NULL DEFAULT 0, kind text NOT NULL,
         actor text NOT NULL DEFAULT '', payload text NOT NULL, created_at text NOT NULL);
       INSERT INTO slim (id, run_id, kind, payload, created_at) VALUES ('s1', 'r', 'k', '{}', '2026-01-01T00:00:00Z');`,
      'team',
    );
    const schema = () => server.psql("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'slim'::regclass AND attnum > 0; SELECT count(*) FROM pg_indexes WHERE tablename = 'slim'", 'team');
    const before = schema();
    const r = runCli(['append', `${server.url('team')}?table=slim`], { cacheDir: path.join(dir, 'cache'), input: `${line('s2', 'r', 1)}\n` });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/appending writes every canonical column, and slim has no schema_version, session_id, model_profile, model_id/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(schema()).toBe(before);
    expect(server.psql('SELECT count(*) FROM slim', 'team').trim()).toBe('1');
  });
});
