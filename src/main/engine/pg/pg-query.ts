// Filters and select lists in PostgreSQL's dialect, over a PgSource: the same
// Query as read/query.ts turns into SQLite, built with the same `sql` template
// (rendered with numbered parameters by toPg).
import type { Query } from '../../../shared/ledger.ts';
import { raw, sql, type Sql } from '../base/sql.ts';
import { eventColumns, listFilters, PREVIEW_CHARS } from '../read/query.ts';
import { MAX_MS, MIN_MS } from '../format/event-fields.ts';
import type { PgSource } from './pg-source.ts';

const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The time as a timestamptz, whatever it is stored as. */
function timestampOf(src: PgSource): string {
  const c = src.col.time;
  if (src.pgTime === 'timestamp') return c;
  if (src.pgTime === 'number') return src.timeFormat === 'unix_s' ? `to_timestamp(${c})` : `to_timestamp(${c} / 1000.0)`;
  return `(${c})::timestamptz`;
}

const [MIN_ISO, MAX_ISO] = [new Date(MIN_MS).toISOString(), new Date(MAX_MS).toISOString()];

/**
 * Whether the time lies in years 1-9999, what an ISO time holds (as timeToIso reads one).
 * PostgreSQL holds more (BC dates, later years, infinity and -infinity): to the engine
 * those are no time, as a SQLite ledger's time that is no date is.
 */
export function pgTimeInYears(src: PgSource): string {
  if (src.pgTime === 'number') return `(${pgTimeMs(src)} BETWEEN ${MIN_MS} AND ${MAX_MS})`;
  return `((${timestampOf(src)}) BETWEEN '${MIN_ISO}' AND '${MAX_ISO}')`;
}

/**
 * ISO text for display: ISO text columns as stored, everything else formatted in UTC. A time
 * outside years 1-9999 is kept as stored, as PostgreSQL prints it ('infinity', '0044-03-15
 * 00:00:00+00 BC'): formatted, it would read as another date (year 44 AD) or as none.
 */
export function pgTimeDisplay(src: PgSource): string {
  if (src.col.time === 'NULL' || (src.pgTime === 'text' && src.timeFormat === 'iso')) return src.col.time;
  return `CASE WHEN ${pgTimeInYears(src)} THEN to_char((${timestampOf(src)}) AT TIME ZONE 'UTC', ${ISO_FORMAT}) ELSE (${src.col.time})::text END`;
}

/** The time in epoch milliseconds (for histogram buckets; infinite for an infinite timestamp). */
export function pgTimeMs(src: PgSource): string {
  if (src.pgTime === 'number') return src.timeFormat === 'unix_s' ? `(${src.col.time} * 1000.0)` : `(${src.col.time})::float8`;
  return `(extract(epoch from ${timestampOf(src)}) * 1000)`;
}

/** The comparable form of the time column and of an ISO bound, so a number column keeps its index. */
function timeCompare(src: PgSource, iso: string, op: '>=' | '<='): Sql {
  if (src.pgTime === 'number') {
    const ms = Date.parse(iso);
    return sql`${raw(src.col.time)} ${raw(op)} ${src.timeFormat === 'unix_s' ? ms / 1000 : ms}`;
  }
  return sql`${raw(timestampOf(src))} ${raw(op)} ${iso}::timestamptz`;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** The WHERE conditions of a query (joined by where() from base/sql.ts). */
export function pgWhere(src: PgSource, query: Query): Sql[] {
  const c = src.col;
  const parts: Sql[] = [];
  // One array parameter however long the list: no parameter limit, one plan. A single
  // value is a plain `=`: PostgreSQL 15 reads an index in order under `=` but not under
  // `= ANY`, so a page of one run would sort the whole run first.
  const inList = (expr: string, values: string[], negate = false) => {
    const test = values.length === 1 ? sql`${raw(expr)} = ${values[0]}` : sql`${raw(expr)} = ANY (${values}::text[])`;
    parts.push(negate ? sql`NOT (${test})` : test);
  };
  for (const [column, values, exclude] of listFilters(query, c)) inList(column, values, exclude);
  const offset = raw(c.offset);
  if (query.offset_from !== undefined) parts.push(sql`${offset} >= ${query.offset_from}`);
  if (query.offset_to !== undefined) parts.push(sql`${offset} <= ${query.offset_to}`);
  if (query.time_from !== undefined) parts.push(timeCompare(src, query.time_from, '>='));
  if (query.time_to !== undefined) parts.push(timeCompare(src, query.time_to, '<='));
  if (query.since_seq !== undefined) {
    const run = query.runs![0]!;
    const n = query.since_seq;
    if (src.layout === 'canonical') {
      // Rows from before the table had a seq have none stored; their seq is their place in the run.
      const [t, runId, seq] = [raw(src.table), raw(c.run_id), raw(c.seq)];
      parts.push(sql`(CASE WHEN EXISTS (SELECT 1 FROM ${t} WHERE ${runId} = ${run} AND ${seq} IS NULL)
        THEN (${n}::bigint <= 0 OR ${offset} > (SELECT ${offset} FROM ${t} WHERE ${runId} = ${run} ORDER BY ${offset} LIMIT 1 OFFSET greatest(${n}::bigint - 1, 0)))
        ELSE ${seq} > ${n} END)`);
    } else parts.push(sql`${raw(c.seq)} > ${n}`);
  }
  if (query.text !== undefined) parts.push(sql`${raw(c.payload)} ILIKE ${`%${likeEscape(query.text)}%`}`);
  if (query.json_path) {
    const v = query.json_path.value;
    // A mapped table's payload may be text that is not JSON: such a row matches nothing
    // (a guard, since PostgreSQL 15 has no cast that fails softly).
    const doc = src.layout === 'canonical' ? `(${c.payload})::jsonb` : `(CASE WHEN ${c.payload} ~ '^\\s*[\\[{]' THEN (${c.payload})::jsonb END)`;
    parts.push(sql`jsonb_path_query_first(${raw(doc)}, ${query.json_path.path}::jsonpath) = ${JSON.stringify(v)}::jsonb`);
  }
  return parts;
}

export function pgSelectList(src: PgSource, payload: 'preview' | 'full'): string {
  const c = src.col;
  const p =
    payload === 'full'
      ? `${c.payload} AS payload, false AS truncated`
      : `left(${c.payload}, ${PREVIEW_CHARS}) AS payload, length(${c.payload}) > ${PREVIEW_CHARS} AS truncated`;
  return eventColumns(src, pgTimeDisplay(src), p);
}
