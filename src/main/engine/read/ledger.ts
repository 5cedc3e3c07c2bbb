// A ledger opened for reading (and, on request, appending): layout detection,
// keyset pages, single events, facets, stats and time seeks over any layout.
import type { Statement } from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describeIssues, LedgerError } from '../../../shared/errors.ts';
import {
  PageRequestSchema,
  QuerySchema,
  type AppendResult,
  type FacetField,
  type FacetValue,
  type Histogram,
  type IndexingState,
  type LedgerEvent,
  type LedgerStats,
  type Mapping,
  type Page,
  type PageRequest,
  type Query,
  type RulesSource,
} from '../../../shared/ledger.ts';
import { compileRules, RulesSchema, type LedgerRules, type Rules } from '../../../shared/projection.ts';
import { Appender, toRows, type AppendOptions } from '../write/append.ts';
import { defaultCacheDir } from '../base/cache.ts';
import { fileIdentity } from '../base/file-identity.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { readIndexState, waitForIndex } from '../jsonl/jsonl-index-state.ts';
import { indexerError, stopIndexer } from '../jsonl/jsonl-indexer.ts';
import { describeJsonl, isJsonlPath, storedWarnings, syncJsonlIndex, type JsonlSource } from '../jsonl/jsonl-store.ts';
import { detectSource, type Source } from '../layout/layouts.ts';
import { defaultDataDir, loadLedgerSettings } from '../settings/ledger-settings.ts';
import { and, buildWhere, selectList, timeDisplay, type FtsUse } from './query.ts';
import { CANONICAL_INDEXES, CANONICAL_TABLE } from '../format/schema.ts';
import { openReadOnly, openWritable, quoteIdent, sqliteError, wrap, type DB } from '../base/sqlite.ts';

export interface OpenOptions extends JobControl {
  cacheDir?: string;
  /** A column mapping given for this open: it overrides a saved one and the detector. */
  mapping?: Mapping;
  /** Projection rules given for this open: they override saved ones and the layout's. */
  rules?: LedgerRules;
  /** Where saved mappings and rules are read (default: the app's data folder); null reads none. */
  dataDir?: string | null;
  /** A JSONL store not indexed yet opens once its first rows are, and fills in while a thread indexes the rest. */
  progressive?: boolean;
}

type Row = Omit<LedgerEvent, 'truncated' | 'archived'> & { truncated: number; archived?: number };

export class Ledger {
  /** The path the user opened. */
  readonly path: string;
  readonly source: Source;
  readonly cacheDir: string;
  /** For a JSONL store: its files and the index in the cache. */
  readonly jsonl: (JsonlSource & { cacheFile: string }) | null;
  private readonly db: DB;
  /** The SQLite file actually read: the user's file, or a JSONL store's cache index. */
  readonly file: string;
  private readonly stmts = new Map<string, Statement<unknown[]>>();
  private writer: { db: DB; appender: Appender } | null = null;
  warnings: string[] = [];
  /** The projection rules every fold of this ledger follows, and where they came from. */
  rules: Rules = compileRules(null);
  rulesSource: RulesSource = 'none';
  /** What caches made from this ledger are keyed on besides its rows (see content-key.ts). */
  readonly identity: string;
  /** A JSONL store's index is still being built: its rows keep coming in by themselves. */
  private building = false;

  private constructor(p: string, db: DB, file: string, source: Source, cacheDir: string, jsonl: Ledger['jsonl'], identity: string) {
    this.identity = identity;
    this.path = p;
    this.db = db;
    this.file = file;
    this.source = source;
    this.cacheDir = cacheDir;
    this.jsonl = jsonl;
  }

