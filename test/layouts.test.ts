import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/shared/errors.ts';
import type { Mapping } from '../src/shared/ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { fsError } from '../src/main/engine/base/sqlite.ts';
import { fingerprint, seedLine, tempDir, writeSeed004, writeSessionEvents, writeStateDb, writeSupervisor } from './fixtures.ts';

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = path.join(dir, 'cache');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (p: string, mapping?: Mapping) => Ledger.open(p, { cacheDir, mapping });

function expectError(fn: () => unknown, code: string, ...fragments: string[]): LedgerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerError);
    const err = e as LedgerError;
    expect(err.code).toBe(code);
    for (const f of fragments) expect(err.message).toContain(f);
    return err;
  }
  throw new Error('expected an error');
}

describe('canonical ledger written by the seed (no seq column)', () => {
  it('opens, pages in offset order and leaves the file byte-identical', () => {
    const file = path.join(dir, 'ledger.db');
    writeSeed004(file, [
      { id: 'a', run_id: 'r1', kind: 'run.started', payload: { workflow_id: 'wf' } },
      { id: 'b', run_id: 'r2', kind: 'run.started' },
      { id: 'c', run_id: 'r1', kind: 'tool_call', payload: { tool: 'grep', text: '中文 ✅' }, model_id: 'm1', session_id: 's1' },
    ]);
    const before = fingerprint(dir);
    const l = open(file);
    expect(l.source.layout).toBe('canonical');
    const page = l.page({ payload: 'full' });
    expect(page.events.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(page.events[2]).toMatchObject({ offset: 3, run_id: 'r1', kind: 'tool_call', actor: 'agent', model_id: 'm1', session_id: 's1', seq: null });
    expect(JSON.parse(page.events[2]!.payload)).toEqual({ tool: 'grep', text: '中文 ✅' });
    expect(page).toMatchObject({ first_offset: 1, last_offset: 3, has_more: false });
    const stats = l.stats();
    expect(stats).toMatchObject({ layout: 'canonical', events: 3, runs: 2, first_offset: 1, last_offset: 3, kinds: { 'run.started': 2, tool_call: 1 } });
    l.close();
    expect(fingerprint(dir)).toEqual(before);
  });

  it('finds non-Latin text in payloads that Python stored with \\u escapes', () => {
    const file = path.join(dir, 'ledger.db');
    writeSeed004(file, [{ id: 'a', run_id: 'r1', kind: 'log' }, { id: 'b', run_id: 'r1', kind: 'log' }]);
    const db = new Database(file);
    // json.dumps({"msg": "处理 Überprüfung"}) with Python's default ensure_ascii=True
    db.prepare("UPDATE events SET payload = ? WHERE id = 'b'").run('{"msg": "\\u5904\\u7406 \\u00dcberpr\\u00fcfung"}');
    db.close();
    const l = open(file);
    expect(l.page({ query: { text: '处理' } }).events.map((e) => e.id)).toEqual(['b']);
    expect(l.page({ query: { text: 'überprüfung' } }).events.map((e) => e.id)).toEqual(['b']);
    l.close();
  });

  it('leaves the main file untouched even when its WAL holds uncheckpointed commits', () => {
    const file = path.join(dir, 'ledger.db');
    writeSeed004(file, [{ id: 'a', run_id: 'r1', kind: 'run.started' }]);
    // A writer that stays open keeps its commits in the -wal file.
    const writer = new Database(file);
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at) VALUES ('b', 'r1', 0, 'run.completed', 'x', '{}', '2026-01-01T00:00:00Z')").run();
    const mainBefore = fingerprint(file);
    const l = open(file);
    expect(l.page().events.map((e) => e.id)).toEqual(['a', 'b']);
    l.close();
    expect(fingerprint(file)).toEqual(mainBefore);
    writer.close();
  });
});

