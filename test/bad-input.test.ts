// Input that once ended in "internal error" (exit 70) or a stack overflow: each is now
// a one-line error naming the problem (and the file), or simply works.
import Database from 'better-sqlite3';
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
    refused(cli(['query', gen, '--text', 'x'.repeat(50_001)]), /text: .*1000/);
    refused(cli(['query', gen, '--text', '事'.repeat(10_000)]), /text: .*1000/);
  });

  it('takes a list of 40,000 kinds (more than SQLite has parameters) as one filter', () => {
    const kinds = Array.from({ length: 40_000 }, (_, i) => ['--kind', `k${i}`]).flat();
    const r = cli(['query', gen, ...kinds, '--kind', 'run.started', '--json', '--limit', '100']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).events).toHaveLength(10);
  });
});

describe('bad mappings and exports', () => {
  it('says a --map that is not JSON is not JSON, inline or in a file', () => {
    refused(cli(['stats', gen, '--map', '{"table": "events",']), /--map: not valid JSON/);
    const file = path.join(dir, 'map.json');
    fs.writeFileSync(file, '{ nope');
    refused(cli(['stats', gen, '--map', file]), /--map: the file is not JSON.*map\.json/);
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
