// A process that keeps appending to a ledger: argv = file, batches, batch size, pause ms [, mode].
// Each event records when it was written, for latency checks. Prints "started" after its first commit.
// Modes: `jsonl` appends lines to a JSONL store; `checkpoint` also runs a passive checkpoint
// after every batch, so pages are written back into the database file while readers copy
// it; `rollback` writes a canonical ledger in rollback-journal mode, as SQLite does by default;
// `stamp` prints "<n> <ms>" after each commit, n its last event's, ms the time since the epoch (fractional).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Ledger } from '../../src/main/engine/open/ledger.ts';

const [file, batches, size, pause, mode] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
if (mode === 'jsonl') {
  for (let b = 0; b < Number(batches); b++) {
    const lines = Array.from({ length: Number(size) }, () => ({ ts: Date.now() / 1000, stream: 'live', event: 'tick', payload: { n: n++, sent: Date.now() } }));
    fs.appendFileSync(path.join(file!, 'live.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    if (b === 0) console.log('started');
    await sleep(Number(pause));
  }
} else if (mode === 'rollback') {
  const db = new Database(file!, { timeout: 10_000 });
  db.pragma('journal_mode = DELETE');
  const insert = db.prepare(
    "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, seq) VALUES (?, ?, 0, 'tick', 'writer', ?, ?, ?)",
  );
  const batch = db.transaction(() => {
    for (let i = 0; i < Number(size); i++, n++) insert.run(`tick-${n}`, `live-${n % 3}`, JSON.stringify({ n, sent: Date.now() }), new Date().toISOString(), Math.floor(n / 3) + 1);
  });
  for (let b = 0; b < Number(batches); b++) {
    batch();
    if (b === 0) console.log('started');
    await sleep(Number(pause));
  }
  db.close();
} else {
  const ledger = Ledger.open(file!, { cacheDir: `${file}.writer-cache` });
  const checkpointer = mode === 'checkpoint' ? new Database(file!) : undefined;
  for (let b = 0; b < Number(batches); b++) {
    ledger.append(Array.from({ length: Number(size) }, () => ({ run_id: `live-${n % 3}`, kind: 'tick', payload: { n: n++, sent: Date.now() } })));
    if (mode === 'stamp') console.log(`${n - 1} ${performance.timeOrigin + performance.now()}`);
    checkpointer?.pragma('wal_checkpoint(PASSIVE)');
    if (b === 0) console.log('started');
    await sleep(Number(pause));
  }
  checkpointer?.close();
  ledger.close();
}
