import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { describeJsonl, importJsonl, syncJsonlIndex } from '../src/main/engine/jsonl/jsonl-store.ts';
import { exportJsonl } from '../src/main/engine/copy/jsonl-export.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import type { LedgerEvent } from '../src/shared/ledger.ts';
import type { Progress } from '../src/main/engine/base/jobs.ts';
import { LineReader } from '../src/main/engine/format/jsonl-format.ts';
import { OpenFiles } from '../src/main/engine/base/open-files.ts';
import { sampleHash } from '../src/main/engine/base/file-identity.ts';
import { THREAD_FROM_ROWS } from '../src/main/engine/write/bulk-thread.ts';
import { CANONICAL_INDEXES } from '../src/main/engine/format/schema.ts';
import Database from 'better-sqlite3';
import { fingerprint, seedLine, tempDir } from './fixtures.ts';

let dir: string;
let store: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  store = path.join(dir, 'events');
  cacheDir = path.join(dir, 'cache');
  fs.mkdirSync(store);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const kinds = (l: Ledger) => [...l.iterate()].map((e) => e.kind);

describe('JSONL store', () => {
  it('reads lines across buffer refills: a byte-order mark, CRLF, blank lines, multi-byte text, a line longer than the buffer, a torn tail', () => {
    const f = path.join(store, 'a.jsonl');
    const long = 'x'.repeat(50);
    fs.writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`one\r\n\nzwei 处理\n${long}\nlast\ntor`)]));
    // A 4-byte buffer: every line spans refills, the long one grows it.
    const reader = new LineReader(f, 0, 1, { bufferBytes: 4 });
    const lines: Array<[string, number, number]> = [];
    for (let t = reader.next(); t !== null; t = reader.next()) lines.push([t, reader.lineNo, reader.end]);
    const sizes = [3 + 5, 1, Buffer.byteLength('zwei 处理\n'), long.length + 1, 5];
    const ends = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b));
    expect(lines).toEqual([
      ['one', 1, ends[0]],
      ['zwei 处理', 3, ends[2]],
      [long, 4, ends[3]],
      ['last', 5, ends[4]],
    ]);
    expect(reader.result()).toEqual({ end: ends[4], nextLine: 6, tornBytes: 3, notUtf8: [] });
    // Resuming where it stopped finds the tail once it is finished.
    fs.appendFileSync(f, 'n\n');
    const resumed = new LineReader(f, ends[4]!, 6, { bufferBytes: 4 });
    expect([resumed.next(), resumed.lineNo, resumed.next()]).toEqual(['torn', 6, null]);
    // A first line longer than the small first read, with the buffer sizes a merge of many files uses.
    const wide = path.join(store, 'b.jsonl');
    const lines2 = ['y'.repeat(1023), 'z'.repeat(5000), 'w', 'v'.repeat(4097)];
    fs.writeFileSync(wide, `${lines2.join('\n')}\n`);
    for (const size of [4096, 1 << 20]) {
      const r = new LineReader(wide, 0, 1, { bufferBytes: size });
      expect([r.next(), r.next(), r.next(), r.next(), r.next()]).toEqual([...lines2, null]);
    }
  });

  it('reads the file it opened to its end, and stops with a named error where its file is not the one expected or was replaced or deleted after it let the file go', () => {
    const f = path.join(store, 'a.jsonl');
    const g = path.join(store, 'b.jsonl');
    fs.writeFileSync(f, 'first\nsecond\nthird\n');
    fs.writeFileSync(g, 'g1\ng2\ng3\n');
    const replace = (text: string) => {
      fs.writeFileSync(`${f}.new`, text);
      fs.renameSync(`${f}.new`, f);
    };
    const small = { bufferBytes: 8 };
    // Its descriptor held: the lines of the file as it was when opened, none of the replacement's.
    const reader = new LineReader(f, 0, 1, small);
    const statted = fs.statSync(f).ino;
    expect(reader.next()).toBe('first');
    replace('other\nlines\nhere\n');
    expect([reader.next(), reader.next(), reader.next()]).toEqual(['second', 'third', null]);
    // Stat'ed before the read, replaced before the first one: refused at once.
    expect(() => new LineReader(f, 0, 1, { ...small, ino: statted }).next()).toThrow(expect.objectContaining({ code: 'source_changed', file: f }));
    // Two readers sharing room for one descriptor: each refill of one closes the other's file.
    const files = new OpenFiles(1);
    const a = new LineReader(f, 0, 1, { ...small, files });
    const b = new LineReader(g, 0, 1, { ...small, files });
    expect([a.next(), b.next()]).toEqual(['other', 'g1']);
    replace('x\ny\nz\n');
    expect(() => a.next()).toThrow(expect.objectContaining({ code: 'source_changed', file: f }));
    expect(b.next()).toBe('g2');
    fs.rmSync(g);
    const c = new LineReader(f, 0, 1, { ...small, files });
    expect(c.next()).toBe('x');
    expect(() => b.next()).toThrow(expect.objectContaining({ code: 'not_found', file: g }));
    // A reader let go before its end reads no more.
    c.close();
    expect(c.next()).toBeNull();
    files.closeAll();
  });

  const openDescriptors = () => fs.readdirSync('/dev/fd').length;

  it('tells once, at its end, where the last complete line ends, with the file still open; a reader let go early does not', () => {
    const f = path.join(store, 'a.jsonl');
    fs.writeFileSync(f, 'one\ntwo\nthree\ntor');
    const ends: Array<[number, string]> = [];
    const reader = new LineReader(f, 0, 1, { bufferBytes: 4, onEnd: (fd, end) => ends.push([end, fs.readFileSync(fd, 'utf8')]) });
    const lines: Array<string | null> = [];
    for (let i = 0; i < 5; i++) lines.push(reader.next());
    expect(lines).toEqual(['one', 'two', 'three', null, null]);
    // The descriptor is the file's, still open (the reader reads at positions: this reads it from its start).
    expect(ends).toEqual([[14, 'one\ntwo\nthree\ntor']]);
    const early = new LineReader(f, 0, 1, { onEnd: () => ends.push([-1, '']) });
    expect(early.next()).toBe('one');
    early.close();
    expect(early.next()).toBeNull();
    expect(ends).toHaveLength(1);
    // A callback that fails still lets the file go, and is not called again.
    const before = openDescriptors();
    let calls = 0;
    const failing = new LineReader(f, 0, 1, {
      onEnd: () => {
        calls++;
        throw new Error('sample failed');
      },
    });
    expect([failing.next(), failing.next(), failing.next()]).toEqual(['one', 'two', 'three']);
    expect(() => failing.next()).toThrow('sample failed');
    expect(openDescriptors()).toBe(before);
    expect(failing.next()).toBeNull();
    expect(calls).toBe(1);
  });

  it("stores each file's sample of its indexed bytes, as the next sync computes it", () => {
    fs.writeFileSync(path.join(store, 'a.jsonl'), Array.from({ length: 500 }, (_, i) => seedLine('a', 'x', { i, pad: 'p'.repeat(40) }, i + 1)).join(''));
    fs.writeFileSync(path.join(store, 'b.jsonl'), `${seedLine('b', 'y', {}, 1)}{"ts": 2, "stre`);
    fs.writeFileSync(path.join(store, 'c-empty.jsonl'), '');
    // More files than the merge keeps open: each is sampled through its own descriptor as it ends.
    for (let i = 0; i < 70; i++) fs.writeFileSync(path.join(store, `d${String(i).padStart(2, '0')}.jsonl`), seedLine(`d${i}`, 'z', { i }, 3 + i) + seedLine(`d${i}`, 'z', { i }, 1000 + i));
    const res = syncJsonlIndex(describeJsonl(store), cacheDir);
    const db = new Database(res.cacheFile, { readonly: true });
    const stored = db.prepare('SELECT name, indexed_bytes, sample FROM jsonl_files ORDER BY name').all() as Array<{ name: string; indexed_bytes: number; sample: string }>;
    db.close();
    expect(stored.map((s) => path.basename(s.name)).slice(0, 4)).toEqual(['a.jsonl', 'b.jsonl', 'c-empty.jsonl', 'd00.jsonl']);
    expect(stored).toHaveLength(73);
    expect(stored[1]!.indexed_bytes).toBe(seedLine('b', 'y', {}, 1).length);
    expect(stored[2]!.indexed_bytes).toBe(0);
    for (const s of stored) expect(s.sample).toBe(sampleHash(s.name, s.indexed_bytes));
  });

  it('keeps at most as many descriptors open as it is given room for, closing the least recently read first', () => {
    const before = openDescriptors();
    const files = new OpenFiles(8);
    const opened: string[] = [];
    const names = Array.from({ length: 30 }, (_, i) => path.join(store, `s${i}.jsonl`));
    for (const name of names) fs.writeFileSync(name, '{}\n');
    const get = (name: string) => files.get(name, () => opened.push(name));
    names.slice(0, 8).forEach(get);
    // Read again, the first one is now the most recent: the next file closes the second.
    get(names[0]!);
    get(names[8]!);
    expect(opened).toEqual(names.slice(0, 9));
    get(names[0]!);
    get(names[1]!);
    expect(opened.slice(9)).toEqual([names[1]]);
    for (const name of names) get(name);
    expect(openDescriptors() - before).toBe(8);
    // A file missing, or refused by its check, is not kept: the room made for the first stays empty.
    const extra = path.join(store, 'extra.jsonl');
    expect(() => files.get(extra, () => {})).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    fs.writeFileSync(extra, '{}\n');
    expect(() => files.get(extra, () => { throw new Error('refused'); })).toThrow('refused');
    expect(openDescriptors() - before).toBe(7);
    files.closeAll();
    expect(openDescriptors()).toBe(before);
  });

  it('merges lines that interleave across more files than it keeps open, in order, within its descriptors', () => {
    // 300 streams, line k of stream s at offset s + 300 k: with 8-byte reads, every step of the merge refills
    // another file's buffer, and each file is opened again after the 64 read since.
    const streams = 300;
    for (let s = 0; s < streams; s++) {
      const lines = [0, 1, 2].map((k) => JSON.stringify({ ts: 1_767_600_000 + s + streams * k, stream: `run-${s}`, event: 'step', payload: { k }, id: `run-${s}/${k}`, offset: s + 1 + streams * k }));
      fs.writeFileSync(path.join(store, `run-${s}.jsonl`), `${lines.join('\n')}\n`);
    }
    const src = describeJsonl(store);
    const before = openDescriptors();
    const files = new OpenFiles(64);
    const readers = src.files.map((file) => new LineReader(file, 0, 1, { bufferBytes: 8, files }));
    const byName = new Map(src.files.map((file, i) => [path.basename(file, '.jsonl'), readers[i]!]));
    let most = 0;
    for (let k = 0; k < 3; k++)
      for (let s = 0; s < streams; s++) {
        expect((JSON.parse(byName.get(`run-${s}`)!.next()!) as { id: string }).id).toBe(`run-${s}/${k}`);
        most = Math.max(most, openDescriptors() - before);
      }
    expect(most).toBe(64);
    files.closeAll();
    expect(openDescriptors()).toBe(before);
    // The import's merge gives the ledger's order and leaves no descriptor open.
    importJsonl(src, path.join(dir, 'merged.db'));
    expect(openDescriptors()).toBe(before);
    const l = Ledger.open(path.join(dir, 'merged.db'));
    const got = [...l.iterate()].map((e) => e.id);
    l.close();
    expect(got).toEqual([0, 1, 2].flatMap((k) => Array.from({ length: streams }, (_, s) => `run-${s}/${k}`)));
  });

  it('skips a torn last line with a warning and picks it up once its writer finishes it', () => {
    const f = path.join(store, 'run-1.jsonl');
    const torn = '{"ts": 3, "stream": "run-1", "ev';
    fs.writeFileSync(f, seedLine('run-1', 'a', {}, 1) + seedLine('run-1', 'b', {}, 2) + torn);
    const l = Ledger.open(store, { cacheDir });
    expect(kinds(l)).toEqual(['a', 'b']);
    expect(l.warnings).toEqual([`${f}:3: last line is incomplete (${torn.length} bytes, no newline yet); held until its writer finishes it`]);
    expect(l.stats().warnings).toHaveLength(1);
    fs.appendFileSync(f, 'ent": "c", "payload": {}}\n');
    expect(l.refresh()).toBe(1);
    expect(kinds(l)).toEqual(['a', 'b', 'c']);
    expect(l.warnings).toEqual([]);
    expect([...l.iterate()].map((e) => [e.id, e.seq])).toEqual([['run-1:1', 1], ['run-1:2', 2], ['run-1:3', 3]]);
    l.close();
  });

  it('skips bad lines with the file and line named, and keeps every good one', () => {
    const f = path.join(store, 's.jsonl');
    fs.writeFileSync(f, [seedLine('s', 'a', {}, 1), 'not json\n', '[1,2]\n', '{"ts": 1, "payload": {}}\n', '\n', seedLine('s', 'b', {}, 2)].join(''));
    const l = Ledger.open(store, { cacheDir });
    expect(kinds(l)).toEqual(['a', 'b']);
    expect(l.warnings).toEqual([
      expect.stringMatching(new RegExp(`^${f}:2: invalid JSON .*line skipped$`)),
      `${f}:3: not a JSON object; line skipped`,
      `${f}:4: no event kind (a text field "event", "kind", "type", "event_type", "message_type", "name"); line skipped`,
    ]);
    l.close();
  });

  it("gives each file's first good line, which waits for its turn in the merge, the same row as any other: its line's id, its payload as written, one warning for the bad lines before it", () => {
    const a = path.join(store, 'a.jsonl');
    const b = path.join(store, 'b.jsonl');
    fs.writeFileSync(a, ['not json', '{"ts": 3, "event": "a1", "payload": {"n": 1.10,  "big": 12345678901234567890}}', '{"ts": 5, "event": "a2", "payload": {}}', ''].join('\n'));
    fs.writeFileSync(b, ['{"ts": 1, "event": "b1", "payload": {"s": "\\u00e9"}}', '{"ts": 4, "event": "b2", "payload": {}}', ''].join('\n'));
    const want = [
      ['b:1', 'b1', '{"s": "\\u00e9"}'],
      ['a:2', 'a1', '{"n": 1.10,  "big": 12345678901234567890}'],
      ['b:2', 'b2', '{}'],
      ['a:3', 'a2', '{}'],
    ];
    const badLine = expect.stringMatching(new RegExp(`^${a}:1: invalid JSON .*line skipped$`));
    const rows = (l: Ledger) => [...l.iterate()].map((e) => [e.id, e.kind, e.payload]);
    const l = Ledger.open(store, { cacheDir });
    expect(rows(l)).toEqual(want);
    expect(l.warnings).toEqual([badLine]);
    l.close();
    const res = importJsonl(describeJsonl(store), path.join(dir, 'merged.db'));
    expect(res.warnings).toEqual([badLine]);
    const m = Ledger.open(path.join(dir, 'merged.db'));
    expect(rows(m)).toEqual(want);
    m.close();
  });

  it('skips a poisoned line (a time past year 9999 or before year 1, an integer beyond 2^53, a seq beyond 64 bits) with a warning naming file and line, on open and on import', () => {
    const f = path.join(store, 's.jsonl');
    const poisoned = [
      '{"ts": 1e20, "stream": "s", "event": "far", "payload": {}}\n',
      '{"ts": 1, "stream": "s", "event": "big", "seq": 9223372036854775808, "payload": {}}\n',
      '{"ts": "not a time", "stream": "s", "event": "bad", "payload": {}}\n',
      '{"ts": 1, "stream": "s", "event": "turned", "turn": 1e300, "payload": {}}\n',
      // Plain ISO text is taken by its characters, but year 0 is still before year 1.
      '{"created_at": "0000-06-01T00:00:00Z", "stream": "s", "event": "year0", "payload": {}}\n',
    ];
    fs.writeFileSync(f, [seedLine('s', 'a', {}, 1), ...poisoned, seedLine('s', 'b', {}, 2)].join(''));
    const said = [
      `${f}:2: "ts" is not a time in years 1-9999: 100000000000000000000; line skipped`,
      `${f}:3: "seq" is an integer beyond 64 bits (or past 2^53 and not in plain digits), which cannot be kept exactly; line skipped`,
      `${f}:4: "ts" is not a time in years 1-9999: "not a time"; line skipped`,
      `${f}:5: "turn" is an integer beyond 2^53, which cannot be kept exactly; line skipped`,
      `${f}:6: "created_at" is not a time in years 1-9999: "0000-06-01T00:00:00Z"; line skipped`,
    ];
    const l = Ledger.open(store, { cacheDir });
    expect(kinds(l)).toEqual(['a', 'b']);
    expect(l.warnings).toEqual(said);
    l.close();
    const dest = path.join(dir, 'imported.db');
    expect(importJsonl(describeJsonl(store), dest)).toMatchObject({ events: 2, warnings: said });
  });

  it('keeps a line with bytes that are not UTF-8 and says so, naming file and line; a U+FFFD written as such is no warning', () => {
    const f = path.join(store, 'u.jsonl');
    const line = (kind: string, text: string) => Buffer.from(`{"ts": 1770000000, "stream": "u", "event": "${kind}", "payload": {"x": "${text}"}}\n`, 'latin1');
    fs.writeFileSync(f, Buffer.concat([Buffer.from(seedLine('u', 'a', {}, 1)), line('bad', '\xff\xfe bad'), Buffer.from(seedLine('u', 'real', { x: '\uFFFD' }, 2)), line('also', 'x\xc3')]));
    const said = [
      `${f}:2: has bytes that are not UTF-8, read as U+FFFD (the line is kept, its text not byte for byte as written)`,
      `${f}:4: has bytes that are not UTF-8, read as U+FFFD (the line is kept, its text not byte for byte as written)`,
    ];
    const l = Ledger.open(store, { cacheDir });
    expect(kinds(l)).toEqual(['a', 'bad', 'real', 'also']);
    expect(l.warnings).toEqual(said);
    l.close();
    expect(importJsonl(describeJsonl(store), path.join(dir, 'utf8.db'))).toMatchObject({ events: 4, warnings: said });
  });

  it('takes back every event of its own export, with each time as the ledger stored it, where that is no time too', () => {
    // A ledger written by other code: a NULL time, and a time stored as unix seconds in text.
    const db = path.join(dir, 'odd-times.db');
    const w = new Database(db);
    w.exec(`CREATE TABLE events (offset INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, run_id TEXT, turn INTEGER, kind TEXT, actor TEXT, payload, created_at TEXT, seq INTEGER);
      INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES
        ('e1', 'r1', 1, 'run.started', 'a', '{}', '2026-01-01T00:00:00.000Z', 1), ('e2', 'r1', 2, 'log', 'a', '{}', NULL, 2),
        ('e3', 'r1', 3, 'run.completed', 'a', '{}', '1767225603', 3);`);
    w.close();
    const original = Ledger.open(db, { cacheDir });
    const out = path.join(dir, 'odd-export');
    expect(exportJsonl(original, out).events).toBe(3);
    const back = path.join(dir, 'odd-back.db');
    expect(importJsonl(describeJsonl(out), back)).toMatchObject({ events: 3, warnings: [] });
    const copy = Ledger.open(back, { cacheDir });
    const seen = (l: Ledger) => [...l.iterate()].map((e) => [e.offset, e.id, e.kind, e.time || null]);
    expect(seen(copy)).toEqual(seen(original));
    expect(seen(copy).map((e) => e[3])).toEqual(['2026-01-01T00:00:00.000Z', null, '1767225603']);
    original.close();
    copy.close();
  });

  it('maps lines that name their fields otherwise (time, type, thread, data, ...) as tables are mapped', () => {
    const f = path.join(store, 'app.jsonl');
    fs.writeFileSync(
      f,
      [
        { time: '2024-05-01T10:00:00.000Z', type: 'run.started', thread: 't-1', data: { attempt: 1 } },
        { timestamp: 1714557601000, event_type: 'node.failed', thread_id: 't-2', event_id: 'e-7', body: { error: 'x' } },
        { created: 1714557602, message_type: 'OrderPlaced', stream_id: 't-1', level: 'info', user: 'ann' },
      ]
        .map((o) => `${JSON.stringify(o)}\n`)
        .join(''),
    );
    const l = Ledger.open(f, { cacheDir });
    expect(l.warnings).toEqual([]);
    expect([...l.iterate()].map((e) => [e.id, e.run_id, e.kind, e.time, JSON.parse(e.payload)])).toEqual([
      ['t-1:1', 't-1', 'run.started', '2024-05-01T10:00:00.000Z', { attempt: 1 }],
      ['e-7', 't-2', 'node.failed', '2024-05-01T10:00:01.000Z', { error: 'x' }],
      // No payload field: the fields no role took are the payload.
      ['t-1:3', 't-1', 'OrderPlaced', '2024-05-01T10:00:02.000Z', { level: 'info', user: 'ann' }],
    ]);
    l.close();
  });

  it('indexes once into the cache, reuses the index while files are unchanged, extends it as they grow', () => {
    fs.writeFileSync(path.join(store, 'a.jsonl'), seedLine('a', 'x', {}, 1));
    const src = () => describeJsonl(store);
    const first = syncJsonlIndex(src(), cacheDir);
    expect(first).toMatchObject({ added: 1, rebuilt: true });
    const stamp = fs.statSync(first.cacheFile).mtimeMs;
    const again = syncJsonlIndex(src(), cacheDir);
    expect(again).toMatchObject({ added: 0, rebuilt: false, cacheFile: first.cacheFile });
    expect(fs.statSync(first.cacheFile).mtimeMs).toBe(stamp);
    // Growth of one file and a new stream file extend the same index.
    fs.appendFileSync(path.join(store, 'a.jsonl'), seedLine('a', 'y', {}, 2));
    fs.writeFileSync(path.join(store, 'b.jsonl'), seedLine('b', 'z', {}, 3));
    expect(syncJsonlIndex(src(), cacheDir)).toMatchObject({ added: 2, rebuilt: false });
    const l = Ledger.open(store, { cacheDir });
    expect(kinds(l)).toEqual(['x', 'y', 'z']);
    l.close();
    // A replaced file means a rebuild.
    fs.rmSync(path.join(store, 'a.jsonl'));
    fs.writeFileSync(path.join(store, 'a.jsonl'), seedLine('a', 'new', {}, 1));
    expect(syncJsonlIndex(src(), cacheDir)).toMatchObject({ rebuilt: true });
    const l2 = Ledger.open(store, { cacheDir });
    expect(kinds(l2)).toEqual(['new', 'z']);
    // While open, a file cut short is reported, not silently ignored.
    fs.writeFileSync(path.join(store, 'b.jsonl'), '');
    expect(() => l2.refresh()).toThrow(expect.objectContaining({ code: 'source_changed' }));
    l2.close();
  });

  it('round-trips a ledger through export and import: ids, order, seq, payloads and unicode intact', () => {
    const db = path.join(dir, 'gen.db');
    generateLedger(db, { events: 3000, runs: 25, seed: 3 });
    const original = Ledger.open(db, { cacheDir });
    const out = path.join(dir, 'export');
    const before = fingerprint(db);
    const res = exportJsonl(original, out);
    expect(res).toEqual({ events: 3000, files: 25 });
    const line = JSON.parse(fs.readFileSync(path.join(out, fs.readdirSync(out)[0]!), 'utf8').split('\n')[0]!);
    expect(Object.keys(line)).toEqual(expect.arrayContaining(['ts', 'stream', 'event', 'payload']));
    const back = path.join(dir, 'back.db');
    expect(importJsonl(describeJsonl(out), back)).toMatchObject({ events: 3000, duplicates: 0, warnings: [] });
    const copy = Ledger.open(back, { cacheDir });
    const a = [...original.iterate()];
    const b = [...copy.iterate()];
    expect(b.map((e) => e.id)).toEqual(a.map((e) => e.id));
    expect(b.map((e) => [e.run_id, e.seq, e.kind, e.actor, e.time, e.session_id, e.model_id])).toEqual(
      a.map((e) => [e.run_id, e.seq, e.kind, e.actor, e.time, e.session_id, e.model_id]),
    );
    expect(b.map((e) => JSON.parse(e.payload))).toEqual(a.map((e) => JSON.parse(e.payload)));
    expect(b.some((e) => e.payload.includes('处理用户请求'))).toBe(true);
    // A filtered export holds just the selection.
    const failed = path.join(dir, 'failed');
    expect(exportJsonl(original, failed, { kinds: ['node.failed'] }).events).toBe(a.filter((e) => e.kind === 'node.failed').length);
    original.close();
    copy.close();
    expect(fingerprint(db)).toEqual(before);
  });

  it('skips a repeated id without leaving a gap in its run\'s seq or in the offsets, on import and when the cache index extends', () => {
    const line = (id: string, i: number, stream = 'a') => `${JSON.stringify({ ts: 1_760_000_000 + i, stream, event: 'step', payload: { i }, id })}\n`;
    // 100 lines of one stream: the repeat at line 41 falls among rows written 32 to a statement, the one at 99 among the last few.
    const ids = Array.from({ length: 100 }, (_, i) => (i === 40 ? 'e3' : i === 98 ? 'e7' : `e${i}`));
    fs.writeFileSync(path.join(store, 'a.jsonl'), ids.map((id, i) => line(id, i)).join(''));
    fs.writeFileSync(path.join(store, 'b.jsonl'), line('b0', 50, 'b'));
    const check = (file: string, n: number) => {
      const l = Ledger.open(file, { cacheDir });
      const events = [...l.iterate()];
      expect(events.map((e) => e.offset)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const a = events.filter((e) => e.run_id === 'a');
      expect(a.map((e) => e.seq)).toEqual(Array.from({ length: a.length }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(n);
      l.close();
      return events;
    };
    const dest = path.join(dir, 'imported.db');
    expect(importJsonl(describeJsonl(store), dest)).toMatchObject({ events: 99, duplicates: 2 });
    // The first line of an id wins.
    expect(check(dest, 99).find((e) => e.id === 'e3')?.payload).toBe('{"i":3}');
    // Extending the cache index meets a repeat of an id it already holds, then new lines.
    syncJsonlIndex(describeJsonl(store), cacheDir);
    fs.appendFileSync(path.join(store, 'a.jsonl'), line('e5', 100) + line('new1', 101) + line('new2', 102));
    expect(syncJsonlIndex(describeJsonl(store), cacheDir)).toMatchObject({ added: 2, rebuilt: false });
    const events = check(store, 101);
    expect(events.slice(-2).map((e) => [e.id, e.seq])).toEqual([
      ['new1', 99],
      ['new2', 100],
    ]);
  });

  it('renumbers a seq that repeats or goes back within its run, keeps the event and says so', () => {
    const line = (id: string, seq: number, i: number) => `${JSON.stringify({ ts: 1_760_000_000 + i, stream: 'a', event: 'step', payload: {}, id, seq })}\n`;
    fs.writeFileSync(path.join(store, 'a.jsonl'), [line('e1', 1, 1), line('e2', 1, 2), line('e3', 5, 3), line('e4', 3, 4)].join(''));
    const seqs = (file: string) => {
      const l = Ledger.open(file, { cacheDir });
      const out = [...l.iterate()].map((e) => [e.id, e.seq]);
      l.close();
      return out;
    };
    const dest = path.join(dir, 'imported.db');
    const res = importJsonl(describeJsonl(store), dest);
    expect(res).toMatchObject({ events: 4, warningCount: 1 });
    expect(res.warnings).toEqual([`${store}: 2 events carried a seq that repeats or goes back within their run; each was given the next seq of its run`]);
    expect(seqs(dest)).toEqual([['e1', 1], ['e2', 2], ['e3', 5], ['e4', 6]]);
    // The cache index keeps the warning: reused, it still says so.
    const said = `${store}: 2 events carried a seq that repeats or goes back within their run; each was given the next seq of its run`;
    expect(syncJsonlIndex(describeJsonl(store), cacheDir)).toMatchObject({ rebuilt: true, warnings: [said] });
    expect(syncJsonlIndex(describeJsonl(store), cacheDir)).toMatchObject({ rebuilt: false, added: 0, warnings: [said] });
    // Extending the cache index: the line is named.
    fs.appendFileSync(path.join(store, 'a.jsonl'), line('e5', 2, 5));
    expect(syncJsonlIndex(describeJsonl(store), cacheDir).warnings).toContain(`${path.join(store, 'a.jsonl')}:5: seq 2 repeats or goes back within run a; given seq 7`);
    expect(seqs(store).at(-1)).toEqual(['e5', 7]);
  });

  it('writes big ledgers on a thread of its own: a 40k-event round trip is exact, and the thread\'s errors reach the caller', () => {
    const events = 40_000;
    expect(events).toBeGreaterThanOrEqual(THREAD_FROM_ROWS);
    const db = path.join(dir, 'big.db');
    expect(generateLedger(db, { events, runs: 150, seed: 9 }).events).toBe(events);
    const original = Ledger.open(db, { cacheDir });
    const out = path.join(dir, 'big-export');
    exportJsonl(original, out);
    const back = path.join(dir, 'big-back.db');
    const reports: Progress[] = [];
    expect(importJsonl(describeJsonl(out), back, { onProgress: (p) => reports.push(p) })).toMatchObject({ events, duplicates: 0, warnings: [] });
    // Progress runs through the bytes, then through the indexes the thread builds.
    const phases = reports.map((p) => p.unit).filter((u, i, all) => u !== all[i - 1]);
    expect(phases).toEqual(['bytes', 'indexes built']);
    const bytes = reports.filter((p) => p.unit === 'bytes');
    expect(bytes.at(-1)!.done).toBe(bytes.at(-1)!.total);
    expect(reports.at(-1)).toEqual({ done: CANONICAL_INDEXES.length, total: CANONICAL_INDEXES.length, unit: 'indexes built' });
    const copy = Ledger.open(back, { cacheDir });
    const cols = (e: LedgerEvent) => [e.offset, e.id, e.run_id, e.seq, e.kind, e.actor, e.time, e.session_id, e.model_id, e.payload];
    expect([...copy.iterate()].map(cols)).toEqual([...original.iterate()].map(cols));
    original.close();
    copy.close();
    const check = new Database(back, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
    expect(indexes).toEqual(CANONICAL_INDEXES.map((sql) => /INDEX IF NOT EXISTS (\w+)/.exec(sql)![1]).sort());
    check.close();
    // The thread opens the temporary file: its refusal arrives as a typed error naming the destination.
    expect(() => generateLedger(db, { events })).toThrow(expect.objectContaining({ code: 'invalid_argument', file: db }));
    expect(() => importJsonl(describeJsonl(out), back)).toThrow(expect.objectContaining({ code: 'invalid_argument', file: back }));
  });

  it('leaves no partial file or folder behind when a job is cancelled', () => {
    const db = path.join(dir, 'gen.db');
    const controller = new AbortController();
    expect(() =>
      generateLedger(db, {
        events: 200_000,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done > 20_000) controller.abort();
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'cancelled' }));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('gen.db'))).toEqual([]);
    generateLedger(db, { events: 50_000 });
    const l = Ledger.open(db, { cacheDir });
    const ctl = new AbortController();
    const out = path.join(dir, 'out');
    expect(() => exportJsonl(l, out, {}, { signal: ctl.signal, onProgress: () => ctl.abort() })).toThrow(/cancelled/);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('out'))).toEqual([]);
    l.close();
  });

  it('refuses to export over a folder that has files in it', () => {
    const db = path.join(dir, 'gen.db');
    generateLedger(db, { events: 10 });
    const l = Ledger.open(db, { cacheDir });
    fs.writeFileSync(path.join(store, 'keep.jsonl'), 'mine\n');
    expect(() => exportJsonl(l, store)).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(store) }));
    expect(fs.readFileSync(path.join(store, 'keep.jsonl'), 'utf8')).toBe('mine\n');
    l.close();
  });
});
