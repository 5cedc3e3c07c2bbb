// Input that once ended in "internal error" (exit 70) or a stack overflow: each is now
// a one-line error naming the problem (and the file), or simply works.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, tempDir } from './fixtures.ts';
import { runCli } from './helpers/cli.ts';

let dir: string;
let gen: string;

const cli = (args: string[], input?: string) => runCli(args, { cacheDir: path.join(dir, 'cache'), input });

/** A refusal as the CLI must give it: exit 1 or 2, one line on stderr, no stack. */
function refused(r: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(r.code === 1 || r.code === 2, `exit ${r.code}: ${r.err}`).toBe(true);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
  expect(r.err).toMatch(pattern);
}

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

beforeAll(() => {
  dir = tempDir();
  gen = path.join(dir, 'gen.db');
  expect(cli(['generate', gen, '--events', '2000', '--runs', '10', '--seed', '2']).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bad filters', () => {
  it('refuses JSON paths SQLite would not take, naming the path syntax', () => {
    for (const where of ['$..x=1', '$.=1', '$.a[=1', '$ .a=1', '$.a.b[x]=2'])
      refused(cli(['query', gen, '--where', where]), /JSON path is \$ followed by/);
    expect(cli(['query', gen, '--where', '$.attempt=2', '--limit', '1']).code).toBe(0);
  });

  it('refuses a text filter longer than a needle', () => {
    refused(cli(['query', gen, '--text', 'x'.repeat(50_001)]), /--text "x+…": .*1000/);
    refused(cli(['query', gen, '--text', '事'.repeat(10_000)]), /--text "事+…": .*1000/);
  });

  it('takes a list of 40,000 kinds (more than SQLite has parameters) as one filter', () => {
    const kinds = Array.from({ length: 40_000 }, (_, i) => ['--kind', `k${i}`]).flat();
    const r = cli(['query', gen, ...kinds, '--kind', 'run.started', '--json', '--limit', '100']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).events).toHaveLength(10);
  });
});

/** A usage error: exit 2, one line, no stack. */
function usage(r: ReturnType<typeof cli>, pattern: RegExp): void {
  refused(r, pattern);
  expect(r.code, r.err).toBe(2);
}

describe('bad filter flags are usage errors (exit 2) naming the flag', () => {
  it('runs --status takes one of the run statuses, and says which', () => {
    usage(cli(['runs', gen, '--status', 'bogus']), /--status.*'bogus'.*running, completed, failed, cancelled, pending, unknown/);
    usage(cli(['runs', gen, '--status', 'Running']), /--status/);
    const statuses = (args: string[]) => cli(['runs', gen, ...args, '--jsonl']).out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).status as string);
    const all = statuses([]);
    const some = all[0]!;
    expect(statuses(['--status', some])).toEqual(all.filter((s) => s === some));
    // query has no --status: commander's unknown option, already exit 2.
    usage(cli(['query', gen, '--status', 'bogus']), /unknown option '--status'/);
  });

  it('--from and --to take an ISO-8601 time, in every command with filters, before the ledger is opened', () => {
    const out = path.join(dir, 'never-written');
    for (const args of [['query', gen], ['export-jsonl', gen, out], ['tail', gen], ['search', gen, 'x'], ['query', path.join(dir, 'no-such.db')]]) {
      usage(cli([...args, '--from', 'yesterday']), /^ledger-inspector: --from "yesterday": expected an ISO-8601 time, e\.g\. 2024-05-01T12:00:00Z\n$/);
      usage(cli([...args, '--to', '2024-13-45']), /^ledger-inspector: --to "2024-13-45": expected an ISO-8601 time/);
    }
    expect(fs.existsSync(out)).toBe(false);
    expect(cli(['query', gen, '--from', '2000-01-01T00:00:00Z', '--limit', '1']).code).toBe(0);
  });

  it('--where refuses to compare an integer beyond 2^53 (it would be rounded first), and compares those below exactly', () => {
    const file = path.join(dir, 'big-ints.db');
    const lines = [2 ** 53 - 1, '9007199254740992', '9007199254740993', '18446744073709551617'].map((n) => `{"run_id":"r","kind":"k","payload":{"n":${n}}}`);
    expect(cli(['append', file], `${lines.join('\n')}\n`).code).toBe(0);
    for (const v of ['9007199254740993', '9007199254740992', '-9007199254740993', '18446744073709551617', '1e20'])
      usage(cli(['query', file, '--where', `$.n=${v}`]), new RegExp(`--where "\\$\\.n=${v.replace('-', '\\-')}": an integer beyond 2\\^53 \\(9007199254740991\\) cannot be compared exactly`));
    const exact = cli(['query', file, '--where', `$.n=${2 ** 53 - 1}`, '--json']);
    expect(exact.code, exact.err).toBe(0);
    expect(JSON.parse(exact.out).events.map((e: { offset: number }) => e.offset)).toEqual([1]);
    // The text of the payload is kept as written: what a text filter finds it by.
    expect(JSON.parse(cli(['query', file, '--text', '9007199254740993', '--json']).out).events.map((e: { offset: number }) => e.offset)).toEqual([3]);
    usage(cli(['query', file, '--where', 'n']), /--where takes \$\.path=value, not "n"/);
  });
});

