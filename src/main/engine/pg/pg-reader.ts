// The reader of a ledger held in a PostgreSQL table: keyset pages both ways, single
// events, iteration in keyset batches, summaries. Nothing counts rows before the
// first ones arrive: totals and facets of big tables start from the planner's
// statistics (marked as estimates); exact counts are for the background lane.
import { LedgerError } from '../../../shared/errors.ts';
import {
  type FacetField,
  type FacetValue,
  type Histogram,
  type LedgerEvent,
  type LedgerStats,
  type Page,
  type PageRequest,
  type Query,
  type RulesSource,
} from '../../../shared/ledger.ts';
import type { LedgerRules } from '../../../shared/projection.ts';
import type { JobControl } from '../base/jobs.ts';
import { quoteIdent } from '../base/sqlite.ts';
import { checkPageRequest, checkQuery } from '../read/checks.ts';
import type { LedgerReader, StoredState } from '../read/reader.ts';
import { ReaderBase } from '../read/reader-base.ts';
import { notifyChannel } from './pg-notify.ts';
import { pgSnapshot } from './pg-snapshot.ts';
import { raw, sql, where } from '../base/sql.ts';
import { pgSelectList, pgTimeInYears, pgTimeMs, pgWhere } from './pg-query.ts';
import type { PgSource } from './pg-source.ts';
import type { SyncPg } from './sync-client.ts';

/** Tables the planner guesses at fewer rows than this are counted exactly: it is quick. */
const EXACT_BELOW = 200_000;
const ITERATE_BATCH = 2_000;
const OFFSETS_BATCH = 50_000;
const COUNT_WINDOW = 1_000_000;

type Row = Omit<LedgerEvent, 'archived'> & { archived?: boolean | number };

export interface PgParts {
  /** The URL without its password. */
  path: string;
  pg: SyncPg;
  source: PgSource;
  cacheDir: string;
}

export class PgReader extends ReaderBase<PgSource> implements LedgerReader {
  readonly identity: string;
  readonly schema: string;
  readonly sqlite = null;
  protected readonly pg: SyncPg;
  /** The table's oid when opened: a dropped and recreated table is another ledger. */
  private readonly oid: number;

  constructor(parts: PgParts) {
    super(parts.path, parts.source, parts.cacheDir);
    this.pg = parts.pg;
    this.oid = this.tableOid() ?? 0;
    const columns = this.pg.rows<{ d: string }>(
      `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS d FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped`,
      [this.oid],
    )[0]?.d;
    this.schema = `${this.source.tableName}(${columns ?? ''})`;
    this.identity = `pg:${this.pg.server.label}/${this.source.schemaName}.${this.source.tableName}#${this.oid}`;
  }

  private tableOid(): number | null {
    const qualified = `${quoteIdent(this.source.schemaName)}.${quoteIdent(this.source.tableName)}`;
    return this.pg.rows<{ oid: number | null }>('SELECT to_regclass($1)::oid::bigint AS oid', [qualified])[0]?.oid ?? null;
  }

  useRules(given: [LedgerRules, RulesSource] | null): void {
    if (!given) return;
    this.takeRules(given, this.source.tableName, () =>
      this.pg.rows<{ name: string }>('SELECT attname AS name FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped', [this.oid]).map((r) => r.name),
    );
  }

  indexing(): null {
    return null;
  }

  waitIndexed(): void {}

  /** A server sees other clients' commits as they happen; this only checks the table is still the one opened. */
  refresh(): number {
    const oid = this.tableOid();
    if (oid === null) throw new LedgerError('source_changed', `the table ${this.source.tableName} was dropped while being followed`, this.path);
    if (oid !== this.oid) throw new LedgerError('source_changed', `the table ${this.source.tableName} was replaced by another table; reopen it`, this.path);
    return 0;
  }

