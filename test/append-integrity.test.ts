// What an append must never do: merge distinct ids, change a file it then refuses,
// race a concurrent first append, number a seed-written run from 1 again, or leave
// the ledger and its mirror disagreeing.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { fingerprint, tempDir, writeSeed004 } from './fixtures.ts';

let dir: string;
let file: string;
const cacheDir = () => path.join(dir, 'cache');
beforeEach(() => {
  dir = tempDir();
  file = path.join(dir, 'ledger.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const ids = (l: Ledger) => [...l.iterate()].map((e) => e.id);
/** The rollback-journal seed file: the seed's Python code writes it so when it does not ask for WAL. */
function seedFile(events = 3): void {
  writeSeed004(file, Array.from({ length: events }, (_, i) => ({ id: `p${i + 1}`, run_id: 'r1', kind: i ? 'node.started' : 'run.started' })));
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.close();
}
/** Everything a reader can see of the file: its schema, its rows and its journal mode. */
function dump(f: string): string {
  const db = new Database(f, { readonly: true });
  try {
    const schema = db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    const rows = db.prepare('SELECT * FROM events ORDER BY offset').all();
    return JSON.stringify({ schema, rows, mode: db.pragma('journal_mode', { simple: true }) });
  } finally {
    db.close();
  }
}

describe('lone surrogates', () => {
  it('are refused in ids, run ids and kinds, so distinct events never merge', () => {
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    l.append([{ id: 's', run_id: 'r', kind: 'k' }]);
    for (const bad of [{ id: 's\ud800', run_id: 'r', kind: 'k' }, { id: 's\udbff', run_id: 'r', kind: 'k' }, { id: 'x', run_id: 'r\udc00', kind: 'k' }, { id: 'y', run_id: 'r', kind: 'k\ud83d' }])
      expect(() => l.append([bad])).toThrow(/lone UTF-16 surrogate/);
    // Every text field is looked at, and the error names the one.
    for (const field of ['id', 'run_id', 'kind', 'actor', 'session_id', 'model_profile', 'model_id'])
      expect(() => l.append([{ id: 'z', run_id: 'r', kind: 'k', [field]: 'v\udc00' }]), field).toThrow(new RegExp(`event 1.*: ${field}: has a lone UTF-16 surrogate`));
    // A well-formed pair (an emoji) is text like any other, and a surrogate inside a payload is kept as its escape.
    l.append([{ id: 's\ud83d\ude00', run_id: 'r', kind: 'k', payload: { v: 'a\ud800b' } }]);
    expect(ids(l)).toEqual(['s', 's😀']);
    expect(JSON.parse(l.event(2)!.payload).v).toBe('a\ud800b');
    l.close();
  });
});

describe('lone surrogates in a JSONL store', () => {
  it('skip the line with a warning naming file and line, so two such ids never become one event', () => {
    const store = path.join(dir, 'store');
    fs.mkdirSync(store);
    const line = (id: string) => `{"ts": 1770000000, "stream": "s", "event": "k", "payload": {}, "id": "${id}"}\n`;
    fs.writeFileSync(path.join(store, 's.jsonl'), line('a') + line('s\\ud800') + line('s\\udbff') + line('b'));
    const l = Ledger.open(store, { cacheDir: cacheDir() });
    expect(ids(l)).toEqual(['a', 'b']);
    expect(l.warnings.join('\n')).toMatch(/s\.jsonl:2: "id" has a lone UTF-16 surrogate/);
    expect(l.warnings.join('\n')).toMatch(/s\.jsonl:3: /);
    l.close();
  });

  it('say where a line is not JSON, never what it holds', () => {
    const store = path.join(dir, 'passwd.jsonl');
    fs.writeFileSync(store, 'root:x:0:0:root:/root:/bin/bash\n{"ts": 1770000000, "stream": "s", "event": "k", "payload": {}}\n');
    const l = Ledger.open(store, { cacheDir: cacheDir() });
    expect(l.warnings.join('\n')).toMatch(/passwd\.jsonl:1: invalid JSON \(an unexpected character\); line skipped/);
    expect(l.warnings.join('\n')).not.toContain('root:x');
    l.close();
  });
});

describe('a rejected append changes nothing', () => {
  it('leaves a seed-written file byte for byte as it was: no seq column, no index, no journal mode change', () => {
    seedFile();
    const before = fingerprint(file);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    expect(() => l.append([{ id: 'ok', run_id: 'r1', kind: 'k' }, { run_id: '', kind: 'k' }])).toThrow(/event 2/);
    expect(() => l.append([{ id: 'big', run_id: 'r1', kind: 'k', payload: { s: 'x'.repeat(2000) } }], { maxPayloadBytes: 100 })).toThrow(/over the limit/);
    l.close();
    expect(fingerprint(file)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('ledger.db'))).toEqual(['ledger.db']);
  });

  it('keeps the file unchanged when the file is corrupt', () => {
    seedFile(400);
    // Damage a page in the middle of the table (not the header, so the file still opens).
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096 * 3);
    fs.closeSync(fd);
    const before = fingerprint(file);
    let error: unknown;
    try {
      const l = Ledger.open(file, { cacheDir: cacheDir() });
      try {
        l.append([{ id: 'new', run_id: 'r1', kind: 'k' }]);
      } finally {
        l.close();
      }
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/corrupt|malformed/);
    expect(fingerprint(file)).toEqual(before);
  });

  it('keeps the journal mode of the ledger on a successful append', () => {
    seedFile();
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    l.append([{ id: 'n', run_id: 'r1', kind: 'k' }]);
    l.close();
    expect(JSON.parse(dump(file)).mode).toBe('delete');
  });
});

describe('concurrent first appends to a seed-written file', () => {
  it('add the seq column once, lose nothing, and number every run gap-free', async () => {
    seedFile(5);
    const worker = path.join(import.meta.dirname, 'helpers/append-worker.ts');
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [worker, file, name, '20', '5'], { stdio: ['ignore', 'inherit', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${err}`))));
      });
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map(run));
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const events = [...l.iterate()];
    expect(events).toHaveLength(5 + 4 * 20 * 5);
    // The 5 seed rows of r1 keep no stored seq; every appended row's seq is its position in its run.
    const pos = new Map<string, number>();
    for (const e of events) {
      const n = (pos.get(e.run_id) ?? 0) + 1;
      pos.set(e.run_id, n);
      expect(e.seq).toBe(e.id.startsWith('p') ? null : n);
    }
    l.close();
  });
});

describe('seq on a ledger written before it had a seq column', () => {
  it('is the position in the run, for appends and for since_seq alike', () => {
    seedFile(27);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const res = l.append([{ id: 'n28', run_id: 'r1', kind: 'k' }, { id: 'n1', run_id: 'r-new', kind: 'k' }]);
    expect(res.results).toMatchObject([{ seq: 28 }, { seq: 1 }]);
    const since = (n: number) => l.page({ query: { runs: ['r1'], since_seq: n }, limit: 100 }).events.map((e) => e.id);
    expect(since(0)).toHaveLength(28);
    expect(since(-5)).toHaveLength(28);
    expect(since(26)).toEqual(['p27', 'n28']);
    expect(since(27)).toEqual(['n28']);
    expect(since(28)).toEqual([]);
    expect(l.page({ query: { runs: ['r-new'], since_seq: 0 } }).events.map((e) => e.id)).toEqual(['n1']);
    l.close();
  });
});

describe('append --mirror', () => {
  it('refuses a batch its mirror cannot take, before anything is committed', () => {
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const mirror = path.join(dir, 'mirror');
    l.append([{ id: 'a', run_id: 'r', kind: 'k' }], { mirrorDir: mirror });
    const longRun = 'r'.repeat(300);
    expect(() => l.append([{ id: 'b', run_id: 'r', kind: 'k' }, { id: 'c', run_id: longRun, kind: 'k' }], { mirrorDir: mirror })).toThrow(
      /mirror cannot take this batch.*name is too long/,
    );
    const blocked = path.join(dir, 'blocked');
    fs.writeFileSync(blocked, 'a file, not a folder');
    expect(() => l.append([{ id: 'd', run_id: 'r', kind: 'k' }], { mirrorDir: blocked })).toThrow(/file stands where the mirror folder should be/);
    expect(ids(l)).toEqual(['a']);
    expect(fs.readFileSync(path.join(mirror, 'r.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x).id)).toEqual(['a']);
    l.close();
  });

  // A full disk, for real: a 64 KiB tmpfs, which only root can mount (CI runs as root).
  it.runIf(process.getuid?.() === 0)('takes back what it wrote when the disk fills mid-batch, and commits nothing', () => {
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: cacheDir() });
    const mirror = path.join(dir, 'mirror');
    fs.mkdirSync(mirror);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mirror]);
    try {
      l.append([{ id: 'a', run_id: 'r1', kind: 'k' }, { id: 'b', run_id: 'r2', kind: 'k' }], { mirrorDir: mirror });
      const sizes = () => fs.readdirSync(mirror).sort().map((f) => [f, fs.statSync(path.join(mirror, f)).size]);
      const before = sizes();
      // r1's lines fit, r2's do not: r1's file must be cut back when r2's write fails.
      const batch = [
        { id: 'c', run_id: 'r1', kind: 'k', payload: { s: 'x'.repeat(20_000) } },
        { id: 'd', run_id: 'r2', kind: 'k', payload: { s: 'y'.repeat(200_000) } },
      ];
      expect(() => l.append(batch, { mirrorDir: mirror })).toThrow(/mirror cannot take this batch.*disk is full/);
      expect(sizes()).toEqual(before);
      expect(ids(l)).toEqual(['a', 'b']);
    } finally {
      l.close();
      execFileSync('umount', [mirror]);
    }
  });
});
