// Which table of a PostgreSQL database holds the events and how its columns read:
// the same layouts and detector as for SQLite files, over information_schema.
import { LedgerError } from '../../../shared/errors.ts';
import type { Mapping, TableGuess } from '../../../shared/ledger.ts';
import { quoteIdent, type TableInfo } from '../base/sqlite.ts';
import { guessMappings, unrecognised } from '../layout/detect.ts';
import { mappedSource, namedSource, type Source } from '../layout/layouts.ts';
import type { SyncPg } from './sync-client.ts';

/** How a time column is stored: a timestamp type, or one of the Source's text and number formats. */
export type PgTime = 'timestamp' | 'text' | 'number' | null;

export interface PgSource extends Source {
  /** The table's schema and name, unquoted. */
  schemaName: string;
  tableName: string;
  pgTime: PgTime;
}

/** The user's tables and views (every schema on the search path but the system ones), with column types. */
export function listPgTables(pg: SyncPg): Array<TableInfo & { schema: string }> {
  const rows = pg.rows<{ schema: string; name: string; kind: string; column: string; type: string; nullable: string }>(
    `SELECT c.table_schema AS schema, c.table_name AS name, t.table_type AS kind, c.column_name AS column, c.data_type AS type, c.is_nullable AS nullable
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = ANY (current_schemas(false))
      ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
  );
  const byName = new Map<string, TableInfo & { schema: string }>();
  for (const r of rows) {
    let t = byName.get(r.name);
    if (!t) byName.set(r.name, (t = { schema: r.schema, name: r.name, columns: [], types: {}, nullable: {}, view: r.kind === 'VIEW' }));
    if (t.schema !== r.schema) continue; // the first schema on the search path wins, as an unqualified name would
    t.columns.push(r.column);
    t.types![r.column] = r.type;
    t.nullable![r.column] = r.nullable === 'YES';
  }
  // A table's integer primary key of one column orders it, as SQLite's INTEGER PRIMARY KEY does: PostgreSQL has no rowid to fall back on.
  const keys = pg.rows<{ schema: string; name: string; column: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, a.attname AS column
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indisprimary AND i.indnatts = 1 AND n.nspname = ANY (current_schemas(false)) AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`,
  );
  for (const k of keys) {
    const t = byName.get(k.name);
    if (t?.schema === k.schema) t.rowidAlias = k.column;
  }
  return [...byName.values()];
}

/** Every table of the database scored as an event log, for a table chooser. */
export function guessPgTables(pg: SyncPg): TableGuess[] {
  return guessMappings((t, limit) => sampleRows(pg, t.name, limit), listPgTables(pg));
}

/** Finds the ledger table (the one named, else by layout, else by the detector), or explains how to map it. */
export function detectPgSource(pg: SyncPg, label: string, tableName: string | null, mapping?: Mapping): PgSource {
  const all = listPgTables(pg);
  if (tableName && !all.some((t) => t.name === tableName))
    throw new LedgerError('not_found', `no table "${tableName}" in the database; tables: ${all.map((t) => t.name).join(', ') || 'none'}`, label);
  const tables = tableName ? all.filter((t) => t.name === tableName) : all;
  const byName = new Map(tables.map((t) => [t.name, t]));
  let src: Source | null;
  if (mapping) src = mappedSource(tables, mapping, label);
  else {
    // A named table of another name holds the same columns: read it as the layout it has.
    // A table of another name with the canonical (or supervisor) columns is read as that layout.
    src = namedSource(byName);
    for (const t of tables) src ??= namedSource(new Map([['events', t]]));
  }
  if (!src) {
    if (!tables.length) throw new LedgerError('not_a_ledger', 'the database has no tables', label);
    const guesses = guessMappings((t, limit) => sampleRows(pg, t.name, limit), tables);
    const best = guesses[0];
    if (!best?.confident || !best.mapping) throw unrecognised(label, tables, guesses);
    src = { ...mappedSource(tables, best.mapping, label), how: 'detected' };
  }
  const info = tables.find((t) => quoteIdent(t.name) === src.table)!;
  return adapt(src, info, label);
}

const NUMERIC = /^(integer|bigint|smallint|numeric|real|double precision)$/;

/** SQLite's reading of a layout, in PostgreSQL's terms: JSON read as text, timestamps by type. */
function adapt(src: Source, t: TableInfo & { schema: string }, label: string): PgSource {
  const columnOf = (expr: string) => Object.keys(t.types!).find((c) => expr.includes(`.${quoteIdent(c)}`));
  const timeCol = src.col.time === 'NULL' ? undefined : columnOf(src.col.time);
  const timeType = timeCol ? t.types![timeCol]! : '';
  const pgTime: PgTime = !timeCol ? null : timeType.startsWith('timestamp') ? 'timestamp' : NUMERIC.test(timeType) ? 'number' : 'text';
  const offsetCol = columnOf(src.col.offset);
  if (!offsetCol || !/^(integer|bigint|smallint)$/.test(t.types![offsetCol]!))
    throw new LedgerError('invalid_argument', `the order column of ${t.name} must be an integer column; it is ${offsetCol ? t.types![offsetCol] : src.col.offset}`, label);
  const col = { ...src.col };
  // jsonb and json columns read as their text; any other non-text type as its text form.
  const payloadCol = col.payload === 'NULL' ? undefined : columnOf(col.payload);
  if (payloadCol && !/text|char/.test(t.types![payloadCol]!) && !col.payload.includes('CAST')) col.payload = `CAST(${col.payload} AS TEXT)`;
  // Emmett stores its times as timestamps, not SQLite text: the format follows the type.
  const timeFormat = pgTime === 'number' && src.timeFormat !== 'unix_s' && src.timeFormat !== 'unix_ms' ? 'unix_ms' : pgTime === 'text' && src.timeFormat === 'sqlite' ? 'sqlite' : src.timeFormat;
  return { ...src, col, timeFormat, schemaName: t.schema, tableName: t.name, pgTime };
}

/**
 * A table's first rows as the detector reads SQLite's: through JSON, so timestamps
 * come as ISO text and numbers as numbers; JSON values as their text.
 */
function sampleRows(pg: SyncPg, table: string, limit: number): Array<Record<string, unknown>> {
  return pg.rows<{ j: string }>(`SELECT row_to_json(s)::text AS j FROM (SELECT * FROM ${quoteIdent(table)} LIMIT ${limit}) s`).map((r) => {
    const row = JSON.parse(r.j) as Record<string, unknown>;
    for (const [k, v] of Object.entries(row)) if (v !== null && typeof v === 'object') row[k] = JSON.stringify(v);
    return row;
  });
}
