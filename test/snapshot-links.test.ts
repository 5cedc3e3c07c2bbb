// A ledger opened through a symbolic link: SQLite reads the target's -wal and -shm, and
// so must the snapshot, even with a crashed writer's stale sidecars beside the link.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { fullSnapshot } from '../src/main/engine/copy/snapshot.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('snapshots a linked WAL ledger with every committed row, whatever lies beside the link', async () => {
  fs.mkdirSync(path.join(dir, 'real'));
  fs.mkdirSync(path.join(dir, 'links'));
  const real = path.join(dir, 'real', 'ledger.db');
  createCanonical(real);
  // A writer that keeps its commits in the WAL: no checkpoint while it stays open.
  const writer = new Database(real);
  writer.pragma('wal_autocheckpoint = 0');
  const ins = writer.prepare("INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES (?, 'r', 0, 'k', 'a', '{}', '2026-01-01T00:00:00Z', ?)");
  for (let i = 1; i <= 50; i++) ins.run(`e${i}`, i);
  expect(fs.statSync(`${real}-wal`).size).toBeGreaterThan(0);
  const link = path.join(dir, 'links', 'ledger.db');
  fs.symlinkSync(real, link);
  // A crashed writer's leftovers beside the link: an empty WAL and a zeroed index.
  fs.writeFileSync(`${link}-wal`, '');
  fs.writeFileSync(`${link}-shm`, Buffer.alloc(32768));
  const l = Ledger.open(link, { cacheDir: path.join(dir, 'cache') });
  expect(l.path).toBe(link);
  const dest = path.join(dir, 'snap.db');
  const res = await fullSnapshot(l, dest);
  expect(res.walFrames).toBeGreaterThan(0);
  l.close();
  writer.close();
  const snap = new Database(dest, { readonly: true });
  expect(snap.prepare('SELECT count(*) FROM events').pluck().get()).toBe(50);
  expect(snap.pragma('integrity_check', { simple: true })).toBe('ok');
  snap.close();
});
