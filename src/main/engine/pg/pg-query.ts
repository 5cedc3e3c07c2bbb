// Filters and select lists in PostgreSQL's dialect, over a PgSource: the same
// Query as read/query.ts turns into SQLite, with numbered parameters collected as
// the SQL is written, so the two never drift apart.
import type { Query } from '../../../shared/ledger.ts';
import { eventColumns, PREVIEW_CHARS } from '../read/query.ts';
import type { PgSource } from './pg-source.ts';

/** SQL with its parameters, numbered as they are added. */
export class Sql {
  readonly params: unknown[] = [];
  /** The placeholder of a new parameter. */
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The time as a timestamptz, whatever it is stored as. */
function timestampOf(src: PgSource): string {
  const c = src.col.time;
  if (src.pgTime === 'timestamp') return c;
  if (src.pgTime === 'number') return src.timeFormat === 'unix_s' ? `to_timestamp(${c})` : `to_timestamp(${c} / 1000.0)`;
  return `(${c})::timestamptz`;
}

/** ISO text for display: ISO text columns as stored, everything else formatted in UTC. */
export function pgTimeDisplay(src: PgSource): string {
  if (src.col.time === 'NULL' || (src.pgTime === 'text' && src.timeFormat === 'iso')) return src.col.time;
  return `to_char((${timestampOf(src)}) AT TIME ZONE 'UTC', ${ISO_FORMAT})`;
}

/** The time in epoch milliseconds (for histogram buckets). */
export function pgTimeMs(src: PgSource): string {
  if (src.pgTime === 'number') return src.timeFormat === 'unix_s' ? `(${src.col.time} * 1000.0)` : `(${src.col.time})::float8`;
  return `(extract(epoch from ${timestampOf(src)}) * 1000)`;
}

/** The comparable form of the time column and of an ISO bound, so a number column keeps its index. */
function timeCompare(src: PgSource, sql: Sql, iso: string, op: '>=' | '<='): string {
  if (src.pgTime === 'number') {
    const ms = Date.parse(iso);
    return `${src.col.time} ${op} ${sql.p(src.timeFormat === 'unix_s' ? ms / 1000 : ms)}`;
  }
  return `${timestampOf(src)} ${op} ${sql.p(iso)}::timestamptz`;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** The WHERE conditions of a query (without the keyword), their parameters added to `sql`. */
export function pgWhere(src: PgSource, query: Query, sql: Sql): string[] {
  const c = src.col;
  const parts: string[] = [];
  // One array parameter however long the list: no parameter limit, one plan.
  const inList = (expr: string, values: string[], negate = false) =>
    parts.push(negate ? `NOT (${expr} = ANY (${sql.p(values)}::text[]))` : `${expr} = ANY (${sql.p(values)}::text[])`);
  if (query.runs) inList(c.run_id, query.runs);
  if (query.kinds) inList(c.kind, query.kinds);
  if (query.exclude_kinds) inList(c.kind, query.exclude_kinds, true);
  if (query.actors) inList(c.actor, query.actors);
  if (query.sessions) inList(c.session_id, query.sessions);
  if (query.models) inList(c.model_id, query.models);
  if (query.offset_from !== undefined) parts.push(`${c.offset} >= ${sql.p(query.offset_from)}`);
  if (query.offset_to !== undefined) parts.push(`${c.offset} <= ${sql.p(query.offset_to)}`);
  if (query.time_from !== undefined) parts.push(timeCompare(src, sql, query.time_from, '>='));
  if (query.time_to !== undefined) parts.push(timeCompare(src, sql, query.time_to, '<='));
  if (query.since_seq !== undefined) {
    const run = query.runs![0]!;
    if (src.layout === 'canonical') {
      // Rows from before the table had a seq have none stored; their seq is their place in the run.
      const t = src.table;
      const r = sql.p(run);
      const n = sql.p(query.since_seq);
      parts.push(
        `(CASE WHEN EXISTS (SELECT 1 FROM ${t} WHERE ${c.run_id} = ${r} AND ${c.seq} IS NULL)` +
          ` THEN (${n}::bigint <= 0 OR ${c.offset} > (SELECT ${c.offset} FROM ${t} WHERE ${c.run_id} = ${r} ORDER BY ${c.offset} LIMIT 1 OFFSET greatest(${n}::bigint - 1, 0)))` +
          ` ELSE ${c.seq} > ${n} END)`,
      );
    } else parts.push(`${c.seq} > ${sql.p(query.since_seq)}`);
  }
  if (query.text !== undefined) parts.push(`${c.payload} ILIKE ${sql.p(`%${likeEscape(query.text)}%`)}`);
  if (query.json_path) {
    const v = query.json_path.value;
    // A mapped table's payload may be text that is not JSON: such a row matches nothing
    // (a guard, since PostgreSQL 15 has no cast that fails softly).
    const doc = src.layout === 'canonical' ? `(${c.payload})::jsonb` : `(CASE WHEN ${c.payload} ~ '^\\s*[\\[{]' THEN (${c.payload})::jsonb END)`;
    parts.push(`jsonb_path_query_first(${doc}, ${sql.p(query.json_path.path)}::jsonpath) = ${sql.p(JSON.stringify(v))}::jsonb`);
  }
  return parts;
}

export const whereSql = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');

export function pgSelectList(src: PgSource, payload: 'preview' | 'full'): string {
  const c = src.col;
  const p =
    payload === 'full'
      ? `${c.payload} AS payload, false AS truncated`
      : `left(${c.payload}, ${PREVIEW_CHARS}) AS payload, length(${c.payload}) > ${PREVIEW_CHARS} AS truncated`;
  return eventColumns(src, pgTimeDisplay(src), p);
}
