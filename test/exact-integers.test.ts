// Integers past 2^53 in a SQLite ledger (a seq, a mapped layout's seq column) read as
// their exact decimal text, as PostgreSQL's bigints do; those within stay JSON numbers.
// Real files written here, the real CLI read back: query, replay, export and import, append.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_TABLE } from '../src/main/engine/format/schema.ts';
import { at, tempDir } from './fixtures.ts';
import { runCli } from './helpers/cli.ts';

let dir: string;

function cli(args: string[], input?: string): string {
  const r = runCli(args, { cacheDir: path.join(dir, 'cache'), input });
  expect(r.err, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.out;
}

// [run, seq] in ledger order: near 2^53 on either side, past it, the 64-bit limit, and below -2^53.
const ROWS: Array<[string, bigint]> = [
  ['a', 1n],
  ['a', 9007199254740991n], // 2^53 - 1: still a number
  ['a', 9007199254740993n], // 2^53 + 1: read as ...992 before
  ['b', 9007199254740992n], // 2^53 itself: exact as a number, but so is 2^53 + 1 read
  ['b', 9223372036854775807n],
  ['n', -9007199254740993n],
];
/** What each row's seq reads as: a number within ±(2^53 - 1), its text beyond. */
const SHOWN = [1, 9007199254740991, '9007199254740993', '9007199254740992', '9223372036854775807', '-9007199254740993'];

function writeCanonical(file: string, rows = ROWS): void {
  const db = new Database(file);
  db.exec(CANONICAL_TABLE);
  const ins = db.prepare('INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES (?, ?, 0, ?, ?, ?, ?, ?)');
  rows.forEach(([run, seq], i) => ins.run(`e${i}`, run, 'step', 'agent', `{"i":${i}}`, at(i), seq));
  db.close();
}

/** The seqs of a --json listing, and the raw text of each (a number is unquoted). */
const seqsOf = (out: string) => (JSON.parse(out).events as Array<{ seq: unknown }>).map((e) => e.seq);
const seqTexts = (out: string) => [...out.matchAll(/"seq":("?-?\d+"?)/g)].map((m) => m[1]);

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('integers past 2^53 in a SQLite ledger', () => {
  it('query --json and --jsonl print each seq exactly: text past 2^53, a number within', () => {
    const file = path.join(dir, 'canonical.db');
    writeCanonical(file);
    const json = cli(['query', file, '--json']);
    expect(seqsOf(json)).toEqual(SHOWN);
    expect(seqTexts(json)).toEqual(['1', '9007199254740991', '"9007199254740993"', '"9007199254740992"', '"9223372036854775807"', '"-9007199254740993"']);
    const lines = cli(['query', file, '--jsonl']).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual(SHOWN);
    // A page read backwards (the window's last page) and one event (its detail, the replay's step).
    expect(seqsOf(cli(['query', file, '--last', '--limit', '3', '--json']))).toEqual(SHOWN.slice(3));
    expect(JSON.parse(cli(['replay', file, 'a', '--step', '3', '--json'])).event.seq).toBe('9007199254740993');
  });

  it('export-jsonl writes them as exact JSON numbers and import-jsonl keeps them; an append counts on from them', () => {
    // Without the negative seq, which an import renumbers (the seq rule: a run's seqs rise from 1).
    const file = path.join(dir, 'round.db');
    writeCanonical(file, ROWS.slice(0, 5));
    const out = path.join(dir, 'round-jsonl');
    cli(['export-jsonl', file, out]);
    expect(fs.readFileSync(path.join(out, 'a.jsonl'), 'utf8')).toMatch(/"seq":1,[^\n]*\n[^\n]*"seq":9007199254740991,[^\n]*\n[^\n]*"seq":9007199254740993,/);
    expect(fs.readFileSync(path.join(out, 'b.jsonl'), 'utf8')).toContain('"seq":9223372036854775807,');
    const back = path.join(dir, 'round-back.db');
    cli(['import-jsonl', out, back]);
    const events = (f: string) => JSON.parse(cli(['query', f, '--json'])).events;
    expect(events(back)).toEqual(events(file));
    expect(seqsOf(cli(['query', back, '--json']))).toEqual(SHOWN.slice(0, 5));
    // The JSONL store itself, opened directly, reads the same.
    expect(seqsOf(cli(['query', out, '--json']))).toEqual(SHOWN.slice(0, 5));
    // An append takes the run's next seq, exact, where a rounded last seq would hand out one already taken.
    const appended = JSON.parse(cli(['append', back, '--json'], '{"run_id":"a","kind":"step","payload":{}}\n'));
    expect(appended.results.map((r: { seq: unknown }) => r.seq)).toEqual(['9007199254740994']);
    expect(seqsOf(cli(['query', back, '--run', 'a', '--json']))).toEqual([...SHOWN.slice(0, 3), '9007199254740994']);
    // A run at the 64-bit limit can take no more, said plainly.
    const full = runCli(['append', back], { cacheDir: path.join(dir, 'cache'), input: '{"run_id":"b","kind":"step","payload":{}}\n' });
    expect(full.code).toBe(1);
    expect(full.err).toMatch(/^ledger-inspector: run b has the greatest seq a 64-bit integer holds \(9223372036854775807\): it cannot take another event \(\S+round-back\.db\)$/m);
  });

  it('a seq column of another layout (session_events, a mapped table) reads as exactly', () => {
    const file = path.join(dir, 'sessions.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE session_events (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
      payload TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE counted (pos INTEGER PRIMARY KEY, counter INTEGER, stream_id TEXT, event_type TEXT, occurred_at TEXT, data TEXT);`);
    const ins = db.prepare('INSERT INTO session_events (session_id, seq, type, payload, source, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const counted = db.prepare('INSERT INTO counted VALUES (?, ?, ?, ?, ?, ?)');
    ROWS.forEach(([run, seq], i) => {
      ins.run(run, seq, 'message', '{}', 'user', at(i));
      counted.run(i + 1, seq, run, 'message', at(i), '{}');
    });
    db.close();
    expect(seqsOf(cli(['query', file, '--json']))).toEqual(SHOWN);
    const map = 'table=counted,order=pos,run=stream_id,kind=event_type,time=occurred_at,payload=data,seq=counter';
    expect(seqsOf(cli(['query', file, '--map', map, '--json']))).toEqual(SHOWN);
    expect(cli(['query', file, '--map', map, '--jsonl']).trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual(SHOWN);
  });
});
