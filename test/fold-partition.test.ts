// A fold on several threads (runs split by ranges of ids) equals the fold on one, run for run and in order.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, type RunState } from '../src/shared/projection.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { foldBounds, foldInParallel, foldInto, foldThreads, PARALLEL_FROM_OFFSETS } from '../src/main/engine/derive/fold-partition.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { cacheFileFor } from '../src/main/engine/base/cache.ts';
import { foldRows } from '../src/main/engine/derive/fold-task.ts';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const oneThread = (l: Ledger) => {
  const states = new Map<string, RunState>();
  foldInto(l, states, { after: null, upto: l.lastOffset()! }, null, () => {});
  return states;
};

/** The fold of every event as the reader gives them, the rule the SQLite fold's shortcuts must keep. */
const everyEvent = (l: Ledger, after: number | null, upto: number, states = new Map<string, RunState>()) => {
  foldRows(l.iterate({ offset_to: upto }, after ?? undefined), states, l.rules, () => {});
  return states;
};

describe('fold of a SQLite ledger, which reads only the events it needs', () => {
  it('equals folding every event, from scratch and extended, on a generated ledger and under own rules', () => {
    const file = path.join(dir, 'sparse-gen.db');
    generateLedger(file, { events: 20_000, runs: 300, seed: 5 });
    const rules = { kinds: [{ match: 'tool_call', entity: 'node' as const, transition: 'running' as const }], node: '$.tool' };
    for (const opts of [{}, { rules }]) {
      const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache'), ...opts });
      const last = l.lastOffset()!;
      const expected = everyEvent(l, null, last);
      // Some runs' meta fields are found past their first event, and some never: the search for them is exercised.
      expect([...expected.values()].some((s) => s.missing.length)).toBe(true);
      expect([...oneThread(l)]).toEqual([...expected]);
      // Extended: folded to a middle offset, then on from there, as a growing ledger is.
      const half = new Map<string, RunState>();
      foldInto(l, half, { after: null, upto: 7_777 }, null, () => {});
      expect([...half]).toEqual([...everyEvent(l, null, 7_777)]);
      foldInto(l, half, { after: 7_777, upto: last }, null, () => {});
      expect([...half]).toEqual([...expected]);
      l.close();
    }
  });

  it('takes each meta field from the first event that carries it, whatever its kind, and counts events it never reads', () => {
    const file = path.join(dir, 'sparse-meta.db');
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const long = 'x'.repeat(400);
    const events: Array<{ run_id: string; kind: string; payload?: object }> = [
      // a: the first carrier is a log before run.started, which names another value.
      { run_id: 'a', kind: 'log', payload: { note: 'hello' } },
      { run_id: 'a', kind: 'log', payload: { workflow_id: 'from-log' } },
      { run_id: 'a', kind: 'run.started', payload: { workflow_id: 'from-start', version: 'v1', schedule_id: null } },
      // b: run.started names schedule_id as null; a tool call later carries it, then a node event names another.
      { run_id: 'b', kind: 'run.started', payload: { workflow_id: 'w', version: 2, schedule_id: null } },
      { run_id: 'b', kind: 'tool_call', payload: { schedule_id: '', note: 'empty does not count' } },
      { run_id: 'b', kind: 'tool_call', payload: { schedule_id: 'nightly' } },
      { run_id: 'b', kind: 'node.started', payload: { node_id: 'n', schedule_id: 'later' } },
      // c: only chatter, one long payload carrying a field and one whose text names it only inside a value.
      { run_id: 'c', kind: 'metric', payload: { text: 'the "version" key is not here' } },
      { run_id: 'c', kind: 'metric', payload: { blob: long, version: 'long' } },
      { run_id: 'c', kind: 'metric', payload: { workflow_id: { nested: 'not a string' } } },
      { run_id: 'a', kind: 'node.completed', payload: { node_id: 'm' } },
      { run_id: 'b', kind: 'run.completed' },
    ];
    l.append(events.map((e, i) => ({ id: `m${i}`, created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), ...e })));
    const last = l.lastOffset()!;
    const got = oneThread(l);
    expect([...got]).toEqual([...everyEvent(l, null, last)]);
    const meta = [...got.values()].map((s) => [s.run.run_id, s.run.workflow_id, s.run.version, s.run.schedule_id, s.run.event_count, s.run.started_at, s.run.last_offset]);
    expect(meta).toEqual([
      ['a', 'from-log', 'v1', null, 4, '2026-01-01T00:00:00.000Z', 11],
      ['b', 'w', '2', 'nightly', 5, '2026-01-01T00:00:03.000Z', 12],
      ['c', null, 'long', null, 3, '2026-01-01T00:00:07.000Z', 10],
    ]);
    // Extended one event at a time, each fold a range of its own.
    const stepwise = new Map<string, RunState>();
    for (let o = 1; o <= last; o++) foldInto(l, stepwise, { after: o - 1, upto: o }, null, () => {});
    expect([...stepwise]).toEqual([...got]);
    expect(DEFAULT_RULES.read('metric').entity).toBeNull();
    l.close();
  });

  it('hears its caller while it looks for a meta field that chatter names but never gives, with no event of a read kind to fold', () => {
    const file = path.join(dir, 'sparse-chatter.db');
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    l.append(Array.from({ length: 10_000 }, (_, i) => ({ id: `c${i}`, run_id: 'r', kind: 'log', payload: { workflow_id: null, line: i } })));
    // Every 4,096th payload read for it reaches onEvent, where a cancel is heard.
    let heard = 0;
    foldInto(l, new Map(), { after: null, upto: l.lastOffset()! }, null, () => heard++);
    expect(heard).toBe(2);
    l.close();
  });
});

