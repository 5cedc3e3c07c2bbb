// Writes a corpus of bad ledgers into a folder: the files a user's disk really holds
// when something went wrong (empty, random, cut short, damaged, a crashed writer's
// journal or WAL, the wrong thing under the right name, JSONL lines no writer should
// have written). The adversarial tests run every command over every one of them.
//   node scripts/bad-ledgers.ts <folder>
import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { generateLedger } from '../src/main/engine/write/generate.ts';

/** A random generator seeded by the entry's name, so the corpus is the same on every machine. */
function bytes(name: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  let block = crypto.createHash('sha256').update(name).digest();
  for (let i = 0; i < n; i += block.length) {
    block.copy(out, i);
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

const line = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;
const good = (i: number) => line({ ts: 1_770_000_000 + i, stream: 's', event: 'step.started', payload: { i } });

export function writeBadLedgers(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const valid = at('.valid.db');
  generateLedger(valid, { events: 300, runs: 3, seed: 7 });
  const size = fs.statSync(valid).size;

  fs.writeFileSync(at('empty.db'), '');
  fs.writeFileSync(at('random.db'), bytes('random', 65536));
  fs.writeFileSync(at('truncated.db'), fs.readFileSync(valid).subarray(0, Math.floor(size / 2)));
  fs.writeFileSync(at('header-only.db'), fs.readFileSync(valid).subarray(0, 100));
  new Database(at('no-tables.db')).exec('PRAGMA user_version = 1').close();
  new Database(at('other-schema.db')).exec("CREATE TABLE users (name TEXT, email TEXT); INSERT INTO users VALUES ('a', 'b')").close();

  fs.copyFileSync(valid, at('damaged-page.db'));
  const fd = fs.openSync(at('damaged-page.db'), 'r+');
  fs.writeSync(fd, bytes('damage', 8192), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
  fs.closeSync(fd);

  // A writer killed mid-transaction, in rollback-journal mode: its hot journal stays beside the file.
  fs.copyFileSync(valid, at('hot-journal.db'));
  const rollback = new Database(at('hot-journal.db'));
  rollback.pragma('journal_mode = DELETE');
  rollback.close();
  spawnSync(process.execPath, [
    '-e',
    `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))}); const db = new D(${JSON.stringify(at('hot-journal.db'))});
     db.pragma('cache_size = 1'); db.exec('BEGIN'); db.exec("UPDATE events SET payload = '{}'"); process.kill(process.pid, 'SIGKILL');`,
  ]);

  // A WAL of random bytes beside a WAL-mode file: what a disk error or a bad copy leaves.
  fs.copyFileSync(valid, at('garbage-wal.db'));
  fs.writeFileSync(at('garbage-wal.db-wal'), bytes('wal', 40_000));

  // Ordered by 64-bit ids (Snowflake-style): offsets far apart, where counts in offset windows once made billions
  // of windows; and past 2^53, where numbers run together.
  for (const [name, jump] of [['sparse-offsets.db', 9007199254740000], ['past-2-53.db', 9007199254741000]] as const) {
    fs.copyFileSync(valid, at(name));
    new Database(at(name)).exec(`UPDATE events SET offset = offset + ${jump} WHERE offset > 290`).close();
  }

  // The canonical table's columns without its NOT NULLs or types, as other code writes them: NULL and BLOB values.
  new Database(at('loose-canonical.db'))
    .exec(
      `CREATE TABLE events (offset INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, run_id TEXT, turn INTEGER, kind TEXT, actor TEXT, payload, created_at TEXT, seq INTEGER);
       INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES
         ('e1', 'r1', 1, 'run.started', 'a', '{}', '2026-01-01T00:00:00Z', 1), ('e2', 'r1', 2, 'log', 'a', NULL, '2026-01-01T00:00:01Z', 2),
         ('e3', 'r1', 3, NULL, 'a', '{}', '2026-01-01T00:00:02Z', 3), ('e4', NULL, 4, 'log', 'a', '{}', '2026-01-01T00:00:03Z', 4),
         ('e5', 'r1', 5, 'run.completed', 'a', CAST('{"b":1}' AS BLOB), '2026-01-01T00:00:04Z', 5);`,
    )
    .close();

  fs.copyFileSync(valid, at('sqlite-named.jsonl'));
  fs.writeFileSync(at('random.jsonl'), bytes('random-jsonl', 20_000));
  fs.writeFileSync(at('only-bad-lines.jsonl'), 'not json\n{"also": "not an event"}\n[1,2,3]\n');

  // A JSONL store whose every file has one poisoned line among good ones.
  const store = at('poisoned-store');
  fs.mkdirSync(store);
  const poison: Record<string, string> = {
    'ts-huge': line({ ts: 1e20, stream: 'a', event: 'x', payload: {} }),
    'seq-huge': line({ ts: 1_770_000_000, stream: 'b', event: 'x', payload: {}, seq: 2 ** 53 }),
    'lone-surrogate': '{"ts": 1770000000, "stream": "c", "event": "x", "payload": {}, "id": "s\\ud800"}\n',
    'deep': `{"ts": 1770000000, "stream": "d", "event": "x", "payload": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}\n`,
    'binary': `${bytes('bin', 300).toString('latin1')}\n`,
    'no-newline': `${good(1).trim()}\n{"ts": 1770000002, "stream"`,
  };
  for (const [name, bad] of Object.entries(poison)) fs.writeFileSync(path.join(store, `${name}.jsonl`), good(0) + bad + good(2));

  fs.mkdirSync(at('empty-folder'));
  fs.symlinkSync('loop-b.db', at('loop-a.db'));
  fs.symlinkSync('loop-a.db', at('loop-b.db'));
  execFileSync('mkfifo', [at('fifo.db')]);
  // Pipes named as JSONL, alone and in a store beside a good file: opening one waits for a writer.
  execFileSync('mkfifo', [at('fifo.jsonl')]);
  fs.mkdirSync(at('pipe-store'));
  fs.writeFileSync(path.join(at('pipe-store'), 'a.jsonl'), good(0));
  execFileSync('mkfifo', [path.join(at('pipe-store'), 'p.jsonl')]);
  fs.rmSync(valid);
  return fs.readdirSync(dir).sort().filter((f) => !/-(wal|shm|journal)$/.test(f));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/bad-ledgers.ts <folder>');
    process.exit(2);
  }
  console.log(writeBadLedgers(path.resolve(dir)).join('\n'));
}
