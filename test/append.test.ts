import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { SEED_004_DDL, seedLine, tempDir, writeSeed004 } from './fixtures.ts';

let dir: string;
let file: string;
const cacheDir = () => path.join(dir, 'cache');
beforeEach(() => {
  dir = tempDir();
  file = path.join(dir, 'ledger.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fresh = () => {
  createCanonical(file);
  return Ledger.open(file, { cacheDir: cacheDir() });
};
const all = (l: Ledger) => [...l.iterate()];

describe('append', () => {
  it('assigns offsets and a gap-free seq per run, and fills defaults', () => {
    const l = fresh();
    const res = l.append([
      { id: 'a', run_id: 'r1', kind: 'run.started', payload: { workflow_id: 'wf' } },
      { id: 'b', run_id: 'r2', kind: 'run.started' },
      { id: 'c', run_id: 'r1', kind: 'node.started', actor: 'worker', created_at: '2026-03-01T00:00:00Z' },
    ]);
    expect(res).toMatchObject({ appended: 3, duplicates: 0 });
    expect(res.results).toEqual([
      { id: 'a', offset: 1, seq: 1, status: 'appended' },
      { id: 'b', offset: 2, seq: 1, status: 'appended' },
      { id: 'c', offset: 3, seq: 2, status: 'appended' },
    ]);
    l.append([{ id: 'd', run_id: 'r1', kind: 'node.completed' }]);
    const events = all(l);
    expect(events.map((e) => [e.id, e.run_id, e.seq])).toEqual([['a', 'r1', 1], ['b', 'r2', 1], ['c', 'r1', 2], ['d', 'r1', 3]]);
    expect(events[1]!.actor).toBe('system');
    expect(events[2]!.time).toBe('2026-03-01T00:00:00Z');
    // Events without an id get a time-ordered one.
    const gen = l.append([{ run_id: 'r3', kind: 'x' }]).results[0]!;
    expect(gen.id).toMatch(/^[0-9a-f-]{36}$/);
    l.close();
  });

  it('is idempotent by id: a duplicate is reported, not re-inserted, and takes no seq', () => {
    const l = fresh();
    l.append([{ id: 'a', run_id: 'r1', kind: 'k' }]);
    const res = l.append([
      { id: 'a', run_id: 'r1', kind: 'k', payload: { changed: true } },
      { id: 'b', run_id: 'r1', kind: 'k' },
      { id: 'b', run_id: 'r1', kind: 'k' },
    ]);
    expect(res.results).toEqual([
      { id: 'a', status: 'duplicate' },
      { id: 'b', offset: 2, seq: 2, status: 'appended' },
      { id: 'b', status: 'duplicate' },
    ]);
    expect(res).toMatchObject({ appended: 1, duplicates: 2 });
    expect(all(l).map((e) => [e.id, e.seq, e.payload])).toEqual([['a', 1, '{}'], ['b', 2, '{}']]);
    l.close();
  });

  it('reports where each event of a big batch landed, duplicates among them, as the ledger holds them', () => {
    const l = fresh();
    l.append([{ id: 'e5', run_id: 'r0', kind: 'k' }]);
    // 100 events over three runs, two of them already there or repeated: several 32-row statements and a remainder.
    const batch = Array.from({ length: 100 }, (_, i) => ({ id: i === 50 ? 'e7' : `e${i}`, run_id: `r${i % 3}`, kind: 'k', payload: { i } }));
    const res = l.append(batch);
    expect(res).toMatchObject({ appended: 98, duplicates: 2 });
    expect(res.results.filter((r) => r.status === 'duplicate').map((r) => r.id)).toEqual(['e5', 'e7']);
    const stored = new Map(all(l).map((e) => [e.id, e]));
    for (const r of res.results) {
      if (r.status !== 'appended') continue;
      expect([stored.get(r.id)!.offset, stored.get(r.id)!.seq]).toEqual([r.offset, r.seq]);
    }
    expect(stored.get('e6')!.payload).toBe('{"i":6}');
    expect([...stored.values()].map((e) => e.offset)).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    l.close();
  });

  it('appends to a canonical table made without AUTOINCREMENT, a duplicate spending no offset there either', () => {
    const db = new Database(file);
    db.exec(SEED_004_DDL.replace(' AUTOINCREMENT', ''));
    db.close();
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const res = l.append([
      { id: 'a', run_id: 'r', kind: 'k' },
      { id: 'a', run_id: 'r', kind: 'k' },
      { id: 'b', run_id: 'r', kind: 'k' },
    ]);
    expect(res.results).toEqual([
      { id: 'a', offset: 1, seq: 1, status: 'appended' },
      { id: 'a', status: 'duplicate' },
      { id: 'b', offset: 2, seq: 2, status: 'appended' },
    ]);
    l.close();
  });

  it('names the bad event and field, and writes nothing of a bad batch', () => {
    const l = fresh();
    expect(() => l.append([{ id: 'ok', run_id: 'r', kind: 'k' }, { id: 'bad', kind: 'k' }])).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/event 2 \(id bad\): run_id: .*\(.*ledger\.db\)/) }),
    );
    expect(() => l.append([{ run_id: 'r', kind: 'k', payload: [1, 2] }])).toThrow(/event 1: payload/);
    expect(() => l.append([{ run_id: 'r', kind: 'k', colour: 'red' }])).toThrow(/colour/);
    expect(() => l.append([{ run_id: 'r', kind: 'k', created_at: 'yesterday' }])).toThrow(/created_at: expected an ISO-8601 time/);
    expect(all(l)).toEqual([]);
    l.close();
  });

  it('rolls back the whole batch when the database refuses one row', () => {
    const l = fresh();
    const db = new Database(file);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    db.close();
    expect(() => l.append([{ id: 'a', run_id: 'r', kind: 'ok' }, { id: 'b', run_id: 'r', kind: 'ok' }, { id: 'c', run_id: 'r', kind: 'boom' }])).toThrow(/refused/);
    expect(all(l)).toEqual([]);
    expect(l.append([{ id: 'a', run_id: 'r', kind: 'ok' }]).results[0]).toMatchObject({ seq: 1, offset: 1 });
    l.close();
  });

  it('refuses a payload over the limit with its size, and the limit is configurable', () => {
    const l = fresh();
    const big = { blob: 'x'.repeat(1024 * 1024 + 10) };
    expect(() => l.append([{ id: 'big', run_id: 'r', kind: 'k', payload: big }])).toThrow(
      expect.objectContaining({ code: 'payload_too_large', message: expect.stringMatching(/event 1 \(id big\): payload is 1,048,597 bytes \(1 MiB\), over the limit of 1,048,576 bytes \(1 MiB\)/) }),
    );
    expect(() => l.append([{ run_id: 'r', kind: 'k', payload: { s: 'y'.repeat(200) } }], { maxPayloadBytes: 100 })).toThrow(/over the limit of 100 bytes \(100 B\)/);
    expect(l.append([{ run_id: 'r', kind: 'k', payload: big }], { maxPayloadBytes: 4 << 20 }).appended).toBe(1);
    l.close();
  });

  it('refuses to append to a non-canonical or read-only ledger', () => {
    const l = fresh();
    l.close();
    fs.chmodSync(file, 0o444);
    if (process.getuid?.() !== 0) {
      const ro = Ledger.open(file, { cacheDir: cacheDir() });
      expect(() => ro.append([{ run_id: 'r', kind: 'k' }])).toThrow(expect.objectContaining({ code: 'read_only' }));
      ro.close();
    }
    const jsonl = path.join(dir, 'x.jsonl');
    fs.writeFileSync(jsonl, seedLine('s', 'e', {}, 1));
    const j = Ledger.open(jsonl, { cacheDir: cacheDir() });
    expect(() => j.append([{ run_id: 'r', kind: 'k' }])).toThrow(expect.objectContaining({ code: 'read_only', message: expect.stringContaining('jsonl') }));
    j.close();
  });

  it('mirrors appended events into a JSONL store that opens as the same ledger', () => {
    const l = fresh();
    const mirror = path.join(dir, 'events');
    l.append(
      [
        { id: 'a', run_id: 'run/1', kind: 'run.started', payload: { msg: '你好 ✅' } },
        { id: 'b', run_id: 'run-2', kind: 'run.started' },
        { id: 'c', run_id: 'run/1', kind: 'run.completed' },
      ],
      { mirrorDir: mirror },
    );
    l.append([{ id: 'a', run_id: 'run/1', kind: 'run.started' }], { mirrorDir: mirror });
    expect(fs.readdirSync(mirror).sort()).toEqual(['run-2.jsonl', 'run_1.jsonl']);
    const lines = fs.readFileSync(path.join(mirror, 'run_1.jsonl'), 'utf8').trim().split('\n').map((s) => JSON.parse(s));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ stream: 'run/1', event: 'run.started', payload: { msg: '你好 ✅' }, id: 'a', seq: 1 });
    expect(typeof lines[0].ts).toBe('number');
    const m = Ledger.open(mirror, { cacheDir: cacheDir() });
    expect(all(m).map((e) => [e.id, e.run_id, e.seq]).sort()).toEqual(all(l).map((e) => [e.id, e.run_id, e.seq]).sort());
    m.close();
    l.close();
  });
});

