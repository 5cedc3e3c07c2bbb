// Files written whole land only when complete: a crashed writer's stale -wal,
// -shm or -journal beside the destination never leaks into the new file, and the
// partial files of a job that was interrupted or killed do not stay behind.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStalePartials } from '../src/main/engine/base/atomic-write.ts';
import { tempDir } from './fixtures.ts';
import { BIN, runCli } from './helpers/cli.ts';

let dir: string;
const env = () => ({ ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') });
const cli = (args: string[]) => runCli(args, { cacheDir: path.join(dir, 'cache') });

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Leaves `<dest>-wal` and `<dest>-shm` as a writer of another database would when killed before a checkpoint. */
function plantStaleWal(dest: string): void {
  const other = path.join(dir, `other-${path.basename(dest)}`);
  const db = new Database(other);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE junk (x BLOB)');
  const put = db.prepare('INSERT INTO junk VALUES (randomblob(3000))');
  for (let i = 0; i < 300; i++) put.run();
  fs.copyFileSync(`${other}-wal`, `${dest}-wal`);
  fs.copyFileSync(`${other}-shm`, `${dest}-shm`);
  db.close();
  fs.rmSync(other, { force: true });
}

const check = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return { integrity: db.pragma('integrity_check', { simple: true }), events: db.prepare('SELECT count(*) FROM events').pluck().get() };
  } finally {
    db.close();
  }
};

describe('writing whole files', () => {
  it('generate --force, snapshot and import-jsonl ignore a stale -wal/-shm beside the destination', () => {
    const gen = path.join(dir, 'gen.db');
    expect(cli(['generate', gen, '--events', '3000']).code).toBe(0);
    plantStaleWal(gen);
    expect(cli(['generate', gen, '--events', '2000', '--force']).code).toBe(0);
    expect(check(gen)).toEqual({ integrity: 'ok', events: 2000 });

    const snap = path.join(dir, 'snap.db');
    plantStaleWal(snap);
    expect(cli(['snapshot', gen, snap]).code).toBe(0);
    expect(check(snap)).toEqual({ integrity: 'ok', events: 2000 });
    const part = path.join(dir, 'part.db');
    plantStaleWal(part);
    expect(cli(['snapshot', gen, part, '--up-to-offset', '10']).code).toBe(0);
    expect(check(part)).toEqual({ integrity: 'ok', events: 10 });

    const out = path.join(dir, 'out');
    expect(cli(['export-jsonl', gen, out]).code).toBe(0);
    const back = path.join(dir, 'back.db');
    plantStaleWal(back);
    expect(cli(['import-jsonl', out, back]).code).toBe(0);
    expect(check(back)).toEqual({ integrity: 'ok', events: 2000 });
    expect(JSON.parse(cli(['stats', back, '--json']).out)).toMatchObject({ events: 2000 });
  });

  it("the next job removes a dead process's partial files for its destination, and keeps a live one's", async () => {
    const dest = path.join(dir, 'next.db');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const stale = [`${dest}.partial-${dead.pid}-abc`, `${dest}.partial-${dead.pid}-abc-journal`];
    const live = `${dest}.partial-${process.pid}-xyz`;
    for (const f of [...stale, live]) fs.writeFileSync(f, 'x'.repeat(1000));
    expect(cli(['generate', dest, '--events', '100']).code).toBe(0);
    for (const f of stale) expect(fs.existsSync(f)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live);
    // An export folder's partial, too.
    const folder = path.join(dir, 'exp');
    const partial = `${folder}.partial-${dead.pid}-abc`;
    fs.mkdirSync(partial);
    fs.writeFileSync(path.join(partial, 'r.jsonl'), '{}\n');
    expect(removeStalePartials(folder)).toEqual([path.basename(partial)]);
  });

  it('an export or a JSONL index build interrupted mid-job leaves no partial and exits 130', async () => {
    const big = path.join(dir, 'big.db');
    expect(cli(['generate', big, '--events', '400000']).code).toBe(0);
    const out = path.join(dir, 'big-out');
    const child = spawn(process.execPath, [BIN, 'export-jsonl', big, out], { env: env() });
    const exit = new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
    const partials = () => fs.readdirSync(dir).filter((f) => f.startsWith('big-out'));
    while (!partials().some((f) => f.includes('.partial-') && fs.readdirSync(path.join(dir, f)).length)) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    expect(await exit).toBe(130);
    expect(partials()).toEqual([]);

    // Indexing a JSONL store into the cache (in place, with its state), interrupted: the
    // command exits 130 and the next open finds no half-built index it would trust.
    const store = path.join(dir, 'big-store');
    expect(cli(['export-jsonl', big, store]).code).toBe(0);
    const cache = path.join(dir, 'cache');
    const indexing = spawn(process.execPath, [BIN, 'stats', store], { env: env() });
    const done = new Promise((r) => indexing.on('exit', (c, s) => r(c ?? s)));
    const cached = () => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.startsWith('big-store')) : []);
    while (!cached().length) await new Promise((r) => setTimeout(r, 20));
    indexing.kill('SIGINT');
    // 130 when the signal landed mid-index; on a quiet machine the index can be complete first,
    // and then stats ends by the signal or has already printed (0).
    expect([130, 'SIGINT', 0]).toContain(await done);
    const again = cli(['stats', store, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).events).toBe(400_000);
  });
});
