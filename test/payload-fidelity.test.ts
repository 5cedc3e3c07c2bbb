// Payloads are kept as the text they were written in, through every path that
// writes them: append (and its mirror), JSONL export and import, snapshots, and a
// JSONL store opened directly. Real CLI processes, real files, bytes compared.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberText } from '../src/main/engine/format/json-text.ts';
import { tempDir } from './fixtures.ts';
import { runCli } from './helpers/cli.ts';

let dir: string;

function cli(args: string[], input?: string) {
  const r = runCli(args, { cacheDir: path.join(dir, 'cache'), input });
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return r.out;
}

// Each of these changes if parsed and serialised again.
const PAYLOADS = [
  '{"big":12345678901234567890,"neg":-9223372036854775809}',
  '{"price":1.10,"zero":-0,"huge":1e400,"tiny":1e-400,"exp":2E+3}',
  '{"b":1,"1":"integer-like keys come first after JSON.parse","a":2}',
  '{"escaped":"\\u00e9\\u4e2d\\ud83d\\ude00","slash":"\\/","lone":"\\ud800"}',
  '{ "spaced" : [ 1.0 , 2.50 ], "nested": {"x": {"y": [true, false, null]}} }',
  '{"dup":1,"dup":2}',
  '{"quote":"a \\"payload\\": inside","back":"\\\\"}',
];
const line = (i: number, payload: string) => `{"id":"e${i}","run_id":"run-${i % 2}","kind":"k","payload":${payload}}`;

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const payloadsOf = (file: string) =>
  (JSON.parse(cli(['query', file, '--json', '--limit', '1000'])).events as Array<{ id: string; payload: string }>).map((e) => [e.id, e.payload]);
const expected = PAYLOADS.map((p, i) => [`e${i}`, p]);

/** Every file of an export folder, name -> bytes. */
const folderBytes = (d: string) => Object.fromEntries(fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), 'utf8')]));