describe('a ledger written by the seed system', () => {
  it('gains a seq column on first append and stays appendable by the seed code', () => {
    writeSeed004(file, [
      { id: 'p1', run_id: 'r1', kind: 'run.started' },
      { id: 'p2', run_id: 'r1', kind: 'node.started' },
    ]);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    expect(l.source.hasSeq).toBe(false);
    expect(() => l.page({ query: { runs: ['r1'], since_seq: 0 } })).toThrow(/needs a seq column/);
    l.append([{ id: 'n1', run_id: 'r1', kind: 'node.completed' }]);
    // The seed's own Python code appends next, with its own INSERT (no seq).
    execFileSync('python3', [
      '-c',
      `import sqlite3, json
c = sqlite3.connect(${JSON.stringify(file)}); c.execute("PRAGMA journal_mode=WAL")
c.execute("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", ("p3", "r1", 1, "run.completed", "py", json.dumps({"ok": True}), "2026-02-17T10:05:00+00:00", 1, None, None, None))
c.commit()
print(c.execute("SELECT count(*) FROM events").fetchone()[0])`,
    ]);
    l.append([{ id: 'n2', run_id: 'r1', kind: 'note' }]);
    // A seq is the event's position in its run, the seed's rows (which store none) counted too.
    expect(all(l).map((e) => [e.id, e.seq])).toEqual([['p1', null], ['p2', null], ['n1', 3], ['p3', null], ['n2', 5]]);
    expect(l.page({ query: { runs: ['r1'], since_seq: 3 } }).events.map((e) => e.id)).toEqual(['p3', 'n2']);
    l.close();
  });
});

describe('two processes appending to one file at once', () => {
  it('keeps every event, and seq unique and gap-free per run', async () => {
    createCanonical(file);
    const worker = path.join(import.meta.dirname, 'helpers/append-worker.ts');
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [worker, file, name, '150', '10'], { stdio: ['ignore', 'inherit', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${err}`))));
      });
    await Promise.all([run('w1'), run('w2')]);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const events = all(l);
    expect(events).toHaveLength(3000);
    expect(new Set(events.map((e) => e.id)).size).toBe(3000);
    const byRun = new Map<string, Array<number | string>>();
    for (const e of events) byRun.set(e.run_id, [...(byRun.get(e.run_id) ?? []), e.seq!]);
    for (const [, seqs] of byRun) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // Both writers really interleaved.
    const writers = events.map((e) => JSON.parse(e.payload).writer as string);
    const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length;
    expect(switches).toBeGreaterThan(1);
    l.close();
  });
});