describe('supervisor layout (seeds/003)', () => {
  it('maps workflow_id, event_type, role and step_id/component_id', () => {
    const file = path.join(dir, 'state.db');
    writeSupervisor(file, [
      { workflow_id: 'wf-1', event_type: 'WORKFLOW_STARTED', role: 'planner' },
      { workflow_id: 'wf-1', event_type: 'STEP_STARTED', step_id: 'build', role: 'coder' },
      { workflow_id: 'wf-1', event_type: 'COMPONENT_STARTED', component_id: 'api' },
      { workflow_id: 'wf-2', event_type: 'WORKFLOW_FAILED', payload: { error: 'boom' } },
    ]);
    const before = fingerprint(dir);
    const l = open(file);
    expect(l.source.layout).toBe('supervisor');
    const events = l.page().events;
    expect(events.map((e) => [e.offset, e.id, e.run_id, e.kind, e.actor, e.node_id])).toEqual([
      [1, '1', 'wf-1', 'WORKFLOW_STARTED', 'planner', null],
      [2, '2', 'wf-1', 'STEP_STARTED', 'coder', 'build'],
      [3, '3', 'wf-1', 'COMPONENT_STARTED', null, 'api'],
      [4, '4', 'wf-2', 'WORKFLOW_FAILED', null, null],
    ]);
    // Timestamps in SQLite's "YYYY-MM-DD HH:MM:SS" form still filter by ISO bounds.
    expect(l.page({ query: { time_from: events[1]!.time!.replace(' ', 'T') + 'Z' } }).events.map((e) => e.offset)).toEqual([2, 3, 4]);
    expect(l.stats()).toMatchObject({ layout: 'supervisor', events: 4, runs: 2 });
    l.close();
    expect(fingerprint(dir)).toEqual(before);
  });
});

describe('session_events layout (seeds/002)', () => {
  it('maps session_id to runs and keeps the per-session seq', () => {
    const file = path.join(dir, 'app.db');
    writeSessionEvents(file, [
      { session_id: 's1', type: 'agent_start' },
      { session_id: 's2', type: 'interview_question', payload: { question: 'What is your product about?' } },
      { session_id: 's1', type: 'task_started', payload: { task_id: 't1' } },
      { session_id: 's1', type: 'task_failed', payload: { task_id: 't1', error: 'x' } },
    ]);
    const before = fingerprint(dir);
    const l = open(file);
    expect(l.source.layout).toBe('session_events');
    expect(l.page().events.map((e) => [e.run_id, e.seq, e.kind, e.actor])).toEqual([
      ['s1', 1, 'agent_start', 'session'],
      ['s2', 1, 'interview_question', 'session'],
      ['s1', 2, 'task_started', 'session'],
      ['s1', 3, 'task_failed', 'session'],
    ]);
    expect(l.page({ query: { runs: ['s1'], since_seq: 1 } }).events.map((e) => e.seq)).toEqual([2, 3]);
    l.close();
    expect(fingerprint(dir)).toEqual(before);
  });
});

describe('JSONL store (seeds/000)', () => {
  it('opens a folder of streams with state.db beside it, merges by time, and never writes into it', () => {
    const store = path.join(dir, 'data');
    const events = path.join(store, 'events');
    fs.mkdirSync(events, { recursive: true });
    fs.writeFileSync(path.join(events, 'run-a.jsonl'), seedLine('run-a', 'run.started', { workflow_id: 'wf' }, 100) + seedLine('run-a', 'node.started', { node_id: 'n1' }, 103));
    fs.writeFileSync(path.join(events, 'run-b.jsonl'), seedLine('run-b', 'run.started', { note: 'Überprüfung 处理' }, 101) + seedLine('run-b', 'run.completed', {}, 104));
    writeStateDb(path.join(store, 'state.db'), [['run-a', 'wf', '1', 'running']], []);
    const before = { ...fingerprint(events), ...fingerprint(store) };
    const l = open(events);
    expect(l.source.layout).toBe('jsonl');
    const stored = l.storedState();
    expect(stored?.file).toBe(path.join(store, 'state.db'));
    stored?.close();
    const page = l.page({ payload: 'full' });
    expect(page.events.map((e) => [e.run_id, e.kind, e.seq])).toEqual([
      ['run-a', 'run.started', 1],
      ['run-b', 'run.started', 1],
      ['run-a', 'node.started', 2],
      ['run-b', 'run.completed', 2],
    ]);
    expect(page.events[0]!.id).toBe('run-a:1');
    expect(page.events[0]!.time).toBe(new Date(100_000).toISOString());
    expect(JSON.parse(page.events[1]!.payload)).toEqual({ note: 'Überprüfung 处理' });
    l.close();
    expect({ ...fingerprint(events), ...fingerprint(store) }).toEqual(before);
    expect(fs.readdirSync(events).sort()).toEqual(['run-a.jsonl', 'run-b.jsonl']);
    expect(fs.readdirSync(cacheDir).some((f) => f.endsWith('.jsonl.sqlite'))).toBe(true);
  });

  it('opens a single .jsonl file in line order', () => {
    const file = path.join(dir, 'one.jsonl');
    fs.writeFileSync(file, seedLine('s', 'b', {}, 2) + seedLine('s', 'a', {}, 1));
    const l = open(file);
    expect(l.page().events.map((e) => e.kind)).toEqual(['b', 'a']);
    l.close();
  });
});