describe('fold on several threads', () => {
  it('equals the fold on one thread, on a generated ledger with failures and retries, for 2, 3 and 4 threads', () => {
    const file = path.join(dir, 'gen.db');
    generateLedger(file, { events: 30_000, runs: 400, seed: 21 });
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const last = l.lastOffset()!;
    const expected = oneThread(l);
    const all = [...expected.values()];
    // The ledger exercises what the fold does: failed runs, and failed attempts that were retried.
    expect(all.some((s) => s.run.status === 'failed')).toBe(true);
    expect(all.some((s) => s.node_runs.some((n) => n.retried && n.status === 'failed'))).toBe(true);
    for (const threads of [2, 3, 4]) {
      const bounds = foldBounds(l, 1, last, threads);
      expect(bounds).toHaveLength(threads - 1);
      const got = foldInParallel(l, bounds, last);
      expect([...got.keys()]).toEqual([...expected.keys()]);
      expect([...got]).toEqual([...expected]);
      // Bounds out of order still give each run exactly one range.
      expect([...foldInParallel(l, [...bounds].reverse(), last)]).toEqual([...expected]);
    }
    l.close();
  });

  it('gives each run one range whatever its ids are: integers, text and none, under a mapping', () => {
    const file = path.join(dir, 'mixed.db');
    const db = new Database(file);
    db.exec('CREATE TABLE log (pk INTEGER PRIMARY KEY, job, what TEXT, at TEXT, body TEXT)');
    const ins = db.prepare('INSERT INTO log (job, what, at, body) VALUES (?, ?, ?, ?)');
    const jobs = [1, 2, 10, 'a', 'b', 'B', 'é', null, '2'];
    const kinds = ['job.started', 'stage.started', 'tool_call', 'stage.failed', 'stage.started', 'stage.done', 'job.done'];
    for (let i = 0; i < 700; i++) ins.run(jobs[i % jobs.length], kinds[Math.floor(i / jobs.length) % kinds.length], new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), JSON.stringify({ stage: `s${i % 3}` }));
    db.close();
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache'), mapping: { table: 'log', order: 'pk', run: 'job', kind: 'what', time: 'at', payload: 'body' } });
    const expected = oneThread(l);
    expect(expected.size).toBe(jobs.length);
    for (const bounds of [[2, 'b'], ['a', 1], ['2'], [10, 'B', 'é']]) expect([...foldInParallel(l, bounds, l.lastOffset()!)], JSON.stringify(bounds)).toEqual([...expected]);
    l.close();
  });

  it("equals the fold on one thread under a ledger's own rules, which each thread compiles for itself", () => {
    const file = path.join(dir, 'gen.db');
    // Tool calls become node attempts named by their tool, logs end them: a fold the word tables alone would not give.
    const rules = { kinds: [{ match: 'tool_call', entity: 'node' as const, transition: 'running' as const }, { match: '/^log$/', entity: 'node' as const, transition: 'completed' as const }], node: '$.tool' };
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache'), rules });
    const last = l.lastOffset()!;
    const expected = oneThread(l);
    const plain = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    expect([...expected.values()].map((s) => s.node_runs.length)).not.toEqual([...oneThread(plain).values()].map((s) => s.node_runs.length));
    plain.close();
    expect([...foldInParallel(l, foldBounds(l, 1, last, 2), last)]).toEqual([...expected]);
    l.close();
  });

  it("caches a fold from scratch on every core for the next session, or nothing where it is cancelled, whenever the cancel comes", () => {
    const file = path.join(dir, 'big.db');
    generateLedger(file, { events: PARALLEL_FROM_OFFSETS + 5_000, runs: 600, seed: 8 });
    const cacheDir = path.join(dir, 'projector-cache');
    const open = () => Ledger.open(file, { cacheDir });
    const l = open();
    expect(foldThreads(l, l.lastOffset()! - 1)).toBeGreaterThan(1);
    const expected = [...oneThread(l).values()].map((s) => s.run).sort((a, b) => a.first_offset - b.first_offset);
    const cache = cacheFileFor(cacheDir, l.path, 'runs');
    const cachedRuns = () => {
      if (!fs.existsSync(cache)) return 0;
      const db = new Database(cache, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM runs').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    const nextSession = () => {
      const next = open();
      try {
        return new Projector(next).runs();
      } finally {
        next.close();
      }
    };
    // A cancel at each check in turn (the last ones while this thread waits for the others, its own runs written):
    // either it is heard and nothing is cached, or it came too late and the whole fold is.
    let checks = 0;
    expect(new Projector(l).runs({ signal: { get aborted() { return !++checks; } } })).toEqual(expected);
    expect(cachedRuns()).toBe(expected.length);
    for (let at = 1; at <= checks + 1; at++) {
      fs.rmSync(cacheDir, { recursive: true, force: true });
      let n = 0;
      const signal = { get aborted() { return ++n >= at; } };
      let heard = false;
      try {
        expect(new Projector(l).runs({ signal })).toEqual(expected);
      } catch (e) {
        expect(String(e)).toMatch(/cancelled/);
        heard = true;
      }
      if (at === 1) expect(heard).toBe(true);
      expect(cachedRuns(), `cancel at check ${at} of ${checks}`).toBe(heard ? 0 : expected.length);
      expect(nextSession()).toEqual(expected);
    }
    l.close();
    // The next session reads the cache rather than the events: a doctored cached field shows.
    const db = new Database(cache);
    const first = expected[0]!.run_id;
    const state = JSON.parse(db.prepare('SELECT state FROM runs WHERE run_id = ?').pluck().get(first) as string);
    state.run.workflow_id = 'from-cache';
    db.prepare('UPDATE runs SET state = ? WHERE run_id = ?').run(JSON.stringify(state), first);
    db.close();
    expect(nextSession()).toEqual([{ ...expected[0]!, workflow_id: 'from-cache' }, ...expected.slice(1)]);
  });

  it('hears a cancel while its threads fold', () => {
    const file = path.join(dir, 'gen.db');
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const last = l.lastOffset()!;
    expect(() => foldInParallel(l, foldBounds(l, 1, last, 2), last, { signal: { aborted: true } })).toThrow(/cancelled/);
    l.close();
  });
});
