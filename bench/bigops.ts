// Issue 4 targets: snapshot vs cp, indexed search, tail latency.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { fullSnapshot } from '../src/main/engine/copy/snapshot.ts';
import { Follower } from '../src/main/engine/derive/tail.ts';
import { TextIndex } from '../src/main/engine/derive/text-index.ts';
import { info, median, ms, quantile, rate, report, samples, time } from './lib.ts';

export async function benchSnapshot(dir: string, file: string): Promise<void> {
  const copy = path.join(dir, 'cp-copy.db');
  const snap = path.join(dir, 'snap-copy.db');
  fs.rmSync(copy, { force: true });
  fs.rmSync(snap, { force: true });
  const bytes = fs.statSync(file).size;
  const ledger = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
  // Three of each, alternating, medians compared: the page cache favours neither.
  const cps: number[] = [];
  const snaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    cps.push(time(() => execFileSync('cp', [file, copy])).ms);
    fs.rmSync(copy, { force: true });
    const t = performance.now();
    await fullSnapshot(ledger, snap);
    snaps.push(performance.now() - t);
    fs.rmSync(snap, { force: true });
  }
  ledger.close();
  const cp = { ms: median(cps) };
  const snapMs = median(snaps);
  const mb = (x: number) => `${((bytes / 2 ** 20 / x) * 1000).toFixed(0)} MiB/s`;
  const ratio = cp.ms / snapMs;
  report(`full snapshot of ${(bytes / 2 ** 20).toFixed(0)} MiB vs cp`, mb(snapMs), mb(cp.ms), ratio, '>= 0.5', ratio >= 0.5);
  fs.rmSync(copy, { force: true });
  fs.rmSync(snap, { force: true });
}

export function benchSearch(dir: string, source: string, events: number): void {
  const cacheDir = path.join(dir, 'fts-cache');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  // A copy: the rare strings are appended to it, and the shared bench ledger must stay as generated.
  const file = path.join(dir, 'search-copy.db');
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(source, file);
  const ledger = Ledger.open(file, { cacheDir });
  const index = new TextIndex(ledger);
  const build = time(() => index.build());
  info(`full-text index build, ${events.toLocaleString('en-US')} events`, `${rate(events, build.ms)} (${(fs.statSync(index.file).size / 2 ** 20).toFixed(0)} MiB)`);
  // Rare strings: present in a handful of events.
  const rare = ['zebra-crossing-0', 'zebra-crossing-1', 'zebra-crossing-2'];
  const targets = [17, Math.floor(events / 2), events - 3];
  const w = ledger;
  w.append(targets.map((_, i) => ({ run_id: 'bench', kind: 'log', payload: { message: `needle ${rare[i]} here` } })));
  index.build();
  const times = samples(60, (i) => {
    const r = index.search({ query: { text: rare[i % 3]! }, limit: 200 });
    if (r.events.length !== 1 || !r.indexed) throw new Error('search found the wrong events');
  });
  const scan = samples(3, (i) => ledger.page({ query: { text: rare[i % 3]! }, limit: 200 }));
  report(`indexed search for a rare string in ${events.toLocaleString('en-US')} events, median (p99 ${ms(quantile(times, 0.99))})`, ms(median(times)), '50 ms', median(times) / 50, '< 1 (under 50 ms)', median(times) < 50);
  info('the same search by scanning (no index)', ms(median(scan)));
  // A scan's cost must not grow with the needle: 1,000 non-ASCII characters vs 3.
  const long = samples(3, () => ledger.page({ query: { text: '事'.repeat(1000) }, limit: 200 }));
  const short = samples(3, () => ledger.page({ query: { text: '事件x' }, limit: 200 }));
  const needle = median(long) / median(short);
  report('scan for a 1,000-character non-ASCII needle vs a 3-character one', ms(median(long)), ms(median(short)), needle, '<= 1.5', needle <= 1.5);
  index.close();
  ledger.close();
  fs.rmSync(file, { force: true });
}

export async function benchTail(dir: string, big: string, events: number): Promise<void> {
  // A copy of the big ledger (the shared one must stay as generated), which another process appends to.
  const file = path.join(dir, 'tail.db');
  const remove = () => {
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}.writer-cache`]) fs.rmSync(f, { recursive: true, force: true });
  };
  remove();
  fs.copyFileSync(big, file);
  const ledger = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
  const now = () => performance.timeOrigin + performance.now();
  const seen = new Map<number, number>();
  // The follower as the app and `tail` run it: the default interval, and the watch.
  const follower = new Follower(ledger, {
    onEvents: (es) => {
      const t = now();
      for (const e of es) seen.set(JSON.parse(e.payload).n, t);
    },
    onError: (e) => {
      throw e;
    },
  }).start();
  const writer = path.join(import.meta.dirname, '../test/helpers/writer.ts');
  const committed = new Map<number, number>();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [writer, file, '200', '1', '20', 'stamp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [n, t] = line.split(' ').map(Number);
      if (t !== undefined) committed.set(n!, t);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
  await new Promise((r) => setTimeout(r, 300));
  follower.stop();
  ledger.close();
  remove();
  if (seen.size !== 200 || committed.size !== 200) throw new Error(`the follower saw ${seen.size} of 200 events (${committed.size} commits stamped)`);
  // From the writer's commit returning to the follower's callback, both on the same clock.
  const latencies = [...committed].map(([n, t]) => seen.get(n)! - t);
  const p99 = quantile(latencies, 0.99);
  report(
    `tail latency, another process committing to a ${events.toLocaleString('en-US')}-event ledger (200 commits), p99 (median ${ms(median(latencies))}, max ${ms(Math.max(...latencies))})`,
    ms(p99),
    '50 ms',
    p99 / 50,
    '< 1 (within 50 ms)',
    p99 < 50,
  );
}