  /**
   * Where the table has a trigger that notifies on insert, LISTENs on its channel and
   * calls `onChange` on each notification; else null, and a follower polls by offset
   * alone (it polls anyway, so a channel connection that dies loses nothing).
   */
  watch(onChange: () => void): (() => void) | null {
    const channel = notifyChannel(this.pg, this.oid, this.source.tableName);
    if (!channel) return null;
    try {
      return this.pg.listen(channel, onChange);
    } catch {
      // Listening is only a shortcut: where it fails, polling carries on.
      return null;
    }
  }

  storedState(): StoredState | null {
    const tables = this.pg
      .rows<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name IN ('runs', 'node_runs') AND column_name IN ('run_id', 'status')
          GROUP BY table_name HAVING count(*) = 2`,
        [this.source.schemaName],
      )
      .map((r) => r.name);
    if (!tables.length) return null;
    const read = (t: string) => (tables.includes(t) ? this.pg.rows<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(this.source.schemaName)}.${quoteIdent(t)}`, [], { long: true }) : []);
    return { file: this.path, runs: read('runs'), nodeRuns: read('node_runs'), close: () => undefined };
  }

  close(): void {
    this.pg.close();
  }

  parseQuery(given: unknown): Query {
    return checkQuery(given, this.source, this.path);
  }

  page(given: PageRequest = {}): Page {
    const req = checkPageRequest(given, this.path);
    const { col, table } = this.source;
    const parts = pgWhere(this.source, this.parseQuery(req.query));
    const backward = req.before !== undefined || req.from_end === true;
    const offset = raw(col.offset);
    if (req.after !== undefined) parts.push(sql`${offset} > ${req.after}`);
    if (req.before !== undefined) parts.push(sql`${offset} < ${req.before}`);
    const rows = this.pg.rows<Row>(
      sql`SELECT ${raw(pgSelectList(this.source, req.payload))} FROM ${raw(table)} ${where(...parts)} ORDER BY ${offset} ${raw(backward ? 'DESC' : 'ASC')} LIMIT ${req.limit + 1}`,
    );
    const has_more = rows.length > req.limit;
    if (has_more) rows.pop();
    if (backward) rows.reverse();
    const events = rows.map(toEvent);
    return { events, first_offset: events[0]?.offset ?? null, last_offset: events.at(-1)?.offset ?? null, has_more };
  }

  event(offset: number): LedgerEvent | null {
    const row = this.pg.rows<Row>(sql`SELECT ${raw(pgSelectList(this.source, 'full'))} FROM ${raw(this.source.table)} WHERE ${raw(this.source.col.offset)} = ${offset}`)[0];
    return row ? toEvent(row) : null;
  }

  /** Every matching event in ledger order, a keyset batch at a time: no transaction held open between batches. */
  *iterate(given: unknown = {}, fromOffset?: number): Generator<LedgerEvent> {
    const query = this.parseQuery(given);
    let after = fromOffset;
    for (;;) {
      const page = this.page({ query, after, limit: ITERATE_BATCH, payload: 'full' });
      yield* page.events;
      if (!page.has_more) return;
      after = page.last_offset!;
    }
  }

  *iterateOffsets(given: unknown = {}, after?: number, _fts?: unknown, limit = -1): Generator<number> {
    const query = this.parseQuery(given);
    const { col, table } = this.source;
    let left = limit < 0 ? Infinity : limit;
    let from = after;
    while (left > 0) {
      const parts = pgWhere(this.source, query);
      const offset = raw(col.offset);
      if (from !== undefined) parts.push(sql`${offset} > ${from}`);
      const n = Math.min(left, OFFSETS_BATCH);
      const offsets = this.pg.arrays(sql`SELECT ${offset} FROM ${raw(table)} ${where(...parts)} ORDER BY ${offset} LIMIT ${n}`).map((r) => r[0] as number);
      yield* offsets;
      if (offsets.length < n) return;
      left -= offsets.length;
      from = offsets.at(-1)!;
    }
  }

  /** A new canonical SQLite ledger of the chosen events, streamed with COPY (see pg-snapshot.ts). */
  snapshot(dest: string, opts: { upToOffset?: number; runs?: string[] } = {}, ctl: JobControl = {}): { events: number } {
    const whole = opts.upToOffset === undefined && !opts.runs?.length;
    const query: Query = { ...(opts.upToOffset !== undefined && { offset_to: opts.upToOffset }), ...(opts.runs?.length && { runs: opts.runs }) };
    // The progress bar's length: the planner's estimate for a whole big table, else a count.
    const estimate = whole ? this.estimatedRows() : null;
    const total = estimate !== null && estimate >= EXACT_BELOW ? estimate : this.count(query);
    return pgSnapshot(this.pg, this.source, total, dest, query, ctl);
  }

  /** The planner's row estimate (null before the table was ever analysed). */
  private estimatedRows(): number | null {
    const r = this.pg.rows<{ n: number }>('SELECT reltuples::bigint AS n FROM pg_class WHERE oid = $1', [this.oid])[0];
    return r && r.n >= 0 ? r.n : null;
  }

  /** Distinct values with counts, most frequent first; for a big table unfiltered, the planner's most common values, marked as estimates, unless `exact`. */
  facets(field: FacetField, given: unknown = {}, limit = 100, opts: { exact?: boolean } = {}): FacetValue[] {
    const query = this.parseQuery(given);
    const expr = this.source.col[field];
    if (expr === 'NULL') return [];
    if (!opts.exact && Object.keys(query).length === 0) {
      const estimate = this.facetEstimate(expr, limit);
      if (estimate) return estimate;
    }
    return this.pg.rows<FacetValue>(sql`SELECT ${raw(expr)} AS value, count(*) AS count FROM ${raw(this.source.table)} ${where(...pgWhere(this.source, query))} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${limit}`, [], {
      // Asked for exact counts, the background lane waits for the whole table's.
      long: opts.exact,
    });
  }

  private facetEstimate(expr: string, limit: number): FacetValue[] | null {
    const rows = this.estimatedRows();
    const column = expr.match(/^"[^"]*(?:""[^"]*)*"\."((?:[^"]|"")*)"$/)?.[1]?.replaceAll('""', '"');
    if (rows === null || rows < EXACT_BELOW || !column) return null;
    const st = this.pg.rows<{ vals: string[] | null; freqs: number[] | null }>(
      `SELECT most_common_vals::text::text[] AS vals, most_common_freqs AS freqs FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND attname = $3`,
      [this.source.schemaName, this.source.tableName, column],
    )[0];
    if (!st?.vals || !st.freqs) return null;
    return st.vals.slice(0, limit).map((value, i) => ({ value, count: Math.round(st.freqs![i]! * rows), estimate: true }));
  }

  count(given: unknown = {}, ctl?: JobControl): number {
    const query = this.parseQuery(given);
    const { col, table } = this.source;
    if (!ctl) {
      return this.pg.rows<{ n: number }>(sql`SELECT count(*)::bigint AS n FROM ${raw(table)} ${where(...pgWhere(this.source, query))}`, [], { long: true })[0]!.n;
    }
    return this.countInWindows(
      this.page({ limit: 1 }).first_offset,
      this.lastOffset(),
      COUNT_WINDOW,
      ctl,
      (from, to) => {
        const window = sql`${raw(col.offset)} >= ${from} AND ${raw(col.offset)} < ${to}`;
        return this.pg.rows<{ n: number }>(sql`SELECT count(*)::bigint AS n FROM ${raw(table)} ${where(...pgWhere(this.source, query), window)}`, [], { long: true })[0]!.n;
      },
      (from) => this.pg.rows<{ v: number | null }>(sql`SELECT min(${raw(col.offset)}) AS v FROM ${raw(table)} WHERE ${raw(col.offset)} >= ${from}`)[0]!.v,
    );
  }

  histogram(given: unknown = {}, buckets = 120): Histogram {
    const query = this.parseQuery(given);
    const { col, table } = this.source;
    const none = { from: null, to: null, bucket_ms: 0, counts: [] };
    if (col.time === 'NULL') return none;
    const t = raw(pgTimeMs(this.source));
    // Only times in years 1-9999 have a place on the axis (as in a SQLite ledger); a BC or infinite one has none.
    const parts = [...pgWhere(this.source, query), raw(pgTimeInYears(this.source))];
    const span = this.pg.rows<{ lo: number | null; hi: number | null }>(
      sql`SELECT round(min(${t}))::float8 AS lo, round(max(${t}))::float8 AS hi FROM ${raw(table)} ${where(...parts)}`,
    )[0]!;
    if (span.lo === null || span.hi === null) return none;
    const bucketMs = Math.max(1, Math.ceil((span.hi - span.lo + 1) / buckets));
    const counts = new Array<number>(buckets).fill(0);
    for (const r of this.pg.rows<{ b: number; n: number }>(
      sql`SELECT floor((round(${t}) - ${span.lo}) / ${bucketMs})::bigint AS b, count(*)::bigint AS n FROM ${raw(table)} ${where(...parts)} GROUP BY 1`,
    ))
      if (r.b >= 0 && r.b < buckets) counts[r.b] = r.n;
    return { from: new Date(span.lo).toISOString(), to: new Date(span.hi).toISOString(), bucket_ms: bucketMs, counts };
  }

  /** The first offset whose time is at or after `iso`: one indexed walk in ledger order. */
  seekTime(iso: string): number | null {
    if (Number.isNaN(Date.parse(iso))) throw new LedgerError('invalid_argument', `not a time: ${iso}`, this.path);
    if (this.source.col.time === 'NULL') throw new LedgerError('invalid_argument', 'this ledger has no time column', this.path);
    const page = this.page({ query: { time_from: new Date(iso).toISOString() }, limit: 1 });
    return page.first_offset;
  }

  stats(): LedgerStats {
    const { col, table } = this.source;
    const estimate = this.estimatedRows();
    const approximate = estimate !== null && estimate >= EXACT_BELOW;
    const first = this.page({ limit: 1 }).events[0];
    const last = this.page({ limit: 1, from_end: true }).events[0];
    const events = approximate ? estimate : this.count();
    const runs = approximate ? this.distinctEstimate(col.run_id, estimate) : this.pg.rows<{ n: number }>(`SELECT count(DISTINCT ${col.run_id})::bigint AS n FROM ${table}`, [], { long: true })[0]!.n;
    const kinds: Record<string, number> = {};
    for (const f of this.facets('kind', {}, 100_000)) kinds[String(f.value)] = f.count;
    return {
      path: this.path,
      layout: this.source.layout,
      table: this.source.tableName,
      events,
      runs,
      first_offset: first?.offset ?? null,
      last_offset: last?.offset ?? null,
      first_time: first?.time ?? null,
      last_time: last?.time ?? null,
      kinds,
      warnings: this.warnings,
      mapping: { how: this.source.how, mapping: this.source.mapping },
      rules: { how: this.rulesSource, rules: this.rules.spec },
      ...(approximate ? { estimate: true } : {}),
    };
  }

  /** Distinct values of a column by the planner's statistics (n_distinct is a fraction of the rows when negative). */
  private distinctEstimate(expr: string, rows: number): number {
    const column = expr.match(/\."((?:[^"]|"")*)"$/)?.[1]?.replaceAll('""', '"');
    const nd = this.pg.rows<{ nd: number | null }>('SELECT n_distinct::float8 AS nd FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND attname = $3', [
      this.source.schemaName,
      this.source.tableName,
      column ?? '',
    ])[0]?.nd;
    if (nd === undefined || nd === null) return 0;
    return Math.round(nd < 0 ? -nd * rows : nd);
  }

  lastOffset(): number | null {
    const { col, table } = this.source;
    return this.pg.rows<{ hi: number | null }>(`SELECT max(${col.offset})::bigint AS hi FROM ${table}`)[0]!.hi;
  }
}

function toEvent(r: Row): LedgerEvent {
  if (r.archived !== undefined) r.archived = !!r.archived;
  return r as LedgerEvent;
}
