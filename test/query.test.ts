// Every filter and paging direction against an oracle: the same filter applied
// in plain TypeScript to all events of a generated ledger.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent, Query } from '../src/shared/ledger.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { View } from '../src/main/engine/read/view.ts';
import Database from 'better-sqlite3';
import { tempDir } from './fixtures.ts';

let dir: string;
let ledger: Ledger;
let events: LedgerEvent[];

beforeAll(() => {
  dir = tempDir();
  const file = path.join(dir, 'gen.db');
  generateLedger(file, { events: 6000, runs: 40, seed: 7 });
  ledger = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
  events = [...ledger.iterate()];
});
afterAll(() => {
  ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function matches(e: LedgerEvent, q: Query): boolean {
  const p = JSON.parse(e.payload);
  const t = Date.parse(e.time!);
  if (q.runs && !q.runs.includes(e.run_id)) return false;
  if (q.kinds && !q.kinds.includes(e.kind)) return false;
  if (q.exclude_kinds && q.exclude_kinds.includes(e.kind)) return false;
  if (q.actors && !q.actors.includes(e.actor!)) return false;
  if (q.sessions && !q.sessions.includes(e.session_id!)) return false;
  if (q.models && !q.models.includes(e.model_id!)) return false;
  if (q.offset_from !== undefined && e.offset < q.offset_from) return false;
  if (q.offset_to !== undefined && e.offset > q.offset_to) return false;
  if (q.time_from && t < Date.parse(q.time_from)) return false;
  if (q.time_to && t > Date.parse(q.time_to)) return false;
  if (q.since_seq !== undefined && !(Number(e.seq) > q.since_seq)) return false;
  if (q.text && !e.payload.toLowerCase().includes(q.text.toLowerCase())) return false;
  if (q.json_path) {
    const v = q.json_path.path.slice(2).split('.').reduce((o: any, k) => o?.[k], p);
    if (v !== q.json_path.value) return false;
  }
  return true;
}

const ids = (es: LedgerEvent[]) => es.map((e) => e.offset);

const QUERIES: Query[] = [
  {},
  { kinds: ['node.failed'] },
  { kinds: ['node.failed', 'run.failed'] },
  { exclude_kinds: ['log', 'metric', 'tool_call', 'tool_result'] },
  { runs: ['run-7-000003'] },
  { runs: ['run-7-000003', 'run-7-000011'], kinds: ['node.started'] },
  { actors: ['scheduler'] },
  { sessions: ['sess-5'] },
  { models: ['qwen3-32b'] },
  { offset_from: 1000, offset_to: 1999 },
  { time_from: '2026-01-05T08:05:00Z', time_to: '2026-01-05T08:20:00Z' },
  { runs: ['run-7-000003'], since_seq: 40 },
  { text: 'chunk size' },
  { text: '处理用户请求' },
  { text: 'ÜBERPRÜFUNG'.toLowerCase() },
  { text: '100%' },
  { json_path: { path: '$.node_id', value: 'embed' } },
  { json_path: { path: '$.attempt', value: 2 } },
  { json_path: { path: '$.usage.output_tokens', value: 17 } },
  { kinds: ['node.failed'], json_path: { path: '$.attempt', value: 1 }, actors: ['worker'] },
];

describe('query filters', () => {
  it.each(QUERIES.map((q) => [JSON.stringify(q), q] as const))('%s pages forward and backward like the oracle', (_, q) => {
    const expected = ids(events.filter((e) => matches(e, q)));
    if (Object.keys(q).length) expect(expected.length).toBeLessThan(events.length);
    // Forward, page by page, from the start.
    const forward: number[] = [];
    let page = ledger.page({ query: q, limit: 97 });
    forward.push(...ids(page.events));
    while (page.has_more) {
      page = ledger.page({ query: q, limit: 97, after: page.last_offset! });
      forward.push(...ids(page.events));
    }
    expect(forward).toEqual(expected);
    // Backward from the end.
    const backward: number[] = [];
    page = ledger.page({ query: q, limit: 131, from_end: true });
    backward.unshift(...ids(page.events));
    while (page.has_more) {
      page = ledger.page({ query: q, limit: 131, before: page.first_offset! });
      backward.unshift(...ids(page.events));
    }
    expect(backward).toEqual(expected);
    expect(ledger.count(q)).toBe(expected.length);
    const reports: number[] = [];
    expect(ledger.count(q, { onProgress: (p) => reports.push(p.done) })).toBe(expected.length);
    expect(reports.length).toBeGreaterThan(0);
  });

  it('pages from any position and reports has_more and the offsets', () => {
    const mid = events[3000]!.offset;
    const page = ledger.page({ after: mid, limit: 5 });
    expect(ids(page.events)).toEqual(ids(events.slice(3001, 3006)));
    expect(page).toMatchObject({ first_offset: events[3001]!.offset, last_offset: events[3005]!.offset, has_more: true });
    const back = ledger.page({ before: mid, limit: 5 });
    expect(ids(back.events)).toEqual(ids(events.slice(2995, 3000)));
    const last = ledger.page({ from_end: true, limit: 3 });
    expect(ids(last.events)).toEqual(ids(events.slice(-3)));
    expect(ledger.page({ after: events.at(-1)!.offset })).toEqual({ events: [], first_offset: null, last_offset: null, has_more: false });
  });

  it('previews long payloads and gives the whole event by offset', () => {
    const long = events.find((e) => e.payload.length > 240);
    const preview = ledger.page({ after: long ? long.offset - 1 : 0, limit: 1 }).events[0]!;
    if (long) {
      expect(preview.truncated).toBe(true);
      expect(preview.payload).toBe(long.payload.slice(0, 240));
    }
    const short = events.find((e) => e.payload.length < 100)!;
    expect(ledger.page({ after: short.offset - 1, limit: 1 }).events[0]!.truncated).toBe(false);
    expect(ledger.event(events[10]!.offset)).toEqual(events[10]);
    expect(ledger.event(10 ** 9)).toBeNull();
  });

  it('counts facets like the oracle', () => {
    const q: Query = { exclude_kinds: ['log'] };
    for (const field of ['kind', 'run_id', 'actor'] as const) {
      const expected = new Map<string, number>();
      for (const e of events.filter((x) => matches(x, q))) expected.set(String(e[field]), (expected.get(String(e[field])) ?? 0) + 1);
      const facets = ledger.facets(field, q, 1000);
      expect(new Map(facets.map((f) => [String(f.value), f.count]))).toEqual(expected);
      const counts = facets.map((f) => f.count);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
    }
  });

  it('counts events per time bucket over the selection’s own span', () => {
    for (const q of [{}, { kinds: ['node.failed'] }, { time_from: events[1000]!.time!, time_to: events[2000]!.time! }] as Query[]) {
      const h = ledger.histogram(q, 50);
      const matching = events.filter((e) => matches(e, q));
      expect(h.counts).toHaveLength(50);
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(matching.length);
      expect(h.from).toBe(matching[0]!.time);
      const i = Math.floor((Date.parse(matching.at(-1)!.time!) - Date.parse(h.from!)) / h.bucket_ms);
      expect(h.counts[i]).toBeGreaterThan(0);
    }
  });

  it('seeks from a time to the first offset at or after it', () => {
    for (const i of [0, 1, 777, 3000, 5999]) {
      expect(ledger.seekTime(events[i]!.time!)).toBe(events[i]!.offset);
      const justAfter = new Date(Date.parse(events[i]!.time!) + 0.5).toISOString();
      if (i < events.length - 1 && Date.parse(justAfter) > Date.parse(events[i]!.time!)) expect(ledger.seekTime(justAfter)).toBe(events[i + 1]!.offset);
    }
    expect(ledger.seekTime('2000-01-01T00:00:00Z')).toBe(events[0]!.offset);
    expect(ledger.seekTime('2100-01-01T00:00:00Z')).toBeNull();
  });

  it('rejects bad queries with the field named', () => {
    expect(() => ledger.page({ query: { kinds: [] } })).toThrow(/bad page request: query\.kinds/);
    expect(() => ledger.page({ query: { since_seq: 3 } })).toThrow(/since_seq needs exactly one run/);
    expect(() => ledger.page({ query: { time_from: 'soon' } })).toThrow(/time_from: expected an ISO-8601 time/);
    // 2^53 + 1 reads as 2^53: no comparison with it could be exact, so neither is made.
    for (const value of [2 ** 53, -(2 ** 53), 1e20])
      expect(() => ledger.page({ query: { json_path: { path: '$.n', value } } })).toThrow(/json_path\.value: an integer beyond 2\^53 \(9007199254740991\) cannot be compared exactly/);
    expect(() => ledger.page({ query: { json_path: { path: '$.n', value: 2 ** 53 - 1 } } })).not.toThrow();
    expect(() => ledger.page({ query: { json_path: { path: '$.n', value: 1.5 } } })).not.toThrow();
    expect(() => ledger.page({ limit: 0 })).toThrow(/limit/);
    expect(() => ledger.page({ after: 1, before: 5 })).toThrow(/at most one of after, before, from_end/);
    expect(() => ledger.page({ query: { bogus: 1 } as Query })).toThrow(/bogus/);
  });
});

describe('generate', () => {
  it('writes exactly the events and runs asked for, the same for the same seed', () => {
    const d = tempDir();
    try {
      for (const [n, r] of [[1, 1], [7, 5], [500, 3], [3000, 40]] as const) {
        const a = path.join(d, `a-${n}-${r}.db`);
        const b = path.join(d, `b-${n}-${r}.db`);
        generateLedger(a, { events: n, runs: r, seed: 9 });
        generateLedger(b, { events: n, runs: r, seed: 9 });
        const la = Ledger.open(a, { cacheDir: d });
        const lb = Ledger.open(b, { cacheDir: d });
        expect(la.stats()).toMatchObject({ events: n, runs: r });
        expect([...la.iterate()]).toEqual([...lb.iterate()]);
        la.close();
        lb.close();
      }
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('views', () => {
  it('show a filter’s first rows before counting it, estimating the total until the numbering reaches the end', () => {
    const d = tempDir();
    try {
      const file = path.join(d, 'big.db');
      generateLedger(file, { events: 150_000, seed: 2 });
      const l = Ledger.open(file, { cacheDir: d });
      const q: Query = { exclude_kinds: ['log'] };
      const real = l.count(q);
      expect(real).toBeGreaterThan(100_000); // more than the two chunks read up front
      const all = [...l.iterateOffsets(q)];
      const v = new View(l, q);
      expect(v.exact).toBe(false);
      expect(Math.abs(v.total - real) / real).toBeLessThan(0.05);
      expect(v.rows(0, 5).map((e) => e.offset)).toEqual(all.slice(0, 5));
      expect(v.exact).toBe(false);
      // Asking for the last rows numbers the rest: the total becomes a count.
      expect(v.rows(real - 3, 10).map((e) => e.offset)).toEqual(all.slice(-3));
      expect(v.exact).toBe(true);
      expect(v.total).toBe(real);
      const late = new View(l, q);
      expect(late.positionOf(all[120_000]!)).toBe(120_000);
      l.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('number a gap-free ledger by arithmetic, and renumber when a window shows a gap', () => {
    const d = tempDir();
    try {
      const file = path.join(d, 'gaps.db');
      createCanonical(file);
      const w = Ledger.open(file, { cacheDir: d });
      w.append(Array.from({ length: 1000 }, (_, i) => ({ id: `e${i}`, run_id: `r${i % 3}`, kind: i % 10 ? 'tick' : 'node.failed' })));
      const l = Ledger.open(file, { cacheDir: d });
      const dense = new View(l);
      expect(dense.total).toBe(1000);
      expect(dense.rows(990, 20).map((e) => e.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 991 + i));
      const db = new Database(file);
      db.prepare('DELETE FROM events WHERE offset BETWEEN 500 AND 509').run();
      db.close();
      const v = new View(l);
      expect(v.total).toBe(1000); // not yet known: no count(*) was made
      expect(v.rows(495, 10).map((e) => e.offset)).toEqual([496, 497, 498, 499, 510, 511, 512, 513, 514, 515]);
      expect(v.total).toBe(990);
      expect(v.positionOf(505)).toBe(499);
      expect(v.rows(989, 5).map((e) => e.offset)).toEqual([1000]);
      // A filtered view numbers only its matches, and grows with the ledger.
      const f = new View(l, { kinds: ['node.failed'] });
      expect(f.total).toBe(99);
      expect(f.rows(0, 3).map((e) => e.offset)).toEqual([1, 11, 21]);
      w.append([{ id: 'late', run_id: 'r0', kind: 'node.failed' }]);
      f.refresh();
      expect(f.total).toBe(100);
      expect(f.rows(99, 1)[0]!.id).toBe('late');
      w.close();
      l.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
