// Issue 15 targets: a JSONL store against its peers on the same lines, measured in
// this run. lnav (its time to index the lines and answer a count) and sqlite-utils
// (insert --nl) come from Debian's packages; a missing peer is said, not guessed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { exportJsonl } from '../src/main/engine/copy/jsonl-export.ts';
import { cacheFileFor } from '../src/main/engine/base/cache.ts';
import { readIndexState } from '../src/main/engine/jsonl/jsonl-index-state.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { info, installedCli, report, time } from './lib.ts';
const LNAV_FORMAT = path.join(import.meta.dirname, 'lnav-ledger-jsonl.json');
const GiB = 2 ** 30;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function installed(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The big ledger's lines as a store of stream files, and the same lines in one file. */
function stores(dir: string, ledger: string): { folder: string; one: string; lines: number } {
  // Named after the ledger: a --10m run must not reuse the 1M run's lines.
  const of = path.basename(ledger, '.db');
  const folder = path.join(dir, `peer-store-${of}`);
  const one = path.join(dir, `peer-one-${of}.jsonl`);
  if (!fs.existsSync(one)) {
    fs.rmSync(folder, { recursive: true, force: true });
    const l = Ledger.open(ledger, { cacheDir: path.join(dir, 'cache') });
    exportJsonl(l, folder);
    l.close();
    const tmp = `${one}.partial`;
    fs.rmSync(tmp, { force: true });
    for (const f of fs.readdirSync(folder).sort()) fs.appendFileSync(tmp, fs.readFileSync(path.join(folder, f)));
    fs.renameSync(tmp, one);
  }
  const lines = Number(execFileSync('wc', ['-l', one], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  return { folder, one, lines };
}

/** Reads a file to its end and drops what it read: its pages are then in the OS cache. */
function readThrough(file: string): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    while (fs.readSync(fd, buf) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** lnav's time to index the file and answer a count, in a HOME of its own holding the format. */
function lnavIndex(dir: string, file: string, lines: number): number | null {
  if (!installed('lnav')) {
    info('lnav', 'not installed (apt-get install lnav): its figures and the ratios to them are skipped');
    return null;
  }
  const home = path.join(dir, 'lnav-home');
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home);
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  execFileSync('lnav', ['-i', LNAV_FORMAT], { env, stdio: 'ignore' });
  const run = time(() => execFileSync('lnav', ['-n', '-c', ';SELECT count(*) AS n FROM ledger_jsonl', file], { env, encoding: 'utf8' }));
  const counted = Number(run.value.match(/(\d+)\s*$/)?.[1]);
  if (counted !== lines) throw new Error(`lnav counted ${counted} lines of ${lines}: its format does not match the lines`);
  info(`lnav -n, index ${lines.toLocaleString('en-US')} lines of one file and count them`, secs(run.ms));
  return run.ms;
}

/**
 * A cold open through the installed CLI, as a user runs it: the time to the first
 * rows on standard output, the time until every row is in the cache index (the
 * process waits for that before exiting; from then on every filter answers whole,
 * while the secondary indexes are still to be built), and its peak resident memory.
 */
async function coldQuery(dir: string, bin: string, store: string): Promise<{ firstMs: number; completeMs: number; peakBytes: number }> {
  const cacheDir = path.join(dir, 'peer-cache');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, '--cache-dir', cacheDir, 'query', store, '--limit', '50'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let firstMs = 0;
  child.stdout.once('data', () => (firstMs = performance.now() - t0));
  child.stdout.resume();
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // The process has ended.
    }
  }, 50);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`ledger-inspector query ${store} exited ${code}`);
  const state = readIndexState(cacheFileFor(cacheDir, store, 'jsonl'))?.state;
  if (state !== 'rows' && state !== 'complete') throw new Error(`after the query, the cache index of ${store} is ${state ?? 'missing'}, not whole`);
  return { firstMs, completeMs: performance.now() - t0, peakBytes: peakKb * 1024 };
}

