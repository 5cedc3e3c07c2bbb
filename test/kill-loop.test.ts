// kill -9 in the middle of every long job, again and again: afterwards the source is
// unchanged, the destination is absent or whole (it opens and passes integrity_check),
// and the next run of the same job cleans up the dead run's partial files and succeeds.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, tempDir } from './fixtures.ts';
import { BIN, runCli } from './helpers/cli.ts';

/** How long after its partial file appears each kill lands. */
const KILLS_MS = [0, 15, 60, 200];
let dir: string;
let source: string;
let store: string;

const env = () => ({ ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') });
const cli = (args: string[]) => runCli(args, { cacheDir: path.join(dir, 'cache') });

/**
 * Starts a command and SIGKILLs it `delayMs` after its partial file appears (so the kill
 * lands while it writes); resolves with whether it was killed mid-write.
 */
function killMidWrite(args: string[], dest: string, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(), stdio: 'ignore' });
    let seen = false;
    const poll = setInterval(() => {
      if (seen || !leftovers(dest).length) return;
      seen = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }, 2);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve(signal === 'SIGKILL');
    });
  });
}

function wholeLedger(file: string, events: number): void {
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(events);
  } finally {
    db.close();
  }
}

const leftovers = (dest: string) => fs.readdirSync(path.dirname(dest)).filter((f) => f.startsWith(`${path.basename(dest)}.partial-`));

beforeAll(() => {
  dir = tempDir();
  source = path.join(dir, 'source.db');
  expect(cli(['generate', source, '--events', '60000', '--seed', '3']).code).toBe(0);
  store = path.join(dir, 'store');
  expect(cli(['export-jsonl', source, store]).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kill -9 mid-job', () => {
  const jobs: Array<[string, (dest: string) => string[], (dest: string) => void]> = [
    ['generate', (d) => ['generate', d, '--events', '60000', '--seed', '3'], (d) => wholeLedger(d, 60_000)],
    ['snapshot', (d) => ['snapshot', source, d], (d) => wholeLedger(d, 60_000)],
    ['import-jsonl', (d) => ['import-jsonl', store, d], (d) => wholeLedger(d, 60_000)],
    ['export-jsonl', (d) => ['export-jsonl', source, d], (d) => expect(fs.readdirSync(d).length).toBeGreaterThan(0)],
  ];
  for (const [name, args, whole] of jobs) {
    it(`${name}: the destination is absent or whole after each kill, and the next run cleans up and succeeds`, async () => {
      const before = { source: fingerprint(source), store: fingerprint(store) };
      let midJob = 0;
      for (const [i, delay] of KILLS_MS.entries()) {
        const dest = path.join(dir, `${name}-${i}${name === 'export-jsonl' ? '' : '.db'}`);
        if (await killMidWrite(args(dest), dest, delay)) midJob++;
        if (fs.existsSync(dest)) whole(dest);
        // The dead run's partial files go with the next run for the same destination.
        fs.rmSync(dest, { recursive: true, force: true });
        expect(cli(args(dest)).code).toBe(0);
        whole(dest);
        expect(leftovers(dest)).toEqual([]);
      }
      console.log(`kill -9 loop, ${name}: ${KILLS_MS.length} kills, ${midJob} while writing; every destination absent or whole, every partial cleaned by the next run`);
      // The kills fell while the job was writing (a partial was there to clean up).
      expect(midJob).toBeGreaterThan(0);
      expect({ source: fingerprint(source), store: fingerprint(store) }).toEqual(before);
    });
  }
});
