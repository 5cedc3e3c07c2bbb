// Run projections of a whole ledger, folded once and kept in the app's cache keyed
// to the last offset folded, so a growing ledger extends the fold instead of redoing it.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { LedgerError } from '../../../shared/errors.ts';
import { foldRun, type DriftRow, type RunDetail, type RunProjection, type RunState } from '../../../shared/projection.ts';
import { cacheFileFor } from '../base/cache.ts';
import { contentKey } from './content-key.ts';
import { foldBounds, foldInParallel, foldInto, foldThreads } from './fold-partition.ts';
import { driftOf } from './drift.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import type { LedgerReader } from '../read/reader.ts';

const CACHE_VERSION = '2';

export class Projector {
  private readonly ledger: LedgerReader;
  private states = new Map<string, RunState>();
  private folded: number | null = null;
  private loaded = false;

  constructor(ledger: LedgerReader) {
    this.ledger = ledger;
  }

  /** A fold made under other rules, or of other columns (another mapping), is another fold. */
  private get rulesKey(): string {
    return JSON.stringify({ rules: this.ledger.rules.spec, columns: this.ledger.mappingKey });
  }

  private get cacheFile(): string {
    return cacheFileFor(this.ledger.cacheDir, this.ledger.path, 'runs');
  }

  /** Every run, brought up to date with the ledger's newest events. */
  runs(opts: { status?: string } & JobControl = {}): RunProjection[] {
    this.update(opts);
    const out: RunProjection[] = [];
    for (const s of this.states.values()) if (!opts.status || s.run.status === opts.status) out.push(s.run);
    return out.sort((a, b) => a.first_offset - b.first_offset);
  }

  /** One run and its node-runs, folded from that run's own events, with drift where stored tables exist. */
  run(runId: string): RunDetail {
    const s = foldRun(this.ledger.iterate({ runs: [runId] }), this.ledger.rules);
    if (!s) throw new LedgerError('not_found', `no run "${runId}" in this ledger`, this.ledger.path);
    const stored = this.ledger.storedState();
    try {
      return { run: s.run, node_runs: s.node_runs, drift: stored ? driftOf(stored, [s], { only: runId }) : null };
    } finally {
      stored?.close();
    }
  }

  /** Drift of every run from the stored tables; null where there are none. */
  drift(ctl?: JobControl): DriftRow[] | null {
    const stored = this.ledger.storedState();
    if (!stored) return null;
    try {
      this.update(ctl);
      return driftOf(stored, [...this.states.values()]);
    } finally {
      stored.close();
    }
  }

  /** Folds what is new since the last call (or since the cached fold), then saves the cache. */
  private update(ctl: JobControl = {}): void {
    if (!this.loaded) this.load();
    const last = this.ledger.lastOffset();
    if (last === null || last === this.folded) return;
    const first = this.ledger.page({ limit: 1 }).first_offset ?? last;
    const before = this.folded;
    // A fold from scratch of a big ledger runs on every core (a JSONL index still being built
    // is read here alone); what is new since a fold, on this thread.
    const threads = before === null && !this.ledger.indexing() ? foldThreads(this.ledger, last - first) : 1;
    const bounds = threads > 1 ? foldBounds(this.ledger, first, last, threads) : [];
    if (bounds.length) this.states = foldInParallel(this.ledger, bounds, last, ctl);
    else {
      const from = before ?? first;
      const progress = progressReporter(ctl, last - from, 'offsets');
      foldInto(this.ledger, this.states, { after: before, upto: last }, null, (offset) => {
        progress.report(offset - from);
        throwIfCancelled(ctl.signal);
      });
      progress.done();
    }
    this.folded = last;
    // The runs with events past the previous fold: every run, for a fold from scratch.
    const touched = new Set<string>();
    for (const [id, s] of this.states) if (before === null || s.run.last_offset > before) touched.add(id);
    this.save(touched, last);
  }

  private load(): void {
    this.loaded = true;
    const file = this.cacheFile;
    if (!fs.existsSync(file)) return;
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true });
      const meta = Object.fromEntries((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
      const folded = Number(meta.folded);
      if (meta.version !== CACHE_VERSION || meta.rules !== this.rulesKey || !Number.isFinite(folded) || contentKey(this.ledger, folded) !== meta.key) return;
      for (const row of db.prepare('SELECT state FROM runs').pluck().iterate() as IterableIterator<string>) {
        const s = JSON.parse(row) as RunState;
        this.states.set(s.run.run_id, s);
      }
      this.folded = folded;
    } catch {
      // An unreadable cache is rebuilt from the ledger.
      this.states.clear();
      this.folded = null;
    } finally {
      db?.close();
    }
  }

  private save(touched: Set<string>, folded: number): void {
    const key = contentKey(this.ledger, folded);
    try {
      const db = new Database(this.cacheFile);
      try {
        // Large pages for a new cache (the states are kilobytes each): writing one from scratch takes half as long as with 4 KiB pages.
        db.pragma('page_size = 65536');
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, state TEXT)');
        const put = db.prepare('INSERT OR REPLACE INTO runs VALUES (?, ?)');
        const meta = db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)');
        db.transaction(() => {
          // A cache from another ledger state is replaced whole.
          if (touched.size === this.states.size) db.exec('DELETE FROM runs');
          for (const id of touched) put.run(id, JSON.stringify(this.states.get(id)));
          meta.run('version', CACHE_VERSION);
          meta.run('folded', String(folded));
          meta.run('key', key);
          meta.run('rules', this.rulesKey);
        })();
      } finally {
        db.close();
      }
    } catch {
      // The cache only saves time; failing to write it loses nothing.
    }
  }
}
