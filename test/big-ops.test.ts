// Snapshots, live tail and full-text search, with a real second process writing.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEvent, Query } from '../src/shared/ledger.ts';
import { LedgerError } from '../src/shared/errors.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { fullSnapshot, partialSnapshot } from '../src/main/engine/copy/snapshot.ts';
import { Follower } from '../src/main/engine/derive/tail.ts';
import { TextIndex } from '../src/main/engine/derive/text-index.ts';
import { View } from '../src/main/engine/read/view.ts';
import { fingerprint, seedLine, tempDir, writeSupervisor } from './fixtures.ts';

let dir: string;
let cacheDir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = tempDir();
  cacheDir = path.join(dir, 'cache');
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

const WRITER = path.join(import.meta.dirname, 'helpers/writer.ts');
/** Starts a writer process and resolves once it has committed its first batch. */
function startWriter(file: string, batches: number, size: number, pauseMs: number, mode = ''): Promise<{ done: Promise<void> }> {
  const child = spawn(process.execPath, [WRITER, file, String(batches), String(size), String(pauseMs), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 || code === null ? resolve() : reject(new Error(`writer exited ${code}: ${err}`)))));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve({ done }));
    child.once('exit', (code) => code && reject(new Error(`writer exited ${code}: ${err}`)));
  });
}

