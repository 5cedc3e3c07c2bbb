// Filters to SQL over a Source. Paging is keyset on the ledger order, never OFFSET,
// and nothing here counts rows before returning the first ones.
import type { Query } from '../../../shared/ledger.ts';
import type { Source, TimeFormat } from '../layout/layouts.ts';
import { join, raw, sql, type Sql } from '../base/sql.ts';
import { needleRef } from '../base/sqlite.ts';

export const PREVIEW_CHARS = 240;
/** Lists longer than this are bound as one JSON array. */
const IN_LIST_PARAMS = 500;

/** The number a time column is compared as, and the same number for an ISO bound. */
function timeKey(expr: string, format: TimeFormat): string {
  return format === 'iso' || format === 'sqlite' ? `julianday(${expr})` : expr;
}
function timeBound(iso: string, format: TimeFormat): number {
  const ms = Date.parse(iso);
  if (format === 'unix_s') return ms / 1000;
  if (format === 'unix_ms') return ms;
  return ms / 86_400_000 + 2_440_587.5;
}

/** ISO text for display, whatever the stored format. */
export function timeDisplay(src: Source): string {
  const c = src.col.time;
  if (c === 'NULL' || src.timeFormat === 'iso') return c;
  if (src.timeFormat === 'sqlite') return `strftime('%Y-%m-%dT%H:%M:%fZ', ${c})`;
  const secs = src.timeFormat === 'unix_ms' ? `${c} / 1000.0` : c;
  return `strftime('%Y-%m-%dT%H:%M:%fZ', ${secs}, 'unixepoch')`;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** A full-text index attached to the connection: its schema name and the MATCH expression for query.text. */
export interface FtsUse {
  ftsSchema: string;
  ftsMatch: string;
}

/** The filters that test one column against a list of values (either dialect builds the test): column, values, whether they are excluded. */
export function listFilters(
  query: Query,
  c: { run_id: string; kind: string; actor: string; session_id: string; model_id: string },
): Array<[column: string, values: string[], exclude: boolean]> {
  const lists: Array<[string, string[] | undefined, boolean]> = [
    [c.run_id, query.runs, false],
    [c.kind, query.kinds, false],
    [c.kind, query.exclude_kinds, true],
    [c.actor, query.actors, false],
    [c.session_id, query.sessions, false],
    [c.model_id, query.models, false],
  ];
  return lists.filter((l): l is [string, string[], boolean] => l[1] !== undefined);
}

/** The conditions of a query over a source, as one SQL fragment (empty for none). */
export function buildWhere(src: Source, query: Query, fts?: FtsUse): Sql {
  const c = src.col;
  const parts: Sql[] = [];
  const inList = (expr: string, values: string[], negate = false) => {
    const op = raw(negate ? 'NOT IN' : 'IN');
    // A long list is one JSON parameter: SQLite takes at most 32,766 parameters a statement.
    if (values.length > IN_LIST_PARAMS) parts.push(sql`${raw(expr)} ${op} (SELECT value FROM json_each(${JSON.stringify(values)}))`);
    else parts.push(sql`${raw(expr)} ${op} (${join(values.map((v) => sql`${v}`), ', ')})`);
  };
  for (const [column, values, exclude] of listFilters(query, c)) inList(column, values, exclude);
  const offset = raw(c.offset);
  if (query.offset_from !== undefined) parts.push(sql`${offset} >= ${query.offset_from}`);
  if (query.offset_to !== undefined) parts.push(sql`${offset} <= ${query.offset_to}`);
  const time = raw(timeKey(c.time, src.timeFormat));
  if (query.time_from !== undefined) parts.push(sql`${time} >= ${timeBound(query.time_from, src.timeFormat)}`);
  if (query.time_to !== undefined) parts.push(sql`${time} <= ${timeBound(query.time_to, src.timeFormat)}`);
  if (query.since_seq !== undefined) {
    const run = query.runs![0]!;
    const n = query.since_seq;
    if (src.layout === 'canonical') {
      // Rows written before the ledger had a seq column have none stored; their seq is
      // their position in the run (see append.ts), so where a run has such rows, "after
      // seq N" is "after the run's N-th event". Both subqueries run once per statement.
      const [t, runId, seq] = [raw(src.table), raw(c.run_id), raw(c.seq)];
      parts.push(
        sql`(CASE WHEN EXISTS (SELECT 1 FROM ${t} WHERE ${runId} = ${run} AND ${seq} IS NULL)
          THEN (${n} <= 0 OR ${offset} > (SELECT ${offset} FROM ${t} WHERE ${runId} = ${run} ORDER BY ${offset} LIMIT 1 OFFSET ${n} - 1))
          ELSE ${seq} > ${n} END)`,
      );
    } else parts.push(sql`${raw(c.seq)} > ${n}`);
  }
  if (query.text !== undefined && fts) {
    // The index narrows to candidates; the clause below checks each one exactly.
    parts.push(sql`${offset} IN (SELECT rowid FROM ${raw(fts.ftsSchema)}.fts WHERE fts MATCH ${fts.ftsMatch})`);
  }
  if (query.text !== undefined) {
    // LIKE runs in C but folds ASCII case only; other needles take the slower function.
    if (/^[\x20-\x7e]*$/.test(query.text)) parts.push(sql`${raw(c.payload)} LIKE ${`%${likeEscape(query.text)}%`} ESCAPE '\\'`);
    else parts.push(sql`li_icontains(${raw(c.payload)}, ${needleRef(query.text.toLowerCase())})`);
  }
  if (query.json_path) {
    const { path, value: v } = query.json_path;
    // A mapped table's payload column may hold text that is not JSON: such a row does not
    // match (SQLite caches the parse, so json_valid costs no second one).
    const payload = raw(src.layout === 'canonical' || src.layout === 'jsonl' ? c.payload : `(CASE WHEN json_valid(${c.payload}) THEN ${c.payload} END)`);
    if (v === null) parts.push(sql`json_type(${payload}, ${path}) = 'null'`);
    else parts.push(sql`json_extract(${payload}, ${path}) = ${typeof v === 'boolean' ? Number(v) : v}`);
  }
  return join(parts, ' AND ');
}

export function selectList(src: Source, payload: 'preview' | 'full'): string {
  const c = src.col;
  // A payload of at most PREVIEW_CHARS bytes is its own preview, and octet_length() reads only the row's header; a longer
  // one is cut, its truncation told from the first PREVIEW_CHARS + 1 characters (length() of the whole text walks it to its end).
  const short = `octet_length(${c.payload}) <= ${PREVIEW_CHARS}`;
  const p = payload === 'full' ? `${c.payload} AS payload, 0 AS truncated` :
    `CASE WHEN ${short} THEN ${c.payload} ELSE substr(${c.payload}, 1, ${PREVIEW_CHARS}) END AS payload, ` +
    // CASE, not AND: SQLite works out both sides of an AND that gives a value.
    `CASE WHEN ${short} THEN 0 ELSE length(substr(${c.payload}, 1, ${PREVIEW_CHARS + 1})) > ${PREVIEW_CHARS} END AS truncated`;
  return eventColumns(src, timeDisplay(src), p);
}

/** An event row's select list, given how the SQL dialect shows the time and the payload (whole or a preview). */
export function eventColumns(src: Source, time: string, payload: string): string {
  const c = src.col;
  return [
    `${c.offset} AS "offset"`,
    `${c.id} AS id`,
    `${c.run_id} AS run_id`,
    `${c.seq} AS seq`,
    `${c.kind} AS kind`,
    `${c.actor} AS actor`,
    `${time} AS time`,
    `${c.session_id} AS session_id`,
    `${c.model_id} AS model_id`,
    `${c.node_id} AS node_id`,
    payload,
    ...(src.archived ? [`${src.archived} AS archived`] : []),
  ].join(', ');
}

/**
 * The canonical table's columns (CANONICAL_TABLE order) as read from a source, for
 * copies into a canonical ledger: canonical sources keep every column, other layouts
 * fill the canonical defaults. `time` is the time as the copy stores it.
 */
export function canonicalColumns(src: Source, time: string): string[] {
  const c = src.col;
  const t = src.table;
  const native = src.layout === 'canonical' || src.layout === 'jsonl';
  return [
    c.offset,
    `COALESCE(${c.id}, CAST(${c.offset} AS TEXT))`,
    c.run_id,
    native ? `${t}."turn"` : '0',
    c.kind,
    `COALESCE(${c.actor}, '')`,
    `COALESCE(${c.payload}, '{}')`,
    `COALESCE(${time}, '')`,
    native ? `${t}."schema_version"` : '1',
    c.session_id,
    native ? `${t}."model_profile"` : 'NULL',
    c.model_id,
    c.seq,
  ];
}