  static open(p: string, opts: OpenOptions = {}): Ledger {
    const file = path.resolve(p);
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    if (isJsonlPath(file)) {
      const src = describeJsonl(file);
      const idx = syncJsonlIndex(src, cacheDir, opts, { progressive: opts.progressive });
      const db = openReadOnly(idx.cacheFile);
      const source = { ...detectSource(db, idx.cacheFile), layout: 'jsonl' as const, appendable: false };
      const ledger = new Ledger(file, db, idx.cacheFile, source, cacheDir, { ...src, cacheFile: idx.cacheFile }, `jsonl:${idx.build}`);
      ledger.warnings = idx.warnings;
      ledger.building = idx.building;
      const rules = opts.rules ?? (opts.dataDir === null ? undefined : loadLedgerSettings(file, opts.dataDir ?? defaultDataDir()).rules);
      try {
        ledger.useRules(rules ? [rules, opts.rules ? 'given' : 'saved'] : null);
      } catch (e) {
        ledger.close();
        throw e;
      }
      return ledger;
    }
    const saved = opts.dataDir === null ? {} : loadLedgerSettings(file, opts.dataDir ?? defaultDataDir());
    // Read through its real path: SQLite finds a linked database's -wal and -shm beside
    // the target, and so must everything that reads the files themselves (snapshots).
    const real = realFile(file);
    const db = openReadOnly(real);
    try {
      const mapping = opts.mapping ?? saved.mapping;
      const source = wrap(file, () => detectSource(db, file, mapping));
      if (!opts.mapping && saved.mapping) source.how = 'saved';
      const ledger = new Ledger(file, db, real, source, cacheDir, null, fileIdentity(real));
      ledger.useRules(opts.rules ? [opts.rules, 'given'] : saved.rules ? [saved.rules, 'saved'] : source.rules ? [source.rules, 'layout'] : null);
      return ledger;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Takes on projection rules (checked, compiled); a rule's node column becomes the node id read. */
  private useRules(given: [LedgerRules, RulesSource] | null): void {
    if (!given) return;
    const parsed = RulesSchema.safeParse(given[0]);
    if (!parsed.success) throw new LedgerError('invalid_argument', `bad rules: ${describeIssues(parsed.error.issues)}`, this.path);
    try {
      this.rules = compileRules(parsed.data);
    } catch (e) {
      throw new LedgerError('invalid_argument', (e as Error).message, this.path);
    }
    this.rulesSource = given[1];
    const column = this.rules.nodeColumn;
    if (column) {
      const table = this.source.table.replace(/^temp\./, '');
      const columns = this.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table.replaceAll('"', '')) as string[];
      if (!columns.includes(column)) throw new LedgerError('invalid_argument', `the rules take node ids from column "${column}", which is not in ${table}; its columns: ${columns.join(', ')}`, this.path);
      this.source.col.node_id = `${this.source.table}.${quoteIdent(column)}`;
    }
  }

  /** How far the indexing of a JSONL store has got, or null once its index is complete (and for SQLite ledgers). */
  indexing(): IndexingState | null {
    if (!this.building || !this.jsonl) return null;
    const st = readIndexState(this.jsonl.cacheFile, this.db);
    if (!fs.existsSync(this.jsonl.cacheFile) || !st || `jsonl:${st.build}` !== this.identity)
      throw indexerError(this.jsonl.cacheFile) ?? new LedgerError('source_changed', 'the indexing of the JSONL store stopped (cancelled, or its files changed); reopen it', this.path);
    if (st.state !== 'building') {
      this.building = false;
      this.warnings = storedWarnings(this.jsonl.cacheFile, this.db);
      return null;
    }
    const events = this.lastOffset() ?? 0;
    const fraction = st.totalBytes ? Math.min(1, st.indexedBytes / st.totalBytes) : 1;
    return { percent: Math.min(99, Math.floor(fraction * 100)), indexed_events: events, estimated_events: fraction > 0 ? Math.round(events / fraction) : events };
  }

  /** Blocks until a JSONL store's index has every row (reporting its progress); at once when it has. */
  waitIndexed(ctl?: JobControl): void {
    if (!this.building || !this.jsonl) return;
    waitForIndex(this.jsonl.cacheFile, ctl);
    // Complete, or stopped: indexing() says which.
    if (this.indexing()) throw new LedgerError('source_changed', 'the indexing of the JSONL store stopped before it finished; reopen it', this.path);
  }

  /** Re-reads a JSONL store's files into its index; a no-op for SQLite ledgers, which see new rows as they commit. */
  refresh(ctl?: JobControl): number {
    if (!this.jsonl) return 0;
    // While the index is built, its builder takes in what the files gain.
    if (this.indexing()) return 0;
    const res = syncJsonlIndex(describeJsonl(this.jsonl.root), this.cacheDir, ctl);
    if (res.rebuilt) throw new LedgerError('source_changed', 'the JSONL store was replaced or cut short; reopen it', this.path);
    this.warnings = res.warnings;
    return res.added;
  }

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = wrap(this.path, () => this.db.prepare<unknown[]>(sql));
      this.stmts.set(sql, s);
    }
    return s;
  }

  private all<T>(sql: string, params: unknown[]): T[] {
    return wrap(this.path, () => this.stmt(sql).all(...params) as T[]);
  }

  private get<T>(sql: string, params: unknown[]): T | undefined {
    return wrap(this.path, () => this.stmt(sql).get(...params) as T | undefined);
  }

  parseQuery(raw: unknown): Query {
    const parsed = QuerySchema.safeParse(raw ?? {});
    if (!parsed.success) throw new LedgerError('invalid_argument', `bad query: ${describeIssues(parsed.error.issues)}`, this.path);
    if (parsed.data.since_seq !== undefined && !this.source.hasSeq)
      throw new LedgerError('invalid_argument', `since_seq needs a seq column, and this ${this.source.layout} ledger has none`, this.path);
    return parsed.data;
  }

  /** One keyset page of events in ledger order. */
  page(raw: PageRequest = {}, fts?: FtsUse): Page {
    const parsed = PageRequestSchema.safeParse(raw);
    if (!parsed.success) throw new LedgerError('invalid_argument', `bad page request: ${describeIssues(parsed.error.issues)}`, this.path);
    const req = parsed.data;
    const query = this.parseQuery(req.query);
    const { col, table } = this.source;
    const backward = req.before !== undefined || req.from_end === true;
    const keyset = req.after !== undefined ? `${col.offset} > ?` : req.before !== undefined ? `${col.offset} < ?` : '';
    const bound = req.after ?? req.before;
    const order = `ORDER BY ${col.offset} ${backward ? 'DESC' : 'ASC'} LIMIT ?`;
    // SQLite walks one index in offset order for `col = ?` but must sort for `col IN (a, b)`:
    // several values become one index walk each, merged.
    const split = splitForIndex(query);
    // Several walks take only offsets (from the index alone where they can), and the rows
    // are read for the page's own offsets: the walks' surplus rows are never fetched.
    const columns = split.length === 1 ? selectList(this.source, req.payload) : `${col.offset} AS o`;
    const branches = split.map((q) => {
      const w = buildWhere(this.source, q, fts);
      return {
        sql: `SELECT ${columns} FROM ${table} ${and(w.sql, keyset)} ${order}`,
        params: [...w.params, ...(bound === undefined ? [] : [bound]), req.limit + 1],
      };
    });
    const direction = backward ? 'DESC' : 'ASC';
    const sql =
      branches.length === 1
        ? branches[0]!.sql
        : `SELECT ${selectList(this.source, req.payload)} FROM ${table} WHERE ${col.offset} IN (${branches.map((b) => `SELECT o FROM (${b.sql})`).join(' UNION ALL ')} ORDER BY o ${direction} LIMIT ?) ORDER BY ${col.offset} ${direction}`;
    const params = branches.flatMap((b) => b.params);
    if (branches.length > 1) params.push(req.limit + 1);
    const rows = this.all<Row>(sql, params);
    const has_more = rows.length > req.limit;
    if (has_more) rows.pop();
    if (backward) rows.reverse();
    const events = rows.map(toEvent);
    const indexing = this.indexing();
    return {
      events,
      first_offset: events[0]?.offset ?? null,
      last_offset: events.at(-1)?.offset ?? null,
      has_more,
      ...(indexing ? { indexing } : {}),
    };
  }

  /** The whole event at an offset, or null. */
  event(offset: number): LedgerEvent | null {
    const { col, table } = this.source;
    const row = this.get<Row>(`SELECT ${selectList(this.source, 'full')} FROM ${table} WHERE ${col.offset} = ?`, [offset]);
    return row ? toEvent(row) : null;
  }

  /** Iterates every matching event in ledger order, full payloads, without holding them all. */
  *iterate(raw: unknown = {}, fromOffset?: number): Generator<LedgerEvent> {
    const query = this.parseQuery(raw);
    const { col, table } = this.source;
    const w = buildWhere(this.source, query);
    const params = [...w.params];
    let keyset = '';
    if (fromOffset !== undefined) {
      keyset = `${col.offset} > ?`;
      params.push(fromOffset);
    }
    const sql = `SELECT ${selectList(this.source, 'full')} FROM ${table} ${and(w.sql, keyset)} ORDER BY ${col.offset}`;
    // A dedicated statement: iterate() keeps it busy until the loop ends.
    const it = wrap(this.path, () => this.db.prepare(sql).iterate(...params)) as IterableIterator<Row>;
    // SQLite reports a damaged page when the walk reaches it, not when it starts.
    try {
      for (const row of it) yield toEvent(row);
    } catch (e) {
      throw sqliteError(e, this.path);
    }
  }

  /** Iterates the offsets of matching events in ledger order: a view's position index. */
  *iterateOffsets(raw: unknown = {}, after?: number, fts?: FtsUse, limit = -1): Generator<number> {
    const query = this.parseQuery(raw);
    const { col, table } = this.source;
    const w = buildWhere(this.source, query, fts);
    const keyset = after === undefined ? '' : `${col.offset} > ?`;
    const params = after === undefined ? [...w.params, limit] : [...w.params, after, limit];
    const sql = `SELECT ${col.offset} FROM ${table} ${and(w.sql, keyset)} ORDER BY ${col.offset} LIMIT ?`;
    const it = wrap(this.path, () => this.db.prepare(sql).pluck().iterate(...params)) as IterableIterator<number>;
    try {
      yield* it;
    } catch (e) {
      throw sqliteError(e, this.path);
    }
  }

  /** Distinct values of a field with their counts, most frequent first. */
  facets(field: FacetField, raw: unknown = {}, limit = 100): FacetValue[] {
    const query = this.parseQuery(raw);
    const expr = this.source.col[field];
    if (expr === 'NULL') return [];
    const w = buildWhere(this.source, query);
    return this.all<FacetValue>(
      `SELECT ${expr} AS value, count(*) AS count FROM ${this.source.table} ${and(w.sql)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`,
      [...w.params, limit],
    );
  }

  /**
   * How many events match: a full count, for callers that can wait for it. With a
   * job control it counts in offset windows, reporting progress and hearing a cancel.
   */
  count(raw: unknown = {}, ctl?: JobControl): number {
    const query = this.parseQuery(raw);
    const w = buildWhere(this.source, query);
    const { col, table } = this.source;
    if (!ctl) return this.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} ${and(w.sql)}`, w.params)!.n;
    const lo = this.get<{ v: number | null }>(`SELECT min(${col.offset}) AS v FROM ${table}`, [])!.v;
    const hi = this.lastOffset();
    if (lo === null || hi === null) return 0;
    const progress = progressReporter(ctl, hi - lo + 1, 'offsets');
    const sql = `SELECT count(*) AS n FROM ${table} ${and(w.sql, `${col.offset} >= ? AND ${col.offset} < ?`)}`;
    let n = 0;
    for (let from = lo; from <= hi; from += COUNT_WINDOW) {
      throwIfCancelled(ctl.signal, this.path);
      n += this.get<{ n: number }>(sql, [...w.params, from, from + COUNT_WINDOW])!.n;
      progress.report(Math.min(hi, from + COUNT_WINDOW) - lo);
    }
    progress.done();
    return n;
  }

  /** Matching events per time bucket, over the selection's own time span (so a filter zooms it). */
  histogram(raw: unknown = {}, buckets = 120): Histogram {
    const query = this.parseQuery(raw);
    const { col, table } = this.source;
    if (col.time === 'NULL') return { from: null, to: null, bucket_ms: 0, counts: [] };
    const w = buildWhere(this.source, query);
    const t = `round(unixepoch(${timeDisplay(this.source)}, 'subsec') * 1000)`;
    const span = this.get<{ lo: number | null; hi: number | null }>(`SELECT min(${t}) AS lo, max(${t}) AS hi FROM ${table} ${and(w.sql)}`, w.params)!;
    if (span.lo === null || span.hi === null) return { from: null, to: null, bucket_ms: 0, counts: [] };
    const bucketMs = Math.max(1, Math.ceil((span.hi - span.lo + 1) / buckets));
    const counts = new Array<number>(buckets).fill(0);
    for (const r of this.all<{ b: number; n: number }>(
      `SELECT CAST((${t} - ?) / ? AS INTEGER) AS b, count(*) AS n FROM ${table} ${and(w.sql, `${col.time} IS NOT NULL`)} GROUP BY 1`,
      [span.lo, bucketMs, ...w.params],
    ))
      if (r.b >= 0 && r.b < buckets) counts[r.b] = r.n;
    return { from: new Date(span.lo).toISOString(), to: new Date(span.hi).toISOString(), bucket_ms: bucketMs, counts };
  }

  /**
   * The first offset whose time is at or after `iso`, by binary search over the
   * ledger order: exact when times rise with offsets, a close landing otherwise.
   */
  seekTime(iso: string): number | null {
    const t = Date.parse(iso);
    if (Number.isNaN(t)) throw new LedgerError('invalid_argument', `not a time: ${iso}`, this.path);
    const { col, table } = this.source;
    if (col.time === 'NULL') throw new LedgerError('invalid_argument', 'this ledger has no time column', this.path);
    const bounds = this.get<{ lo: number | null; hi: number | null }>(`SELECT min(${col.offset}) AS lo, max(${col.offset}) AS hi FROM ${table}`, []);
    if (!bounds || bounds.lo === null || bounds.hi === null) return null;
    // The time of the first event at or after an offset.
    const at = (o: number) => {
      const r = this.get<{ offset: number; time: string | null }>(
        `SELECT ${col.offset} AS offset, ${timeDisplay(this.source)} AS time FROM ${table} WHERE ${col.offset} >= ? ORDER BY ${col.offset} LIMIT 1`,
        [o],
      );
      return r ? { offset: r.offset, time: r.time ? Date.parse(r.time) : NaN } : null;
    };
    let lo = bounds.lo;
    let hi = bounds.hi;
    if (!(at(hi)!.time >= t)) return null;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (at(mid)!.time >= t) hi = mid;
      else lo = mid + 1;
    }
    return at(lo)?.offset ?? null;
  }

  stats(): LedgerStats {
    const indexing = this.indexing();
    const { col, table } = this.source;
    const s = this.get<{ n: number; lo: number | null; hi: number | null }>(
      `SELECT count(*) AS n, min(${col.offset}) AS lo, max(${col.offset}) AS hi FROM ${table}`,
      [],
    )!;
    const runs = this.get<{ n: number }>(`SELECT count(DISTINCT ${col.run_id}) AS n FROM ${table}`, [])!.n;
    const timeAt = (o: number | null) =>
      o === null ? null : (this.get<{ t: string | null }>(`SELECT ${timeDisplay(this.source)} AS t FROM ${table} WHERE ${col.offset} = ?`, [o])?.t ?? null);
    const kinds: Record<string, number> = {};
    for (const f of this.facets('kind', {}, 100_000)) kinds[String(f.value)] = f.count;
    return {
      path: this.path,
      layout: this.source.layout,
      table: this.source.table.replaceAll('"', ''),
      events: s.n,
      runs,
      first_offset: s.lo,
      last_offset: s.hi,
      first_time: timeAt(s.lo),
      last_time: timeAt(s.hi),
      kinds,
      warnings: this.warnings,
      mapping: { how: this.source.how, mapping: this.source.mapping },
      rules: { how: this.rulesSource, rules: this.rules.spec },
      ...(indexing ? { indexing } : {}),
    };
  }

  /** The highest offset now in the ledger (cheap: an index lookup). */
  lastOffset(): number | null {
    const { col, table } = this.source;
    return this.get<{ hi: number | null }>(`SELECT max(${col.offset}) AS hi FROM ${table}`, [])!.hi;
  }

  /** Appends events (validated, idempotent by id, one transaction). Opens a write connection on first use. */
  append(events: unknown[], opts: AppendOptions = {}): AppendResult {
    if (!this.source.appendable)
      throw new LedgerError('read_only', `appending is for canonical ledgers; this one is ${this.source.layout}`, this.path);
    // Validated before the file is touched: a rejected batch changes nothing.
    const rows = toRows(events, this.path, opts.maxPayloadBytes, opts.payloadTexts);
    if (!this.writer) {
      try {
        fs.accessSync(this.file, fs.constants.W_OK);
      } catch {
        throw new LedgerError('read_only', 'the file is not writable', this.path);
      }
      // The ledger keeps its own journal mode: appending adds rows, nothing else.
      const db = openWritable(this.file, { keepJournalMode: true });
      this.writer = { db, appender: new Appender(db, this.path) };
    }
    const result = this.writer.appender.append(rows, opts);
    if (!this.source.hasSeq) {
      // The append added the seq column; the read connection's statements predate it.
      Object.assign(this.source, { hasSeq: true, col: { ...this.source.col, seq: `${this.source.table}."seq"` } });
      this.stmts.clear();
    }
    return result;
  }

  close(): void {
    if (this.building && this.jsonl) stopIndexer(this.jsonl.cacheFile);
    this.writer?.db.close();
    this.writer = null;
    if (this.db.open) this.db.close();
  }

  /** Direct access for engine modules built on top (projections, search, snapshots). */
  get connection(): DB {
    return this.db;
  }
}

const MAX_SPLIT = 32;
const COUNT_WINDOW = 500_000;

/** A query with several runs (or else kinds) as one query per value; otherwise itself. */
function splitForIndex(q: Query): Query[] {
  if (q.runs && q.runs.length > 1 && q.runs.length <= MAX_SPLIT) return q.runs.map((r) => ({ ...q, runs: [r] }));
  if (q.kinds && q.kinds.length > 1 && q.kinds.length <= MAX_SPLIT) return q.kinds.map((k) => ({ ...q, kinds: [k] }));
  return [q];
}

/** Rows come back with the event's field names already; only the flag needs a boolean. In place: pages are hot. */
function toEvent(r: Row): LedgerEvent {
  (r as unknown as LedgerEvent).truncated = r.truncated === 1;
  if (r.archived !== undefined) (r as unknown as LedgerEvent).archived = !!r.archived;
  return r as unknown as LedgerEvent;
}

/** The file a path names once links are followed; the path itself where it names nothing (the open then says so). */
function realFile(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Creates a new, empty canonical ledger. */
export function createCanonical(file: string): void {
  const db = openWritable(file);
  try {
    wrap(file, () => {
      db.exec(CANONICAL_TABLE);
      for (const sql of CANONICAL_INDEXES) db.exec(sql);
    });
  } finally {
    db.close();
  }
}
