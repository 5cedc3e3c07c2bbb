// A JSONL store opens progressively: its first rows while the cache index is still
// being built on another thread, every answer then equal to a fully indexed open, and
// a build that is cancelled, or killed with its process, never leaves a cache trusted.
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFileFor } from '../src/main/engine/base/cache.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { exportJsonl } from '../src/main/engine/copy/jsonl-export.ts';
import { readIndexState, sleep } from '../src/main/engine/jsonl/jsonl-index-state.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { CANONICAL_INDEXES } from '../src/main/engine/format/schema.ts';
import { seedLine, tempDir } from './fixtures.ts';

const BIN = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
let dir: string;
let folder: string;
let single: string;
let n = 0;
const freshCache = () => path.join(dir, `cache-${n++}`);

beforeAll(() => {
  dir = tempDir();
  const db = path.join(dir, 'gen.db');
  // Big enough that indexing takes a while (about 12 MB); small enough to stay quick.
  generateLedger(db, { events: 40_000, runs: 120, seed: 7 });
  const l = Ledger.open(db);
  folder = path.join(dir, 'store');
  exportJsonl(l, folder);
  l.close();
  single = path.join(dir, 'one.jsonl');
  for (const f of fs.readdirSync(folder).sort()) fs.appendFileSync(single, fs.readFileSync(path.join(folder, f)));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a user can see of a ledger: every event, the facets, the runs, the stats. */
function everything(l: Ledger) {
  const { indexing, ...stats } = l.stats();
  return { indexing, stats, events: [...l.iterate()], kinds: l.facets('kind'), actors: l.facets('actor'), runs: new Projector(l).runs() };
}

describe.each([
  ['a folder of stream files', () => folder],
  ['one file', () => single],
])('progressive open of %s', (_, store) => {
  it('shows rows before indexing ends, says how far it got, and ends equal to a fully indexed open', () => {
    const cacheDir = freshCache();
    const l = Ledger.open(store(), { cacheDir, progressive: true });
    const first = l.page({ limit: 50 });
    expect(first.events).toHaveLength(50);
    expect(first.indexing).toMatchObject({ percent: expect.any(Number) });
    expect(first.indexing!.percent).toBeLessThan(100);
    expect(first.indexing!.indexed_events).toBeLessThan(40_000);
    // Answers meanwhile cover what is indexed, and say so.
    const partial = l.stats();
    expect(partial.indexing).toBeDefined();
    expect(partial.events).toBeLessThan(40_000);
    l.waitIndexed();
    expect(l.indexing()).toBeNull();
    expect(l.page({ limit: 1 }).indexing).toBeUndefined();
    const full = Ledger.open(store(), { cacheDir: freshCache() });
    const want = everything(full);
    expect(want.stats.events).toBe(40_000);
    const got = everything(l);
    expect(got.indexing).toBeUndefined();
    expect({ ...got.stats, path: '' }).toEqual({ ...want.stats, path: '' });
    expect(got.kinds).toEqual(want.kinds);
    expect(got.actors).toEqual(want.actors);
    expect(got.runs).toEqual(want.runs);
    expect(got.events).toEqual(want.events);
    expect(l.page({ limit: 50 }).events).toEqual(first.events.map((e) => ({ ...e })));
    full.close();
    l.close();
    // Reopening the unchanged store reuses the index: no build, no indexing state.
    const again = Ledger.open(store(), { cacheDir, progressive: true });
    expect(again.indexing()).toBeNull();
    expect(again.identity).toBe(l.identity);
    again.close();
  });
});

describe('the estimate while indexing', () => {
  it('of a store of many small stream files comes from the lines written, not the next line read ahead in each file', () => {
    const db = path.join(dir, 'many.db');
    generateLedger(db, { events: 40_000, runs: 2_000, seed: 9 });
    const l = Ledger.open(db);
    const many = path.join(dir, 'many-store');
    exportJsonl(l, many);
    l.close();
    expect(fs.readdirSync(many)).toHaveLength(2_000);
    const opened = Ledger.open(many, { cacheDir: freshCache(), progressive: true });
    const { indexing } = opened.page({ limit: 50 });
    // Counted with the 2,000 lines read ahead, the first thousand rows looked like a third of the store.
    expect(indexing?.estimated_events).toBeGreaterThan(40_000 * 0.8);
    expect(indexing?.estimated_events).toBeLessThan(40_000 * 1.25);
    opened.close();
  });
});

describe('an interrupted indexing', () => {
  it('closed while indexing: the build stops and removes its file, and the next open rebuilds it whole', () => {
    const cacheDir = freshCache();
    const l = Ledger.open(folder, { cacheDir, progressive: true });
    expect(l.indexing()).not.toBeNull();
    l.close();
    const cacheFile = cacheFileFor(cacheDir, folder, 'jsonl');
    expect(fs.existsSync(cacheFile)).toBe(false);
    const next = Ledger.open(folder, { cacheDir });
    expect(next.indexing()).toBeNull();
    expect(next.stats().events).toBe(40_000);
    next.close();
  });

  it('killed with its process (kill -9): the next open sees the builder is gone and rebuilds; results equal a full open', async () => {
    const cacheDir = freshCache();
    const cacheFile = cacheFileFor(cacheDir, folder, 'jsonl');
    // A real CLI process, which waits for the whole index before it exits.
    const child = spawn(process.execPath, [BIN, '--cache-dir', cacheDir, 'query', folder, '--limit', '1'], { stdio: 'ignore' });
    try {
      for (let st = readIndexState(cacheFile); !(st && st.indexedBytes > 0); st = readIndexState(cacheFile)) {
        expect(child.exitCode).toBeNull();
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const left = readIndexState(cacheFile);
    expect(left).toMatchObject({ state: 'building', pid: child.pid });
    const l = Ledger.open(folder, { cacheDir, progressive: true });
    expect(readIndexState(cacheFile)!.build).not.toBe(left!.build);
    l.waitIndexed();
    const full = Ledger.open(folder, { cacheDir: freshCache() });
    const got = everything(l);
    const want = everything(full);
    expect(got.events).toEqual(want.events);
    expect(got.runs).toEqual(want.runs);
    full.close();
    l.close();
  });

  it('killed after its rows, before its secondary indexes: the next open only builds the indexes', () => {
    const cacheDir = freshCache();
    const cacheFile = cacheFileFor(cacheDir, folder, 'jsonl');
    Ledger.open(folder, { cacheDir }).close();
    // The file as a builder killed between its last row and its indexes leaves it.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const db = new Database(cacheFile);
    for (const name of db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx_%'").pluck().all() as string[]) db.exec(`DROP INDEX ${name}`);
    db.prepare("UPDATE jsonl_meta SET value = 'rows' WHERE key = 'state'").run();
    db.prepare("UPDATE jsonl_meta SET value = ? WHERE key = 'pid'").run(String(gone));
    db.close();
    const build = readIndexState(cacheFile)!.build;
    const l = Ledger.open(folder, { cacheDir, progressive: true });
    expect(l.indexing()).toBeNull();
    expect(readIndexState(cacheFile)).toMatchObject({ state: 'complete', build });
    const indexes = l.sqlite.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY 1").pluck().all();
    expect(indexes).toEqual(CANONICAL_INDEXES.map((sql) => /INDEX IF NOT EXISTS (\w+)/.exec(sql)![1]).sort());
    expect(l.stats().events).toBe(40_000);
    l.close();
  });

  it('a second opener while a build is under way follows it instead of starting another', () => {
    const cacheDir = freshCache();
    const owner = Ledger.open(folder, { cacheDir, progressive: true });
    const build = readIndexState(cacheFileFor(cacheDir, folder, 'jsonl'))!.build;
    const follower = Ledger.open(folder, { cacheDir });
    expect(follower.identity).toBe(`jsonl:${build}`);
    expect(follower.indexing()).toBeNull();
    expect(follower.stats().events).toBe(40_000);
    follower.close();
    owner.close();
  });

  it('lines a file gains while it is indexed are all taken in', () => {
    const store = path.join(dir, 'growing');
    fs.cpSync(folder, store, { recursive: true });
    const cacheDir = freshCache();
    const l = Ledger.open(store, { cacheDir, progressive: true });
    const file = path.join(store, fs.readdirSync(store).sort()[0]!);
    fs.appendFileSync(file, seedLine('late-run', 'late.event', { n: 1 }, 2e9));
    l.waitIndexed();
    // Read by the build, or else taken in by the first refresh once the build has finished its indexes.
    const cacheFile = cacheFileFor(cacheDir, store, 'jsonl');
    while (readIndexState(cacheFile)?.state !== 'complete') sleep(20);
    l.refresh();
    expect([...l.iterate({ kinds: ['late.event'] })]).toHaveLength(1);
    expect(l.stats().events).toBe(40_001);
    l.close();
  });
});
