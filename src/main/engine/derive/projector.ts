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
  /** The cache's meta as this session last read or wrote it; null where the cache on disk is not this session's fold. */
  private onDisk: Record<string, string> | null = null;

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
    if (bounds.length) return this.foldInParallel(bounds, last, ctl);
    const from = before ?? first;
    const progress = progressReporter(ctl, last - from, 'offsets');
    foldInto(this.ledger, this.states, { after: before, upto: last }, null, (offset) => {
      progress.report(offset - from);
      throwIfCancelled(ctl.signal);
    });
    progress.done();
    this.folded = last;
    // The runs with events past the previous fold extend the cache that fold left; every
    // run replaces a cache that is not this session's.
    const extending = before === null ? null : this.onDisk;
    const cache = new CacheWrite(this.cacheFile, extending);
    try {
      cache.put(extending ? [...this.states.values()].filter((s) => s.run.last_offset > before!) : this.states.values());
      this.onDisk = cache.commit(this.cacheMeta(last));
    } finally {
      cache.close();
    }
  }

  /** A fold from scratch on every core. This thread writes its own runs to the cache while the other threads finish theirs. */
  private foldInParallel(bounds: unknown[], last: number, ctl: JobControl): void {
    let cache: CacheWrite | null = null;
    try {
      let own: ReadonlyMap<string, RunState> = new Map();
      this.states = foldInParallel(this.ledger, bounds, last, ctl, (mine) => {
        own = mine;
        cache = new CacheWrite(this.cacheFile, null);
        cache.put(mine.values());
      });
      this.folded = last;
      cache ??= new CacheWrite(this.cacheFile, null);
      cache.put([...this.states.values()].filter((s) => !own.has(s.run.run_id)));
      this.onDisk = cache.commit(this.cacheMeta(last));
    } finally {
      cache?.close();
    }
  }

  private cacheMeta(folded: number): Record<string, string> {
    return { version: CACHE_VERSION, folded: String(folded), key: contentKey(this.ledger, folded), rules: this.rulesKey };
  }

  private load(): void {
    this.loaded = true;
    const file = this.cacheFile;
    if (!fs.existsSync(file)) return;
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true });
      const meta = readMeta(db);
      const folded = Number(meta.folded);
      if (meta.version !== CACHE_VERSION || meta.rules !== this.rulesKey || !Number.isFinite(folded) || contentKey(this.ledger, folded) !== meta.key) return;
      const states = (db.prepare('SELECT state FROM runs').pluck().all() as string[]).map((row) => JSON.parse(row) as RunState);
      // In first-offset order, as a fold gives them: a parallel fold writes its ranges one after another.
      states.sort((a, b) => a.run.first_offset - b.run.first_offset);
      for (const s of states) this.states.set(s.run.run_id, s);
      this.folded = folded;
      this.onDisk = meta;
    } catch {
      // An unreadable cache is rebuilt from the ledger.
      this.states.clear();
      this.folded = null;
      this.onDisk = null;
    } finally {
      db?.close();
    }
  }
}

/** The fold cache's meta: its version, the offset folded to, the ledger's content key there, the rules. */
function readMeta(db: Database.Database): Record<string, string> {
  return Object.fromEntries((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
}

/**
 * A write of the fold cache, in one transaction: runs put as they are ready, the fold's
 * key last. The cache only saves time: failing to write it loses nothing, so a failure
 * ends the write quietly and the next session folds again.
 */
class CacheWrite {
  private db: Database.Database | null = null;
  private statement: Database.Statement | null = null;

  /**
   * `extending`: the meta of the cache this write adds runs to; null replaces the cache
   * whole. Where another process has rewritten the cache since (its meta differs), this
   * write is skipped: runs of two folds under one meta would be trusted as one fold.
   */
  constructor(file: string, extending: Record<string, string> | null) {
    try {
      this.db = new Database(file);
      // Large pages for a new cache (the states are kilobytes each): writing one from scratch takes half as long as with 4 KiB pages.
      this.db.pragma('page_size = 65536');
      this.db.pragma('journal_mode = WAL');
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, state TEXT)');
      // IMMEDIATE: the meta checked below stays the cache's until this write commits.
      this.db.exec('BEGIN IMMEDIATE');
      if (extending) {
        const stored = readMeta(this.db);
        if (Object.keys(extending).some((k) => stored[k] !== extending[k])) {
          this.close();
          return;
        }
      } else this.db.exec('DELETE FROM runs');
      this.statement = this.db.prepare('INSERT OR REPLACE INTO runs VALUES (?, ?)');
    } catch {
      this.close();
    }
  }

  put(states: Iterable<RunState>): void {
    try {
      if (this.statement) for (const s of states) this.statement.run(s.run.run_id, JSON.stringify(s));
    } catch {
      this.close();
    }
  }

  /** Commits with the fold's meta; returns the meta where the write went in, else null. */
  commit(meta: Record<string, string>): Record<string, string> | null {
    try {
      if (!this.db) return null;
      const put = this.db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)');
      for (const [k, v] of Object.entries(meta)) put.run(k, v);
      this.db.exec('COMMIT');
      return meta;
    } catch {
      // Closed below, which rolls the write back.
      return null;
    } finally {
      this.close();
    }
  }

  /** Ends the write; what was not committed is rolled back. */
  close(): void {
    this.db?.close();
    this.db = null;
    this.statement = null;
  }
}
