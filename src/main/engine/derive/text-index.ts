// Full-text search over payloads: an FTS5 trigram index in the app's cache folder,
// built on demand in steps, extended as the ledger grows. Trigrams make any
// substring of three or more characters findable, Chinese included; every hit is
// re-checked against the payload itself, so the index only narrows, never decides.
import Database from 'better-sqlite3';
import type { Page, PageRequest } from '../../../shared/ledger.ts';
import { removeWithSidecars } from '../base/atomic-write.ts';
import { cacheFileFor } from '../base/cache.ts';
import { contentKey } from './content-key.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import type { LedgerReader } from '../read/reader.ts';
import type { FtsUse } from '../read/query.ts';
import type { ReadDb } from '../base/sqlite.ts';

const VERSION = '2';
export const FTS_SCHEMA = 'li_fts';
/** Fewer new events than this are indexed on the spot before a search. */
const CATCH_UP_ROWS = 50_000;
/**
 * Rows a background build indexes before it lets the worker's other calls in. The
 * build shares the background worker with facets and the histogram: at 20,000 rows a
 * step (about 0.3 s on 1M events, more on a busy machine) a new filter's histogram
 * waited behind several steps and the chart stayed empty for seconds.
 */
const BUILD_STEP_ROWS = 2_000;

/** The text the index holds for a payload: \uXXXX escapes decoded, so non-Latin text is found. */
function indexText(payload: string): string {
  if (!payload.includes('\\u')) return payload;
  try {
    return JSON.stringify(JSON.parse(payload));
  } catch {
    return payload;
  }
}

/** An FTS5 query that requires every trigram of the needle (case folded by the tokenizer). */
export function trigramQuery(needle: string): string | null {
  const chars = [...needle];
  if (chars.length < 3) return null;
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(''));
  return [...grams].map((g) => `"${g.replaceAll('"', '""')}"`).join(' AND ');
}

export class TextIndex {
  readonly file: string;
  private readonly ledger: LedgerReader;
  private db: Database.Database;
  private attached = false;

  constructor(ledger: LedgerReader) {
    this.ledger = ledger;
    this.file = cacheFileFor(ledger.cacheDir, ledger.path, 'fts');
    this.db = this.openIndex();
  }