const open = (p: string) => Ledger.open(p, { cacheDir });
const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A snapshot file passes integrity_check, holds offsets 1..before gap-free and no torn writer batch; returns its events. */
function checkSnapshot(dest: string, before: number): number {
  const copy = new Database(dest, { readonly: true });
  expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
  const rows = copy.prepare('SELECT offset, id, seq, run_id FROM events ORDER BY offset').all() as Array<{ offset: number; id: string; seq: number; run_id: string }>;
  copy.close();
  expect(rows.length).toBeGreaterThanOrEqual(before);
  expect(rows.slice(0, before).map((r) => r.offset)).toEqual(Array.from({ length: before }, (_, i) => i + 1));
  // No torn batch: the writer's events in the copy have gap-free seqs per run.
  const bySeq = new Map<string, number[]>();
  for (const r of rows) if (r.run_id.startsWith('live-')) bySeq.set(r.run_id, [...(bySeq.get(r.run_id) ?? []), r.seq]);
  for (const seqs of bySeq.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  return rows.length;
}

describe('full snapshot', () => {
  it('is consistent while another process appends and holds everything committed before it began', async () => {
    const file = path.join(dir, 'live.db');
    generateLedger(file, { events: 150_000, seed: 2 });
    const writer = await startWriter(file, 400, 20, 5);
    const l = open(file);
    const before = l.lastOffset()!;
    const dest = path.join(dir, 'snap.db');
    let steps = 0;
    const res = await fullSnapshot(l, dest, { onProgress: () => steps++ });
    expect(steps).toBeGreaterThan(1);
    const events = checkSnapshot(dest, before);
    expect(res.bytes).toBeGreaterThan(0);
    expect(open(dest).stats().events).toBe(events);
    l.close();
    await writer.done;
  });

  it('never makes a writer wait on a WAL ledger', async () => {
    const file = path.join(dir, 'l.db');
    generateLedger(file, { events: 50_000, seed: 3 });
    const l = open(file);
    // A writer that gives up at once if locked out commits while the snapshot holds its read transaction.
    const w = new Database(file, { timeout: 0 });
    const write = () => w.prepare("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES (?, 'probe', 0, 'probe', 't', '{}', '', ?)");
    let n = 0;
    await fullSnapshot(l, path.join(dir, 'snap.db'), { onProgress: () => write().run(`probe-${++n}`, n) });
    expect(n).toBeGreaterThan(1);
    w.close();
    l.close();
  });

  it('stays consistent while checkpoints write pages back into the file during the copy', async () => {
    const file = path.join(dir, 'live.db');
    generateLedger(file, { events: 100_000, seed: 4 });
    const writer = await startWriter(file, 300, 50, 2, 'checkpoint');
    const l = open(file);
    for (let i = 0; i < 6; i++) {
      const before = l.lastOffset()!;
      const dest = path.join(dir, `snap-${i}.db`);
      await fullSnapshot(l, dest);
      checkSnapshot(dest, before);
    }
    l.close();
    await writer.done;
  });

  it('copies a rollback-journal ledger while its writer waits, then lets it go on', async () => {
    const file = path.join(dir, 'rollback.db');
    generateLedger(file, { events: 100_000, seed: 6 });
    const db = new Database(file);
    db.pragma('journal_mode = DELETE');
    db.close();
    const writer = await startWriter(file, 200, 20, 2, 'rollback');
    const l = open(file);
    const before = l.lastOffset()!;
    const dest = path.join(dir, 'snap.db');
    expect((await fullSnapshot(l, dest)).walFrames).toBe(0);
    l.close();
    checkSnapshot(dest, before);
    await writer.done;
    const after = new Database(file, { readonly: true });
    expect(after.prepare("SELECT count(*) FROM events WHERE kind = 'tick'").pluck().get()).toBe(200 * 20);
    after.close();
  });

  it('refuses to copy a file put in the open ledger\'s place, which is not the ledger on screen', async () => {
    const file = path.join(dir, 'swapped.db');
    generateLedger(file, { events: 5_000, seed: 8 });
    const l = open(file);
    const other = path.join(dir, 'other.db');
    generateLedger(other, { events: 1_000, seed: 9 });
    fs.renameSync(other, file);
    const dest = path.join(dir, 'swapped-snap.db');
    await expect(fullSnapshot(l, dest)).rejects.toMatchObject({ code: 'source_changed', message: expect.stringContaining('replaced since it was opened') });
    expect(fs.existsSync(dest)).toBe(false);
    // Reopened, the ledger is the new file, and its snapshot is taken.
    l.close();
    const again = open(file);
    await fullSnapshot(again, dest);
    again.close();
    const copy = new Database(dest, { readonly: true });
    expect(copy.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1_000);
    copy.close();
  });

  it('includes transactions that are still only in the WAL, and leaves the source as it was', async () => {
    const file = path.join(dir, 'wal.db');
    generateLedger(file, { events: 20_000, seed: 5 });
    // A writer that never checkpoints and stays open: its last commits exist only as WAL frames.
    const w = new Database(file);
    w.pragma('wal_autocheckpoint = 0');
    const insert = w.prepare("INSERT INTO events (offset, id, run_id, turn, kind, actor, payload, created_at, schema_version, seq) VALUES (?, ?, 'wal-run', 0, 'note', 'a', ?, '2026-01-01T00:00:00Z', 1, ?)");
    w.transaction(() => {
      for (let i = 1; i <= 3000; i++) insert.run(20_000 + i, `wal-${i}`, JSON.stringify({ i, text: 'x'.repeat(200) }), i);
    })();
    w.pragma('wal_checkpoint(PASSIVE)');
    w.transaction(() => {
      for (let i = 3001; i <= 4000; i++) insert.run(20_000 + i, `wal-${i}`, JSON.stringify({ i }), i);
    })();
    const before = fingerprint(file);
    const l = open(file);
    const dest = path.join(dir, 'snap.db');
    // The last transaction came across as WAL frames, replayed into the copy.
    expect((await fullSnapshot(l, dest)).walFrames).toBeGreaterThan(0);
    l.close();
    expect(fs.existsSync(`${dest}-wal`)).toBe(false);
    expect(checkSnapshot(dest, 24_000)).toBe(24_000);
    expect(fingerprint(file)).toEqual(before);
    w.close();
  });

  it('leaves nothing under the destination name when cancelled, and refuses to overwrite', async () => {
    const file = path.join(dir, 'l.db');
    generateLedger(file, { events: 60_000 });
    const l = open(file);
    const ctl = new AbortController();
    const dest = path.join(dir, 'snap.db');
    await expect(fullSnapshot(l, dest, { signal: ctl.signal, onProgress: () => ctl.abort() })).rejects.toMatchObject({ code: 'cancelled' });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('snap'))).toEqual([]);
    fs.writeFileSync(dest, 'keep');
    await expect(fullSnapshot(l, dest)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(fs.readFileSync(dest, 'utf8')).toBe('keep');
    l.close();
  });
});