describe('mapped tables', () => {
  function writeCustom(file: string) {
    const db = new Database(file);
    db.exec('CREATE TABLE audit_log (pk INTEGER PRIMARY KEY, job TEXT, what TEXT, at_ms INTEGER, body TEXT, who TEXT); CREATE TABLE other (x)');
    const ins = db.prepare('INSERT INTO audit_log (job, what, at_ms, body, who) VALUES (?, ?, ?, ?, ?)');
    ins.run('j1', 'job.started', 1_700_000_000_000, '{"a":1}', 'cron');
    ins.run('j1', 'job.failed', 1_700_000_001_000, '{"error":"disk full"}', 'cron');
    db.close();
  }

  it('rejects an unrecognised file, listing its tables and columns and why none is an event log', () => {
    const file = path.join(dir, 'custom.db');
    writeCustom(file);
    expectError(() => open(file), 'unrecognised', 'audit_log(pk, job, what, at_ms, body, who)', 'other(x)', 'no table has columns for a run and a kind', file);
  });

  it('reads through an explicit mapping, with unix-millisecond times', () => {
    const file = path.join(dir, 'custom.db');
    writeCustom(file);
    const before = fingerprint(dir);
    const l = open(file, { table: 'audit_log', order: 'pk', run: 'job', kind: 'what', time: 'at_ms', time_format: 'unix_ms', payload: 'body', actor: 'who' });
    expect(l.source.layout).toBe('mapped');
    const events = l.page().events;
    expect(events.map((e) => [e.offset, e.run_id, e.kind, e.actor, e.time])).toEqual([
      [1, 'j1', 'job.started', 'cron', '2023-11-14T22:13:20.000Z'],
      [2, 'j1', 'job.failed', 'cron', '2023-11-14T22:13:21.000Z'],
    ]);
    expect(l.page({ query: { time_from: '2023-11-14T22:13:20.500Z' } }).events.map((e) => e.offset)).toEqual([2]);
    expect(() => l.append([{ run_id: 'x', kind: 'y' }])).toThrow(/canonical/);
    l.close();
    expect(fingerprint(dir)).toEqual(before);
  });

  it('names a mapped column that does not exist', () => {
    const file = path.join(dir, 'custom.db');
    writeCustom(file);
    expectError(() => open(file, { table: 'audit_log', order: 'pk', run: 'nope', kind: 'what' }), 'invalid_argument', 'nope', 'its columns: pk, job');
    expectError(() => open(file, { table: 'missing', order: 'pk', run: 'job', kind: 'what' }), 'invalid_argument', 'missing');
  });
});

describe('bad inputs', () => {
  it('gives a clear, typed error for each, naming the file', () => {
    const missing = path.join(dir, 'missing.db');
    expectError(() => open(missing), 'not_found', missing);

    const text = path.join(dir, 'notes.db');
    fs.writeFileSync(text, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    expectError(() => open(text), 'not_a_ledger', text);

    const empty = path.join(dir, 'empty.db');
    new Database(empty).close();
    expectError(() => open(empty), 'not_a_ledger', empty);

    const corrupt = path.join(dir, 'corrupt.db');
    writeSeed004(corrupt, Array.from({ length: 2000 }, (_, i) => ({ id: `e${i}`, run_id: `r${i % 7}`, kind: 'k', payload: { pad: 'x'.repeat(200) } })));
    const bytes = fs.readFileSync(corrupt);
    bytes.fill(0xa5, 4096 * 3, 4096 * 40);
    fs.writeFileSync(corrupt, bytes);
    fs.rmSync(`${corrupt}-wal`, { force: true });
    fs.rmSync(`${corrupt}-shm`, { force: true });
    expect(() => {
      const l = open(corrupt);
      try {
        l.stats();
      } finally {
        l.close();
      }
    }).toThrow(expect.objectContaining({ code: 'corrupt', message: expect.stringContaining(corrupt) }));

    const folder = path.join(dir, 'no-jsonl');
    fs.mkdirSync(folder);
    expectError(() => open(folder), 'not_a_ledger', 'no .jsonl files', folder);
  });

  it('maps the errno of an unreadable file to a permission error naming it', () => {
    // Tests run as root, which reads any file, so the errno is given directly.
    const err = fsError(Object.assign(new Error('EACCES'), { code: 'EACCES' }), '/x/ledger.db');
    expect(err).toMatchObject({ code: 'permission', message: 'permission denied (/x/ledger.db)' });
  });
});