  private openIndex(): Database.Database {
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
      CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(body, tokenize = 'trigram', content = '', detail = 'none');`);
    const meta = this.meta(db);
    const upto = meta.upto === undefined ? null : Number(meta.upto);
    // An index of another ledger state (replaced file, rebuilt JSONL cache) starts over.
    const stale = meta.version !== undefined && meta.version !== VERSION;
    if (stale || (upto !== null && contentKey(this.ledger, upto) !== meta.key)) {
      db.close();
      removeWithSidecars(this.file);
      return this.openIndex();
    }
    return db;
  }

  private meta(db = this.db): Record<string, string> {
    return Object.fromEntries((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
  }

  /** The last offset indexed, or null when nothing is yet. */
  indexedUpTo(): number | null {
    const v = this.meta().upto;
    return v === undefined ? null : Number(v);
  }

  /** Events not yet indexed (by offset span; exact for gap-free offsets). */
  pending(): number {
    const last = this.ledger.lastOffset();
    if (last === null) return 0;
    const upto = this.indexedUpTo();
    return upto === null ? this.ledger.count() : Math.max(0, last - upto);
  }

  /** Indexes up to `maxRows` more events; true when the index has caught up. */
  step(maxRows: number): boolean {
    const upto = this.indexedUpTo();
    const rows: Array<[number, string]> = [];
    for (const e of this.ledger.iterate({}, upto ?? undefined)) {
      rows.push([e.offset, indexText(e.payload)]);
      if (rows.length >= maxRows) break;
    }
    if (!rows.length) return true;
    const insert = this.db.prepare('INSERT INTO fts (rowid, body) VALUES (?, ?)');
    const setMeta = this.db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)');
    const last = rows.at(-1)![0];
    this.db.transaction(() => {
      for (const r of rows) insert.run(r[0], r[1]);
      setMeta.run('version', VERSION);
      setMeta.run('upto', String(last));
      setMeta.run('key', contentKey(this.ledger, last));
    })();
    return rows.length < maxRows;
  }

  /** Builds (or extends) the index to the ledger's end, reporting progress; cancellable between steps. */
  build(ctl: JobControl = {}): void {
    for (const _ of this.steps(ctl));
  }

  /** The same, yielding to the event loop between steps so a worker's other calls go on meanwhile. */
  async buildInBackground(ctl: JobControl = {}): Promise<void> {
    for (const _ of this.steps(ctl)) await new Promise((r) => setImmediate(r));
  }

  private *steps(ctl: JobControl): Generator<void> {
    // The index joins the ledger's own rows in SQLite: for another store (a database
    // server) it could never be used, so it is not built; searches there scan.
    if (!this.ledger.sqlite) return;
    const total = this.pending();
    const progress = progressReporter(ctl, total, 'events');
    for (;;) {
      throwIfCancelled(ctl.signal, this.ledger.path);
      const finished = this.step(BUILD_STEP_ROWS);
      progress.report(total - this.pending());
      if (finished) break;
      yield;
    }
    progress.done(total);
  }

  /** Whether a search can use the index now (catching up first when only a little is new). */
  ready(): boolean {
    const pending = this.pending();
    if (pending > CATCH_UP_ROWS) return false;
    if (pending > 0) this.build();
    return true;
  }

  /**
   * A page of events whose payload contains `req.query.text`, through the index
   * when it is ready and the needle has three characters or more; otherwise by
   * scanning, in offset windows so progress shows and a cancel is heard.
   */
  search(req: PageRequest, ctl: JobControl = {}): Page & { indexed: boolean } {
    const fts = req.query?.text ? this.useFor(req.query.text) : null;
    if (fts) return { ...this.ledger.page(req, fts), indexed: true };
    return { ...scanPage(this.ledger, req, ctl), indexed: false };
  }

  /** How a query's text condition can use the index now, or null when it must scan. */
  useFor(text: string): FtsUse | null {
    const match = trigramQuery(text);
    // The index joins the ledger's own rows: only a SQLite-backed ledger can use it.
    const db = this.ledger.sqlite?.db;
    if (!match || !db || !this.ready()) return null;
    this.attach(db);
    return { ftsSchema: FTS_SCHEMA, ftsMatch: match };
  }

  private attach(db: ReadDb): void {
    if (this.attached) return;
    // Attached to the read-only ledger connection, so it is read-only there too.
    db.prepare(`ATTACH DATABASE ? AS ${FTS_SCHEMA}`).run(this.file);
    this.attached = true;
  }

  close(): void {
    const db = this.ledger.sqlite?.db;
    if (this.attached && db?.open) db.exec(`DETACH DATABASE ${FTS_SCHEMA}`);
    this.attached = false;
    this.db.close();
  }
}

const WINDOW = 200_000;

/** A forward page found by scanning offset windows, with progress over the offset range. */
export function scanPage(ledger: LedgerReader, req: PageRequest, ctl: JobControl = {}): Page {
  const last = ledger.lastOffset();
  const limit = req.limit ?? 200;
  if (last === null || req.before !== undefined || req.from_end) return ledger.page(req);
  const start = req.after ?? -1;
  const progress = progressReporter(ctl, Math.max(0, last - start), 'offsets');
  const events: Page['events'] = [];
  let from = start;
  while (from < last && events.length < limit) {
    throwIfCancelled(ctl.signal, ledger.path);
    const to = Math.min(last, from + WINDOW);
    const page = ledger.page({ ...req, after: from, limit: limit - events.length, query: { ...req.query, offset_to: Math.min(to, req.query?.offset_to ?? to) } });
    events.push(...page.events);
    from = page.has_more ? page.last_offset! : to;
    progress.report(from - start);
  }
  const more = events.length >= limit && ledger.page({ ...req, after: events.at(-1)!.offset, limit: 1 }).events.length > 0;
  progress.done();
  return { events, first_offset: events[0]?.offset ?? null, last_offset: events.at(-1)?.offset ?? null, has_more: more };
}