describe('partial snapshot', () => {
  it('keeps offsets, ids, seq and payload bytes of the events up to an offset and of chosen runs', () => {
    const file = path.join(dir, 'l.db');
    generateLedger(file, { events: 5000, runs: 20, seed: 8 });
    const before = fingerprint(file);
    const l = open(file);
    const all = [...l.iterate()];
    const runs = [all[0]!.run_id, all[300]!.run_id];
    const cut = all[3000]!.offset;
    const dest = path.join(dir, 'part.db');
    expect(partialSnapshot(l, dest, { upToOffset: cut, runs })).toEqual({ events: all.filter((e) => e.offset <= cut && runs.includes(e.run_id)).length });
    const p = open(dest);
    expect(p.source.layout).toBe('canonical');
    expect([...p.iterate()]).toEqual(all.filter((e) => e.offset <= cut && runs.includes(e.run_id)));
    const upTo = path.join(dir, 'upto.db');
    partialSnapshot(l, upTo, { upToOffset: cut });
    const u = open(upTo);
    expect([...u.iterate()]).toEqual(all.slice(0, 3001));
    // It is a canonical ledger like any other: appendable, seq continuing.
    const next = u.append([{ run_id: all[0]!.run_id, kind: 'note' }]).results[0]!;
    expect(next).toMatchObject({ status: 'appended', seq: all.slice(0, 3001).filter((e) => e.run_id === all[0]!.run_id).length + 1 });
    for (const x of [l, p, u]) x.close();
    expect(fingerprint(file)).toEqual(before);
  });

  it('turns another layout into a canonical ledger with a seq per run', () => {
    const sup = path.join(dir, 'sup.db');
    writeSupervisor(sup, [
      { workflow_id: 'a', event_type: 'WORKFLOW_STARTED' },
      { workflow_id: 'b', event_type: 'WORKFLOW_STARTED' },
      { workflow_id: 'a', event_type: 'STEP_STARTED', step_id: 's' },
    ]);
    const l = open(sup);
    partialSnapshot(l, path.join(dir, 'c.db'), { runs: ['a'] });
    const c = open(path.join(dir, 'c.db'));
    expect([...c.iterate()].map((e) => [e.offset, e.id, e.run_id, e.seq, e.kind])).toEqual([
      [1, '1', 'a', 1, 'WORKFLOW_STARTED'],
      [3, '3', 'a', 2, 'STEP_STARTED'],
    ]);
    l.close();
    c.close();
  });
});