describe('bad mappings and exports', () => {
  it('refuses a --map that is no mapping before opening: given inline, a bad command line (exit 2); in a file, a bad input naming it (exit 1)', () => {
    usage(cli(['stats', gen, '--map', '{"table": "events",']), /--map: not valid JSON/);
    // Before opening: a ledger that is not there is never reached.
    usage(cli(['stats', path.join(dir, 'not-there.db'), '--map', 'kind=']), /--map takes key=column pairs separated by commas, not "kind="/);
    usage(cli(['stats', gen, '--map', 'table=events,order=offset']), /--map: missing run, kind \(--map table=NAME/);
    usage(cli(['stats', gen, '--map', 'table=events,order=offset,run=run_id,kind=kind,tabel=x']), /--map: Unrecognized key: "tabel"/);
    usage(cli(['stats', gen, '--map', '{"table":"events","order":"offset","run":"run_id","kind":"kind","time_format":"weird"}']), /--map: time_format: Invalid option/);
    const file = path.join(dir, 'map.json');
    fs.writeFileSync(file, '{ nope');
    const notJson = cli(['stats', gen, '--map', file]);
    refused(notJson, /--map: the file is not JSON.*map\.json/);
    expect(notJson.code).toBe(1);
    fs.writeFileSync(file, '{"table": "events", "order": "offset"}');
    const partial = cli(['stats', path.join(dir, 'not-there.db'), '--map', file]);
    refused(partial, /--map: missing run, kind .*map\.json/);
    expect(partial.code).toBe(1);
  });

  it('refuses a search text the engine would refuse before opening, as a bad command line', () => {
    usage(cli(['search', path.join(dir, 'not-there.db'), '']), /the search text "": Too small: expected string to have >=1 characters/);
    usage(cli(['search', gen, 'x'.repeat(1001)]), /the search text "x{40}…": Too big: expected string to have <=1000 characters/);
  });

  it('filters a mapped table whose payloads are not JSON: such rows simply do not match', () => {
    const file = path.join(dir, 'text-payloads.db');
    const db = new Database(file);
    db.exec('CREATE TABLE log (n INTEGER PRIMARY KEY, stream TEXT, type TEXT, body TEXT)');
    db.prepare("INSERT INTO log (stream, type, body) VALUES ('s', 'note', 'plain words'), ('s', 'note', '{\"a\": 1}'), ('s', 'note', NULL)").run();
    db.close();
    const r = cli(['query', file, '--map', 'table=log,order=n,run=stream,kind=type,payload=body', '--where', '$.a=1', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).events.map((e: { offset: number }) => e.offset)).toEqual([2]);
  });

  it('refuses to export into an existing file, and leaves the file alone', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'keep me');
    refused(cli(['export-jsonl', gen, file]), /a file of that name exists.*a-file/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });
});

