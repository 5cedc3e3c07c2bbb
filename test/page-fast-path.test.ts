// A page's fast paths: the plain check of a request (exactly what the schema gives, for
// what it takes), the statements kept per filter (the same rows as built afresh, past a
// schema change too), and the preview that skips cutting a short payload.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageRequestSchema, quickParsePageRequest, type LedgerEvent, type PageRequest } from '../src/shared/ledger.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { View } from '../src/main/engine/read/view.ts';
import { SEED_004_DDL, tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const requests: Array<[string, unknown]> = [
  ['empty', {}],
  ['after, limit', { after: 10, limit: 5 }],
  ['before, full payloads', { before: 99, payload: 'full' }],
  ['from_end', { from_end: true }],
  ['from_end false beside after', { from_end: false, after: 3 }],
  ['a negative keyset', { after: -1 }],
  ['every quick filter', { query: { runs: ['r1', 'r2'], kinds: ['k'], exclude_kinds: ['x'], actors: ['a'], sessions: ['s'], models: ['m'], offset_from: 0, offset_to: 9 }, after: 2 }],
  ['fields given as undefined', { query: undefined, after: undefined, limit: undefined, payload: undefined }],
  ['a query given as undefined fields', { query: { runs: undefined, offset_to: undefined } }],
  ['limit at its bounds', { limit: 10_000 }],
  ['limit 0', { limit: 0 }],
  ['limit over', { limit: 10_001 }],
  ['limit fractional', { limit: 2.5 }],
  ['limit as text', { limit: '5' }],
  ['after NaN', { after: Number.NaN }],
  ['after Infinity', { after: Number.POSITIVE_INFINITY }],
  ['after past 2^53', { after: 2 ** 53 }],
  ['after and before', { after: 1, before: 5 }],
  ['before and from_end', { before: 5, from_end: true }],
  ['from_end as text', { from_end: 'yes' }],
  ['payload unknown', { payload: 'some' }],
  ['an unknown key', { cursor: 1 }],
  ['empty kinds', { query: { kinds: [] } }],
  ['an empty kind', { query: { kinds: [''] } }],
  ['a number run', { query: { runs: [5] } }],
  ['runs not a list', { query: { runs: 'r1' } }],
  ['a sparse list', { query: { kinds: [, 'k'] } }],
  ['offset_from negative', { query: { offset_from: -1 } }],
  ['offset_to fractional', { query: { offset_to: 1.5 } }],
  ['an unknown query key', { query: { bogus: 1 } }],
  ['text (the schema decides)', { query: { text: 'timeout' } }],
  ['since_seq (the schema decides)', { query: { runs: ['r'], since_seq: 2 } }],
  ['since_seq without one run', { query: { since_seq: 2 } }],
  ['a time', { query: { time_from: '2026-01-01T00:00:00Z' } }],
  ['a bad time', { query: { time_from: 'soon' } }],
  ['query null', { query: null }],
  ['no prototype', Object.assign(Object.create(null), { after: 1 })],
  ['a query of no prototype', { query: Object.assign(Object.create(null), { kinds: ['k'] }) }],
  ['a class instance', new (class { after = 1; })()],
  ['an array', [1]],
  ['null', null],
];

describe('the fast check of a page request', () => {
  it.each(requests)('%s: takes only what the schema takes, giving what it gives', (_name, raw) => {
    const quick = quickParsePageRequest(raw);
    const schema = PageRequestSchema.safeParse(raw);
    if (quick === null) return; // the schema decides, and words any error
    expect(schema.success).toBe(true);
    expect(quick).toEqual(schema.data);
  });

  it('takes the common requests itself', () => {
    for (const [name, raw] of requests.slice(0, 9)) expect(quickParsePageRequest(raw), name).not.toBeNull();
  });

  it('still refuses bad requests at the reader, naming the field', () => {
    const file = path.join(dir, 'refuse.db');
    generateLedger(file, { events: 50, runs: 2, seed: 1 });
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    try {
      expect(() => l.page({ limit: 0 })).toThrow(/bad page request: limit/);
      expect(() => l.page({ after: 1, from_end: true })).toThrow(/at most one of after, before, from_end/);
      expect(() => l.page({ query: { runs: [5 as unknown as string] } })).toThrow(/bad page request: query\.runs/);
      expect(() => l.page({ after: Number.NaN })).toThrow(/bad page request: after/);
    } finally {
      l.close();
    }
  });
});

describe('page statements kept per filter', () => {
  const ids = (es: LedgerEvent[]) => es.map((e) => e.offset);

  it('give the rows of each keyset and offset window, as a fresh reader does', () => {
    const file = path.join(dir, 'kept.db');
    generateLedger(file, { events: 3000, runs: 12, seed: 5 });
    const kept = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const run = String(kept.facets('run_id', {}, 1)[0]!.value);
    const shapes: PageRequest[] = [
      { limit: 7 },
      { query: { kinds: ['tool_call'] }, limit: 9 },
      { query: { kinds: ['tool_call', 'log'] }, limit: 9 },
      { query: { runs: [run] }, limit: 11 },
      { query: { runs: [run], offset_from: 100, offset_to: 2500 }, limit: 13 },
    ];
    try {
      for (const shape of shapes)
        for (const at of [0, 17, 1234, 2999, 5000]) {
          for (const req of [{ ...shape, after: at }, { ...shape, before: at }, { ...shape, from_end: true }, shape]) {
            // A reader opened for this one request builds its statement afresh.
            const fresh = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
            const expected = fresh.page(req);
            fresh.close();
            expect(kept.page(req), JSON.stringify(req)).toEqual(expected);
          }
          // A view's windows move offset_from/offset_to on one kept statement.
          const q = shape.query ?? {};
          const moved = { ...q, offset_from: at, offset_to: at + 400 };
          expect(ids(kept.page({ query: moved, limit: 50 }).events)).toEqual(ids([...kept.iterate(moved)].slice(0, 50)));
        }
      // The rows of a view, window by window, are the filter's rows in order.
      const view = new View(kept, { runs: [run] });
      const all = [...kept.iterate({ runs: [run] })];
      const got: LedgerEvent[] = [];
      for (let start = 0; start < all.length; start += 25) got.push(...view.rows(start, 25));
      expect(ids(got)).toEqual(ids(all));
    } finally {
      kept.close();
    }
  });

  it('are built again once an append adds the seq column', () => {
    const file = path.join(dir, 'seed.db');
    const db = new Database(file);
    db.exec(SEED_004_DDL);
    const ins = db.prepare("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at) VALUES (?, 'r', 0, 'tool_call', 'a', '{}', '2026-01-01T00:00:00Z')");
    for (let i = 0; i < 5; i++) ins.run(`e${i}`);
    db.close();
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    try {
      expect(l.page({ after: 0 }).events.map((e) => e.seq)).toEqual([null, null, null, null, null]);
      l.append([{ run_id: 'r', kind: 'tool_call', id: 'e5' }]);
      // The kept statement predates seq: the same request now reads it.
      expect(l.page({ after: 0 }).events.map((e) => e.seq)).toEqual([null, null, null, null, null, 6]);
    } finally {
      l.close();
    }
  });
});

describe('the payload preview', () => {
  it('is the payload when short, cut to 240 characters otherwise, and says which, counting characters not bytes', () => {
    const file = path.join(dir, 'preview.db');
    const texts = [
      `"${'a'.repeat(238)}"`, // 240 characters, 240 bytes
      `"${'a'.repeat(239)}"`, // 241 characters
      `"${'语'.repeat(200)}"`, // 202 characters, 602 bytes: whole
      `"${'语'.repeat(238)}"`, // 240 characters, 716 bytes: whole
      `"${'语'.repeat(239)}"`, // 241 characters: cut
      `"${'😀'.repeat(238)}"`, // 240 characters (astral), 954 bytes: whole
      `"${'😀'.repeat(239)}"`, // 241 characters: cut after 240 of them
      '{}',
    ];
    const db = new Database(file);
    db.exec(SEED_004_DDL);
    const ins = db.prepare("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at) VALUES (?, 'r', 0, 'k', 'a', ?, '2026-01-01T00:00:00Z')");
    texts.forEach((t, i) => ins.run(`e${i}`, t));
    db.close();
    const r = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    try {
      const page = r.page({ limit: 100 }).events;
      expect(page.map((e) => [e.payload, e.truncated])).toEqual(
        texts.map((t) => {
          const chars = Array.from(t);
          return chars.length > 240 ? [chars.slice(0, 240).join(''), true] : [t, false];
        }),
      );
      expect(r.page({ limit: 100, payload: 'full' }).events.map((e) => [e.payload, e.truncated])).toEqual(texts.map((t) => [t, false]));
    } finally {
      r.close();
    }
  });
});
