// A fold on several threads (runs split by ranges of ids) equals the fold on one, run for run and in order.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunState } from '../src/shared/projection.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { foldBounds, foldInParallel, foldInto } from '../src/main/engine/derive/fold-partition.ts';
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

  it('hears a cancel while its threads fold', () => {
    const file = path.join(dir, 'gen.db');
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const last = l.lastOffset()!;
    expect(() => foldInParallel(l, foldBounds(l, 1, last, 2), last, { signal: { aborted: true } })).toThrow(/cancelled/);
    l.close();
  });
});