export async function benchJsonlPeers(dir: string, ledger: string, tenMillion: boolean, peerLines: number): Promise<void> {
  console.log('\nJSONL store vs lnav and sqlite-utils (same lines; a shared machine makes single runs noisy)');
  const { folder, one, lines } = stores(dir, ledger);
  const files = fs.readdirSync(folder).length;
  const bin = installedCli(dir);
  // A first run fills Node's compile cache, as a user's first command does (enough lines that the writer's thread starts too).
  const warm = path.join(dir, 'peer-warm.jsonl');
  execFileSync('sh', ['-c', `head -n 30000 "$1" > "$2"`, 'sh', one, warm]);
  execFileSync(process.execPath, [bin, '--cache-dir', path.join(dir, 'warm-cache'), 'query', warm, '--limit', '1'], { stdio: 'ignore' });
  // lnav runs before and after ours, and the mean is the baseline: the load of a shared machine changes by the minute.
  // Both stores read once, so that every tool meets them in the OS page cache, as lnav's second run does.
  for (const f of [one, ...fs.readdirSync(folder).map((name) => path.join(folder, name))]) readThrough(f);
  const lnavBefore = lnavIndex(dir, one, lines);
  const runs = [];
  for (const [what, store] of [[`${files.toLocaleString('en-US')} files`, folder], ['one file', one]] as const) runs.push({ what, run: await coldQuery(dir, bin, store), reopenMs: reopen(dir, bin, store) });
  const lnavAfter = lnavBefore === null ? null : lnavIndex(dir, one, lines);
  const lnav = lnavBefore === null ? null : (lnavBefore + lnavAfter!) / 2;
  for (const { what, run, reopenMs } of runs) {
    const label = `${lines.toLocaleString('en-US')} lines, ${what}`;
    info(`cold query --limit 50, ${label}`, `first rows ${secs(run.firstMs)}, index complete ${secs(run.completeMs)}, peak ${(run.peakBytes / 2 ** 20).toFixed(0)} MiB`);
    // "Stays instant": a whole process, start to answer, under a second.
    report(`reopen of the unchanged store (query --limit 50), ${label}, vs 1 s`, secs(reopenMs), '1.00 s', reopenMs / 1000, '< 1', reopenMs < 1000);
    if (lnav !== null) {
      const first = run.firstMs / lnav;
      report(`first page of a cold store vs lnav's index, ${label}`, secs(run.firstMs), secs(lnav), first, '<= 0.3', first <= 0.3);
      const complete = run.completeMs / lnav;
      report(`cache index whole (every row in) vs lnav's index, ${label}`, secs(run.completeMs), secs(lnav), complete, '<= 2', complete <= 2);
    }
    if (tenMillion) {
      const mem = run.peakBytes / GiB;
      report(`peak memory of a 10M-line open, ${what}, vs 1 GiB`, `${(run.peakBytes / 2 ** 20).toFixed(0)} MiB`, '1024 MiB', mem, '< 1', mem < 1);
      report(`first page at 10M lines, ${what}, vs 2 s`, secs(run.firstMs), '2.00 s', run.firstMs / 2000, '< 1', run.firstMs < 2000);
    }
  }
  benchImportVsSqliteUtils(dir, bin, one, Math.min(lines, peerLines));
}

/** A query of a store whose cache index is complete and whose files are unchanged: the second after the cold one (which leaves the secondary indexes to the next opener). */
function reopen(dir: string, bin: string, store: string): number {
  const q = () => time(() => execFileSync(process.execPath, [bin, '--cache-dir', path.join(dir, 'peer-cache'), 'query', store, '--limit', '50'], { stdio: 'ignore' })).ms;
  q();
  return q();
}

/** import-jsonl against sqlite-utils insert --nl, both as processes, on the same file of `n` lines. */
function benchImportVsSqliteUtils(dir: string, bin: string, one: string, n: number): void {
  if (!installed('sqlite-utils')) {
    info('sqlite-utils', 'not installed (apt-get install sqlite-utils): the import ratio is skipped');
    return;
  }
  // The figure is on the whole 1M-line file; a --10m run compares the first million
  // (sqlite-utils takes 70-100 s per million lines). With fewer lines (--peer-lines) our
  // fixed start (about 0.5 s: the CLI, its engine thread, the writer's) weighs more: 4.3x at 200,000.
  const file = path.join(dir, `peer-first-${n}-${path.basename(one, '.jsonl')}.jsonl`);
  if (!fs.existsSync(file)) execFileSync('sh', ['-c', `head -n ${n} "$1" > "$2"`, 'sh', one, file]);
  const ours = path.join(dir, 'peer-import.db');
  const theirs = path.join(dir, 'peer-sqlite-utils.db');
  for (const f of [ours, theirs]) fs.rmSync(f, { force: true });
  // Ours before and after theirs, the mean compared, as for lnav.
  const ourImport = () => {
    fs.rmSync(ours, { force: true });
    return time(() => execFileSync(process.execPath, [bin, 'import-jsonl', file, ours], { stdio: 'ignore' })).ms;
  };
  const before = ourImport();
  const su = time(() => execFileSync('sqlite-utils', ['insert', theirs, 'events', file, '--nl'], { stdio: 'ignore' }));
  const imp = (before + ourImport()) / 2;
  const ratio = su.ms / imp;
  report(`import-jsonl vs sqlite-utils insert --nl, ${n.toLocaleString('en-US')} lines`, secs(imp), secs(su.ms), ratio, '>= 5', ratio >= 5);
  for (const f of [ours, theirs]) fs.rmSync(f, { force: true });
}