describe('damaged ledgers and payloads', () => {
  it('says a corrupt file is corrupt, for runs and for a full query', () => {
    const file = path.join(dir, 'corrupt.db');
    fs.copyFileSync(gen, file);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, fs.statSync(file).size / 2);
    fs.closeSync(fd);
    refused(cli(['runs', file, '--cache-dir', path.join(dir, 'fresh-cache')]), /corrupt.*corrupt\.db/);
    refused(cli(['export-jsonl', file, path.join(dir, 'out-corrupt')]), /corrupt.*corrupt\.db/);
    expect(fs.existsSync(path.join(dir, 'out-corrupt'))).toBe(false);
  });

  it('refuses payloads nested deeper than every later operation can read, and keeps the ledger as it was', () => {
    const file = path.join(dir, 'deep.db');
    expect(cli(['generate', file, '--events', '10']).code).toBe(0);
    const before = fingerprint(file);
    const line = (depth: number) => `{"run_id":"r","kind":"k","payload":${nested(depth)}}\n`;
    refused(cli(['append', file, '--file', '-'], line(10_000)), /payload is nested .*256/);
    refused(cli(['append', file, '--file', '-'], line(1500)), /nested 1500 levels deep, over the limit of 256/);
    expect(fingerprint(file)).toEqual(before);
    // 256 levels are taken, and a --where over the ledger still reads every payload.
    expect(cli(['append', file, '--file', '-'], line(256)).code).toBe(0);
    const r = cli(['query', file, '--where', '$.a.a=1', '--json']);
    expect(r.code, r.err).toBe(0);
  });
});

describe('a WAL ledger in a folder that cannot take its -shm file', () => {
  /**
   * Makes a folder refuse new files, for real: chmod for a user, the immutable attribute for
   * root (whom permission bits do not stop). Gives the undo, or null where neither works here.
   */
  function lockFolder(folder: string): (() => void) | null {
    const undo = process.getuid?.() === 0 ? () => spawnSync('chattr', ['-i', folder]) : () => fs.chmodSync(folder, 0o755);
    if (process.getuid?.() === 0) {
      if (spawnSync('chattr', ['+i', folder]).status !== 0) return null;
    } else fs.chmodSync(folder, 0o555);
    try {
      fs.writeFileSync(path.join(folder, 'probe'), '');
    } catch {
      return undo;
    }
    fs.rmSync(path.join(folder, 'probe'));
    undo();
    return null;
  }

  it('says the ledger is in WAL mode, which companion files are missing and cannot be created, and what to do', (ctx) => {
    const folder = path.join(dir, 'wal-readonly');
    fs.mkdirSync(folder);
    // A copy taken while its writer had it open: the ledger and its -wal, with the newest events only in the -wal.
    const live = path.join(dir, 'wal-live.db');
    expect(cli(['generate', live, '--events', '50']).code).toBe(0);
    const writer = new Database(live);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec("UPDATE events SET actor = 'copied' WHERE offset = 1");
    fs.copyFileSync(live, path.join(folder, 'with-wal.db'));
    fs.copyFileSync(`${live}-wal`, path.join(folder, 'with-wal.db-wal'));
    writer.close();
    // Checkpointed and closed by its writer, still in WAL mode: no companion at all.
    fs.copyFileSync(live, path.join(folder, 'bare.db'));
    expect(fs.readdirSync(folder).sort()).toEqual(['bare.db', 'with-wal.db', 'with-wal.db-wal']);
    const unlock = lockFolder(folder);
    if (!unlock) return ctx.skip('no way here to make a folder refuse new files (neither chmod nor chattr +i stops this user)');
    try {
      const advice = /open it from a writable folder \(copy .* with its -wal file, if any\), or have its writer checkpoint it and leave WAL mode \(PRAGMA journal_mode = DELETE\)/;
      for (const args of [['stats'], ['query', '--limit', '1'], ['runs']]) {
        const withWal = cli([args[0]!, path.join(folder, 'with-wal.db'), ...args.slice(1)]);
        refused(withWal, /^ledger-inspector: the ledger is in WAL mode, and reading it needs its companion files with-wal\.db-shm and with-wal\.db-wal beside it, but with-wal\.db-shm is missing and cannot be created \(its folder is read-only\)/);
        refused(withWal, advice);
        expect(withWal.err).toMatch(/\(.*wal-readonly\/with-wal\.db\)\n$/);
        const bare = cli([args[0]!, path.join(folder, 'bare.db'), ...args.slice(1)]);
        refused(bare, /the ledger is in WAL mode, .* but bare\.db-shm and bare\.db-wal are missing and cannot be created \(its folder is read-only\)/);
        refused(bare, advice);
      }
    } finally {
      unlock();
    }
    // Where the companions can be made, the same files read, the -wal's event included.
    const r = cli(['query', path.join(folder, 'with-wal.db'), '--limit', '1', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).events[0].actor).toBe('copied');
  });
});
