// Caches (run projections, the search index, a JSONL store's index) follow the
// content they were made from: a file replaced by one with the same first ids, or a
// JSONL file rewritten in place, never shows the old state.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { scanPage, TextIndex } from '../src/main/engine/derive/text-index.ts';
import { seedLine, tempDir } from './fixtures.ts';

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = path.join(dir, 'cache');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs and search hits through the caches, as a session that built them sees them. */
function throughCaches(file: string, needle: string) {
  const l = Ledger.open(file, { cacheDir });
  const runs = new Projector(l).runs();
  const text = new TextIndex(l);
  text.build();
  const hits = text.search({ limit: 10_000, query: { text: needle } });
  const truth = scanPage(l, { limit: 10_000, query: { text: needle } }).events.map((e) => e.offset);
  text.close();
  l.close();
  // The same ledger with no cache at all.
  const fresh = Ledger.open(file, { cacheDir: path.join(dir, `fresh-${Math.random()}`) });
  expect(runs).toEqual(new Projector(fresh).runs());
  fresh.close();
  expect(hits.events.map((e) => e.offset)).toEqual(truth);
  return { runs: runs.length, indexed: hits.indexed, hits: truth.length };
}

describe('caches keyed on content', () => {
  it('a SQLite ledger replaced by generate --force with the same first ids shows its own runs and search hits', () => {
    const file = path.join(dir, 'gen.db');
    generateLedger(file, { events: 1500, runs: 5, seed: 1 });
    const before = throughCaches(file, 'timeout');
    expect(before.runs).toBe(5);
    generateLedger(file, { events: 6000, runs: 20, seed: 1, overwrite: true });
    const after = throughCaches(file, 'timeout');
    expect(after).toMatchObject({ runs: 20, indexed: true });
    expect(after.hits).toBeGreaterThan(before.hits);
  });

  it('a SQLite ledger overwritten in place (same inode, other rows) is refolded', () => {
    const file = path.join(dir, 'gen.db');
    const other = path.join(dir, 'other.db');
    generateLedger(file, { events: 1500, runs: 5, seed: 1 });
    generateLedger(other, { events: 3000, runs: 12, seed: 1 });
    expect(throughCaches(file, 'timeout').runs).toBe(5);
    const ino = fs.statSync(file).ino;
    fs.copyFileSync(other, file);
    expect(fs.statSync(file).ino).toBe(ino);
    const after = throughCaches(file, 'timeout');
    expect(after.runs).toBe(12);
  });

  it('a JSONL file rewritten in place (same inode, longer) is indexed again, not extended', () => {
    const file = path.join(dir, 'store.jsonl');
    const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => seedLine(`${prefix}-${i % 3}`, `${prefix}.kind`, { i }, i + 1)).join('');
    fs.writeFileSync(file, lines('old', 30));
    const first = Ledger.open(file, { cacheDir });
    expect(new Projector(first).runs().map((r) => r.run_id).sort()).toEqual(['old-0', 'old-1', 'old-2']);
    first.close();
    const ino = fs.statSync(file).ino;
    fs.writeFileSync(file, lines('new', 40));
    expect(fs.statSync(file).ino).toBe(ino);
    const l = Ledger.open(file, { cacheDir });
    const events = [...l.iterate()];
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['new.kind']));
    expect(new Projector(l).runs().map((r) => r.run_id).sort()).toEqual(['new-0', 'new-1', 'new-2']);
    l.close();
  });

  it('a JSONL file that only grew is extended, and its caches are kept', () => {
    const file = path.join(dir, 'store.jsonl');
    fs.writeFileSync(file, seedLine('a', 'x', {}, 1));
    const first = Ledger.open(file, { cacheDir });
    new Projector(first).runs();
    const identity = first.identity;
    first.close();
    fs.appendFileSync(file, seedLine('b', 'y', {}, 2));
    const l = Ledger.open(file, { cacheDir });
    expect(l.identity).toBe(identity);
    expect([...l.iterate()].map((e) => e.kind)).toEqual(['x', 'y']);
    expect(new Projector(l).runs().map((r) => r.run_id)).toEqual(['a', 'b']);
    l.close();
  });
});
