// Issue 3 targets: folding every run, and replay jumps in a long run.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { Replay } from '../src/main/engine/derive/replay.ts';
import { info, median, ms, quantile, rate, report, samples, time } from './lib.ts';

export function benchFold(dir: string, file: string, events: number): void {
  // Baseline: merely iterating the same rows with better-sqlite3 and JSON.parse-ing each payload, on one thread.
  const db = new Database(file, { readonly: true });
  const baseline = () => {
    let n = 0;
    for (const row of db.prepare('SELECT offset, run_id, kind, created_at, payload FROM events ORDER BY offset').iterate() as IterableIterator<{ payload: string }>) {
      JSON.parse(row.payload);
      n++;
    }
    return n;
  };
  // A fold from scratch each time: a ledger opened with an empty cache folder.
  const cacheDir = path.join(dir, 'fold-cache');
  const fold = () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const ledger = Ledger.open(file, { cacheDir });
    try {
      return new Projector(ledger).runs().length;
    } finally {
      ledger.close();
    }
  };
  // Three of each, alternating, medians compared: the other work on a shared machine weighs on both.
  const bases: number[] = [];
  const folds: number[] = [];
  let runs = 0;
  for (let i = 0; i < 3; i++) {
    bases.push(time(baseline).ms);
    const f = time(fold);
    folds.push(f.ms);
    runs = f.value;
  }
  db.close();
  const base = median(bases);
  const ms_ = median(folds);
  const ratio = base / ms_;
  const spread = (xs: number[]) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;
  report(
    `fold all runs (${runs.toLocaleString('en-US')}) of ${events.toLocaleString('en-US')} events on ${Math.min(4, os.availableParallelism())} threads vs iterate + JSON.parse on one (fold ${spread(folds)}, baseline ${spread(bases)})`,
    rate(events, ms_),
    rate(events, base),
    ratio,
    '>= 1.8',
    ratio >= 1.8,
  );
  const ledger = Ledger.open(file, { cacheDir });
  const again = time(() => new Projector(ledger).runs());
  ledger.close();
  info('runs listing from the cached fold (new session, nothing new to fold)', ms(again.ms));
}

export async function benchReplay(dir: string, steps: number): Promise<void> {
  const file = path.join(dir, `one-run-${steps}.db`);
  if (!fs.existsSync(file)) generateLedger(file, { events: steps, runs: 1, seed: 3 });
  const ledger = Ledger.open(file, { cacheDir: path.join(dir, 'replay-cache') });
  const runId = ledger.page({ limit: 1 }).events[0]!.run_id;
  const label = `${steps.toLocaleString('en-US')}-event run`;
  // Opening counts the run and shows step 1; offsets and checkpoints follow in the background.
  const opens = samples(5, () => {
    const r = Replay.open(ledger, runId);
    r.at(1);
    r.close();
  });
  const open = median(opens);
  report(`replay open + first step of a ${label}, median of 5 (spread ${ms(Math.min(...opens))}-${ms(Math.max(...opens))})`, ms(open), '200 ms', open / 200, '< 1 (under 200 ms)', open < 200);
  const replay = Replay.open(ledger, runId);
  const indexed = performance.now();
  await replay.whenIndexed();
  info(`replay index of a ${label} (offsets + checkpoints), in the background`, ms(performance.now() - indexed));
  let x = 12345;
  const jumps = samples(200, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    replay.at(1 + (x % replay.steps));
  });
  const worst = Math.max(...jumps);
  report(`replay jump to a random step of a ${label}, worst of 200 (median ${ms(median(jumps))}, p99 ${ms(quantile(jumps, 0.99))})`, ms(worst), '50 ms', worst / 50, '< 1 (under 50 ms)', worst < 50);
  ledger.close();
}