describe('payload fidelity', () => {
  it('finds a member text exactly as written', () => {
    expect(memberText('{"a":1,"payload": {"x":1.10} ,"z":[1]}', 'payload')).toBe('{"x":1.10}');
    expect(memberText('{"pay\\u006coad":12345678901234567890}', 'payload')).toBe('12345678901234567890');
    expect(memberText('{"s":"\\"payload\\":1","payload":"a\\\\"}', 'payload')).toBe('"a\\\\"');
    expect(memberText('{"payload":1,"payload":[2]}', 'payload')).toBe('[2]');
    // A later member of the name, written with an escape, is still the one kept.
    expect(memberText('{"payload":1,"x":2,"pay\\u006coad":3}', 'payload')).toBe('3');
    expect(memberText('{"payload":1,"x":"payload"}', 'payload')).toBe('1');
    expect(memberText('{"x":1}', 'payload')).toBeUndefined();
    expect(memberText('[1]', 'payload')).toBeUndefined();
  });

  it('append -> export -> import -> export keeps every payload byte for byte, mirror and snapshots too', () => {
    const db = path.join(dir, 'a.db');
    const mirror = path.join(dir, 'mirror');
    cli(['append', db, '--mirror', mirror, '--json'], PAYLOADS.map((p, i) => line(i, p)).join('\n'));
    expect(payloadsOf(db)).toEqual(expected);

    const out1 = path.join(dir, 'out1');
    cli(['export-jsonl', db, out1, '--json']);
    for (const text of Object.values(folderBytes(out1)))
      for (const l of text.trim().split('\n')) expect(PAYLOADS).toContain(memberText(l, 'payload'));
    const back = path.join(dir, 'back.db');
    cli(['import-jsonl', out1, back, '--json']);
    expect(payloadsOf(back)).toEqual(expected);
    const out2 = path.join(dir, 'out2');
    cli(['export-jsonl', back, out2, '--json']);
    expect(folderBytes(out2)).toEqual(folderBytes(out1));

    // The export folder and the mirror opened as JSONL stores show the same texts.
    expect(payloadsOf(out1)).toEqual(expected);
    expect(payloadsOf(mirror).sort()).toEqual([...expected].sort());

    const full = path.join(dir, 'full.db');
    cli(['snapshot', db, full, '--json']);
    expect(payloadsOf(full)).toEqual(expected);
    const part = path.join(dir, 'part.db');
    cli(['snapshot', db, part, '--run', 'run-1', '--json']);
    expect(payloadsOf(part)).toEqual(expected.filter((_, i) => i % 2 === 1));
  });

  it('a payload that cannot sit on one line as it is round-trips through payload_text', () => {
    // Written by other code: pretty-printed JSON with line breaks, and text that is not JSON.
    const db = path.join(dir, 'b.db');
    cli(['append', db], `${line(0, '{}')}\n${line(1, '{}')}\n`);
    const texts = ['{\n  "a": 1.10\n}', 'not json at all'];
    const w = new Database(db);
    texts.forEach((t, i) => w.prepare('UPDATE events SET payload = ? WHERE id = ?').run(t, `e${i}`));
    w.close();
    const out = path.join(dir, 'out-b');
    cli(['export-jsonl', db, out, '--json']);
    const back = path.join(dir, 'back-b.db');
    cli(['import-jsonl', out, back, '--json']);
    expect(payloadsOf(back)).toEqual(texts.map((t, i) => [`e${i}`, t]));
  });

  it('an import big enough for the writer\'s own thread keeps every payload as written, however its line names it', () => {
    // The ways a line can name its payload: plainly, with an escape, twice (the last counts), beside a payload_text.
    const head = (i: number) => `{"id":"e${i}","run_id":"run-${i % 2}","kind":"k","created_at":"2026-01-01T00:00:00.000Z"`;
    const forms = [
      (i: number, p: string) => `${head(i)},"payload":${p}}`,
      (i: number, p: string) => `${head(i)},"pay\\u006coad":${p}}`,
      (i: number, p: string) => `${head(i)},"payload":{"first":"not kept"},"payload":${p},"x":"\\"payload\\""}`,
      (i: number, p: string) => `${head(i)},"payload":{"parsed":1},"payload_text":${JSON.stringify(p)}}`,
    ];
    const n = 60_000;
    const want = Array.from({ length: n }, (_, i) => PAYLOADS[i % PAYLOADS.length]!);
    const file = path.join(dir, 'big.jsonl');
    fs.writeFileSync(file, `${want.map((p, i) => forms[Math.floor(i / PAYLOADS.length) % forms.length]!(i, p)).join('\n')}\n`);
    // Over the size from which the writer runs on a thread of its own (THREAD_FROM_ROWS lines of 256 bytes).
    expect(fs.statSync(file).size).toBeGreaterThan(20_000 * 256);
    const back = path.join(dir, 'big.db');
    cli(['import-jsonl', file, back, '--json']);
    const db = new Database(back, { readonly: true });
    const stored = db.prepare('SELECT payload FROM events ORDER BY offset').pluck().all();
    db.close();
    expect(stored.length).toBe(n);
    expect(stored).toEqual(want);
    // The same file opened as a store: its cache index is built on those threads too.
    expect(payloadsOf(file)).toEqual(want.slice(0, 1000).map((p, i) => [`e${i}`, p]));
  });
});

describe('an append of parsed payloads (the contract, serve mode)', () => {
  it('refuses a number the parse already changed, naming the event and the path, and writes nothing', async () => {
    const { Ledger } = await import('../src/main/engine/open/ledger.ts');
    const { createCanonical } = await import('../src/main/engine/write/create-ledger.ts');
    const file = path.join(dir, 'parsed.db');
    createCanonical(file);
    const ledger = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    try {
      const cases: Array<[unknown, RegExp]> = [
        [{ big: 12345678901234567890 }, /event 2 \(id p2\): payload \$\.big = 12345678901234567000 cannot be stored exactly/],
        [{ deep: [1, { huge: JSON.parse('1e400') }] }, /payload \$\.deep\[1\]\.huge = Infinity/],
        [{ zero: -0 }, /payload \$\.zero = -0/],
      ];
      for (const [payload, pattern] of cases) {
        const events = [{ id: 'p1', run_id: 'r', kind: 'k', payload: { ok: 1.5 } }, { id: 'p2', run_id: 'r', kind: 'k', payload }];
        expect(() => ledger.append(events)).toThrow(pattern);
        expect(ledger.count({})).toBe(0);
      }
      expect(ledger.append([{ id: 'p3', run_id: 'r', kind: 'k', payload: { safe: 2 ** 53 - 1, real: 0.1 } }]).appended).toBe(1);
      expect(ledger.event(ledger.lastOffset()!)!.payload).toBe('{"safe":9007199254740991,"real":0.1}');
    } finally {
      ledger.close();
    }
  });
});