describe('live tail', () => {
  async function follow(file: string, expected: number, mode = '', intervalMs = 50) {
    const l = open(file);
    const got: LedgerEvent[] = [];
    const errors: LedgerError[] = [];
    const f = new Follower(l, { onEvents: (es) => got.push(...es), onError: (e) => errors.push(e), intervalMs }).start();
    const writer = await startWriter(file, 30, 7, 10, mode);
    await writer.done;
    await until(() => got.length >= expected || errors.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    f.stop();
    l.close();
    expect(errors).toEqual([]);
    return got;
  }

  it('sees every event another process appends to a SQLite ledger, in order, once', async () => {
    const file = path.join(dir, 'l.db');
    createCanonical(file);
    const got = await follow(file, 210);
    expect(got.map((e) => JSON.parse(e.payload).n)).toEqual(Array.from({ length: 210 }, (_, i) => i));
    const offsets = got.map((e) => e.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('sees every line appended to a JSONL store, holding a torn line until it is finished', async () => {
    const store = path.join(dir, 'events');
    fs.mkdirSync(store);
    fs.writeFileSync(path.join(store, 'live.jsonl'), '');
    const got = await follow(store, 210, 'jsonl');
    expect(got.map((e) => JSON.parse(e.payload).n)).toEqual(Array.from({ length: 210 }, (_, i) => i));

    const l = open(store);
    const more: LedgerEvent[] = [];
    const f = new Follower(l, { onEvents: (es) => more.push(...es), onError: () => {} });
    fs.appendFileSync(path.join(store, 'live.jsonl'), '{"ts": 5, "stream": "live", "event": "half');
    f.poll();
    expect(more).toEqual([]);
    fs.appendFileSync(path.join(store, 'live.jsonl'), '", "payload": {"n": 999}}\n');
    f.poll();
    expect(more.map((e) => e.kind)).toEqual(['half']);
    f.stop();
    l.close();
  });

  it('hears another process commit without waiting for the interval poll (a watch on the ledger\'s folder)', async () => {
    const HOUR = 3_600_000; // the interval poll never comes within the test
    const file = path.join(dir, 'watched.db');
    createCanonical(file);
    const got = await follow(file, 210, '', HOUR);
    expect(got.map((e) => JSON.parse(e.payload).n)).toEqual(Array.from({ length: 210 }, (_, i) => i));
    const store = path.join(dir, 'watched');
    fs.mkdirSync(store);
    fs.writeFileSync(path.join(store, 'live.jsonl'), '');
    const lines = await follow(store, 210, 'jsonl', HOUR);
    expect(lines.map((e) => JSON.parse(e.payload).n)).toEqual(Array.from({ length: 210 }, (_, i) => i));
  });

  it('says so when the followed file is deleted, replaced or cut short', () => {
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      ['deleted', (f) => fs.rmSync(f), /deleted/],
      ['replaced', (f) => { fs.renameSync(f, `${f}.old`); generateLedger(f, { events: 10 }); }, /replaced/],
    ];
    for (const [name, act, message] of cases) {
      const file = path.join(dir, `${name}.db`);
      generateLedger(file, { events: 100 });
      const l = open(file);
      const errors: LedgerError[] = [];
      const f = new Follower(l, { onEvents: () => {}, onError: (e) => errors.push(e) });
      act(file);
      f.poll();
      expect(errors.map((e) => [e.code, e.message])).toEqual([['source_changed', expect.stringMatching(message)]]);
      l.close();
    }
    const store = path.join(dir, 'cut');
    fs.mkdirSync(store);
    fs.writeFileSync(path.join(store, 's.jsonl'), seedLine('s', 'a', {}, 1) + seedLine('s', 'b', {}, 2));
    const l = open(store);
    const errors: LedgerError[] = [];
    const f = new Follower(l, { onEvents: () => {}, onError: (e) => errors.push(e) });
    fs.writeFileSync(path.join(store, 's.jsonl'), seedLine('s', 'a', {}, 1));
    f.poll();
    expect(errors.map((e) => e.code)).toEqual(['source_changed']);
    l.close();
  });
});

describe('full-text search', () => {
  it('finds substrings (Chinese and escaped text included) through the index, combined with other filters, as a scan would', () => {
    const file = path.join(dir, 'l.db');
    generateLedger(file, { events: 8000, runs: 30, seed: 6 });
    const l = open(file);
    const index = new TextIndex(l);
    expect(index.pending()).toBe(8000);
    const reports: number[] = [];
    index.build({ onProgress: (p) => reports.push(p.done) });
    expect(reports.at(-1)).toBe(8000);
    expect(index.pending()).toBe(0);
    const all = [...l.iterate()];
    const cases: Array<[string, Query]> = [
      ['chunk size', {}],
      ['处理用户请求', {}],
      ['ユーザー', { kinds: ['log'] }],
      ['UPSTREAM', { actors: ['worker'] }],
      ['quarterly revenue', { runs: [all[0]!.run_id] }],
    ];
    for (const [text, query] of cases) {
      const res = index.search({ query: { ...query, text }, limit: 10_000 });
      expect(res.indexed).toBe(true);
      const scan = l.page({ query: { ...query, text }, limit: 10_000 });
      expect(res.events.map((e) => e.offset)).toEqual(scan.events.map((e) => e.offset));
      expect(res.events.length).toBeGreaterThan(0);
    }
    // A view of a text filter numbers its rows through the index, as a scan would.
    expect(index.useFor('upstream did')).toMatchObject({ ftsSchema: 'li_fts' });
    const viaIndex = new View(l, { text: 'upstream did' }, (t) => index.useFor(t));
    const byScan = new View(l, { text: 'upstream did' });
    expect(viaIndex.total).toBe(byScan.total);
    expect(viaIndex.rows(0, 500).map((e) => e.offset)).toEqual(byScan.rows(0, 500).map((e) => e.offset));
    // Two characters are too few for trigrams: the search scans instead.
    expect(index.search({ query: { text: '处理' }, limit: 5 }).indexed).toBe(false);
    // New events are indexed on the next search.
    l.append([{ id: 'new', run_id: 'x', kind: 'log', payload: { message: 'zebra-crossing-42' } }]);
    expect(index.search({ query: { text: 'zebra-crossing' } }).events.map((e) => e.id)).toEqual(['new']);
    index.close();
    // A second session reuses the index on disk.
    const again = new TextIndex(l);
    expect(again.pending()).toBe(0);
    again.close();
    l.close();
  });

  it('answers by scanning, with progress, until the index is ready', () => {
    const file = path.join(dir, 'l.db');
    generateLedger(file, { events: 60_000, seed: 6 });
    const l = open(file);
    const index = new TextIndex(l);
    const progress: number[] = [];
    const res = index.search({ query: { text: 'chunk size must' }, limit: 5 }, { onProgress: (p) => progress.push(p.done) });
    expect(res.indexed).toBe(false);
    expect(res.events.map((e) => e.offset)).toEqual(l.page({ query: { text: 'chunk size must' }, limit: 5 }).events.map((e) => e.offset));
    expect(progress.length).toBeGreaterThan(0);
    index.close();
    l.close();
  });
});
