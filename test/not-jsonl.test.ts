// What is not a JSONL store, or not a readable ledger, is refused with one line that
// says what it is, through the CLI as a user runs it, and nothing is written.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures.ts';

const BIN = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
let dir: string;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
let db: string;
beforeAll(() => {
  dir = tempDir();
  db = path.join(dir, 'ledger.db');
  expect(cli('generate', db, '--events', '2000', '--runs', '5').code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('refusing what is not JSONL', () => {
  const cases: Array<[string, (f: string) => void, RegExp]> = [
    ['a SQLite file', (f) => fs.copyFileSync(db, f), /is a SQLite database, not JSONL/],
    ['random bytes', (f) => fs.writeFileSync(f, Buffer.concat([crypto.randomBytes(3000), Buffer.from('\n\x00\xff\n')])), /not JSONL: no line is a JSON event \(first problem, line 1: /],
    ['random bytes with no newline', (f) => fs.writeFileSync(f, 'x'.repeat(100)), /not JSONL: no complete line/],
    ['an empty file', (f) => fs.writeFileSync(f, ''), /the file is empty: no JSONL lines to import/],
  ];
  for (const [what, make, said] of cases)
    it(`import-jsonl of ${what} exits 1 with one line saying so, and writes nothing`, () => {
      const src = path.join(dir, `src-${what.replaceAll(' ', '-')}`);
      make(src);
      const dest = path.join(dir, `out-${what.replaceAll(' ', '-')}.db`);
      const r = cli('import-jsonl', src, dest);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(said);
      expect(r.err).toContain(src);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(dest)))).toEqual([]);
    });

  it('a ledger with a hot rollback journal (a writer killed mid-transaction) is named as such, not "attempt to write a readonly database"', () => {
    const hot = path.join(dir, 'hot.db');
    fs.copyFileSync(db, hot);
    // A real writer, killed with its transaction open and its pages spilled: SQLite leaves hot.db-journal.
    const writer = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Database from 'better-sqlite3';
         const db = new Database(process.argv[1]);
         db.pragma('journal_mode = DELETE'); db.pragma('cache_size = 1');
         db.exec('BEGIN'); db.exec("UPDATE events SET payload = payload || ' '");
         process.kill(process.pid, 'SIGKILL');`,
        hot,
      ],
      { cwd: path.join(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    expect(writer.signal).toBe('SIGKILL');
    expect(fs.statSync(`${hot}-journal`).size).toBeGreaterThan(0);
    const before = fs.readFileSync(hot);
    const r = cli('stats', hot);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`ledger-inspector: a hot rollback journal (hot.db-journal) is beside the database: a writer stopped mid-transaction, and only a writer can roll it back (reading is read-only); open the file once with the program that writes it, or with sqlite3 (${hot})\n`);
    expect(fs.readFileSync(hot).equals(before)).toBe(true);
  });
});
