// Every command over every file of the bad-ledger corpus (scripts/bad-ledgers.ts): each
// ends in a result or a one-line error naming the problem, never a stack trace or an
// internal error, and no file of the corpus changes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBadLedgers } from '../scripts/bad-ledgers.ts';
import { fingerprint, tempDir } from './fixtures.ts';

const BIN = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
let dir: string;
let corpus: string;
let names: string[];
let before: Record<string, string>;

/** The real CLI, to its end: a FIFO must not make any command wait forever, so this has no timeout of its own but the test's. */
function cli(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, err }));
  });
}

beforeAll(() => {
  dir = tempDir();
  corpus = path.join(dir, 'corpus');
  names = writeBadLedgers(corpus);
  before = fingerprint(corpus);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COMMANDS: Array<[string, (file: string, out: string) => string[]]> = [
  ['stats', (f) => ['stats', f]],
  ['query', (f) => ['query', f, '--limit', '5']],
  ['runs', (f) => ['runs', f]],
  ['export-jsonl', (f, out) => ['export-jsonl', f, out]],
  ['snapshot', (f, out) => ['snapshot', f, `${out}.db`]],
];

describe('the bad-ledger corpus', () => {
  it('holds the files it should', () => {
    expect(names).toEqual(expect.arrayContaining(['empty.db', 'random.db', 'hot-journal.db', 'poisoned-store', 'fifo.db', 'loop-a.db', 'sparse-offsets.db', 'past-2-53.db', 'loose-canonical.db', 'fifo.jsonl', 'pipe-store']));
    expect(fs.existsSync(path.join(corpus, 'hot-journal.db-journal'))).toBe(true);
  });

  it('gets a result or a one-line error from every command on every file, and changes none of them', async () => {
    const tally = { tried: 0, answered: 0, refused: 0 };
    for (const name of names) {
      for (const [cmd, args] of COMMANDS) {
        const out = path.join(dir, 'out', `${name}-${cmd}`);
        const r = await cli(args(path.join(corpus, name), out));
        tally.tried++;
        const where = `${cmd} ${name}: exit ${r.code}: ${r.err}`;
        expect(r.code === 0 || r.code === 1, where).toBe(true);
        expect(r.err, where).not.toMatch(/internal error|\n\s+at |Error: /);
        if (r.code === 1) {
          tally.refused++;
          expect(r.err.trim().split('\n'), where).toHaveLength(1);
        } else tally.answered++;
      }
    }
    console.log(`bad-ledger corpus: ${tally.tried} commands tried on ${names.length} files, ${tally.answered} answered, ${tally.refused} refused with a one-line error`);
    expect(fingerprint(corpus)).toEqual(before);
    expect(fs.existsSync(path.join(corpus, 'hot-journal.db-journal'))).toBe(true);
  }, 900_000); // Some 200 CLI runs: the guard is against a command that never ends (a FIFO), not a speed limit.

  it('reads NULL and BLOB values of a canonical table written by other code: every command answers', async () => {
    const file = path.join(corpus, 'loose-canonical.db');
    const out = path.join(dir, 'loose');
    for (const args of [['query', file], ['query', file, '--jsonl'], ['runs', file], ['replay', file, 'r1', '--step', '4'], ['export-jsonl', file, `${out}-jsonl`], ['snapshot', file, `${out}.db`]])
    {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(r.err, args.join(' ')).not.toMatch(/internal|Error|\bat /);
    }
    expect(fs.readFileSync(path.join(`${out}-jsonl`, 'r1.jsonl'), 'utf8')).toContain('"payload":{"b":1}');
  });

  it('replays a ledger whose offsets lie far apart, and refuses one ordered past 2^53 at open, naming its order column', async () => {
    const sparse = await cli(['replay', path.join(corpus, 'sparse-offsets.db'), 'run-7-000001', '--step', '1']);
    expect(sparse).toMatchObject({ code: 0, err: '' });
    const past = await cli(['replay', path.join(corpus, 'past-2-53.db'), 'run-7-000001', '--step', '1']);
    expect(past.code).toBe(1);
    expect(past.err).toMatch(/the order column "events"\."offset" holds 9007199254741\d+, past 2\^53/);
  });
});
