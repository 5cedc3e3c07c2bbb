// Recognising a ledger's layout and describing it as a Source: which table holds
// the events and which SQL expression yields each field of a LedgerEvent.
import { describeIssues, LedgerError } from '../../../shared/errors.ts';
import { MappingSchema, TIME_FORMATS, type Layout, type Mapping, type MappingSource } from '../../../shared/ledger.ts';
import type { LedgerRules } from '../../../shared/projection.ts';
import { guessMappings, unrecognised } from './detect.ts';
import { langgraphSource } from './langgraph.ts';
import { listTables, quoteIdent, sqliteError, type DB, type TableInfo } from '../base/sqlite.ts';

export type TimeFormat = (typeof TIME_FORMATS)[number];
export const FIELDS = [
  'offset',
  'id',
  'run_id',
  'seq',
  'kind',
  'actor',
  'time',
  'session_id',
  'model_id',
  'node_id',
  'payload',
] as const;
export type Field = (typeof FIELDS)[number];

export interface Source {
  layout: Layout;
  /** Quoted table name. */
  table: string;
  /** SQL expression per field; 'NULL' where the layout has no such column. */
  col: Record<Field, string>;
  timeFormat: TimeFormat;
  /** Canonical tables take appends. */
  appendable: boolean;
  /** Canonical files written by the seed system lack `seq` until the first append adds it. */
  hasSeq: boolean;
  /** Offsets with gaps by design: positions are never taken to map to offsets by arithmetic. */
  sparse?: boolean;
  /** SQL that is true for an archived event, where the layout marks them. */
  archived?: string;
  /** How the layout was found, and the column mapping behind a mapped one. */
  how: MappingSource;
  mapping: Mapping | null;
  /** Projection rules that come with the layout (its kinds in its own words); a ledger's own rules replace them. */
  rules: LedgerRules | null;
}

const q = quoteIdent;

function fromColumns(
  layout: Layout,
  table: TableInfo,
  pick: Partial<Record<Field, string>>,
  timeFormat: TimeFormat = 'iso',
): Source {
  const have = new Set(table.columns);
  const col = {} as Record<Field, string>;
  // Tables we did not write may hold any storage class in any column: text fields are
  // read as text (a BLOB as its UTF-8 bytes, a number as its digits), a missing kind as ''.
  const foreign = layout !== 'canonical' && layout !== 'jsonl';
  for (const f of FIELDS) {
    const name = pick[f];
    // Qualified, so that ORDER BY "id" means the column and never a result alias of the same name.
    let expr = name && have.has(name) ? `${q(table.name)}.${q(name)}` : 'NULL';
    if (foreign && expr !== 'NULL' && TEXT_FIELDS.has(f) && !isText(table, name!)) expr = `CAST(${expr} AS TEXT)`;
    // A kind or run left NULL reads as '', in a canonical table too where its copy of the schema allows NULL.
    if (expr !== 'NULL' && (f === 'kind' || f === 'run_id') && table.nullable?.[name!] !== false) expr = `COALESCE(${expr}, '')`;
    col[f] = expr;
  }
  // Ids of integer-keyed layouts are their row keys, shown as text.
  if (foreign && col.id !== 'NULL' && !col.id.startsWith('CAST')) col.id = `CAST(${col.id} AS TEXT)`;
  // A payload is shown and filtered as JSON text whatever it is stored as; NULL reads as JSON null
  // (in a canonical table too, where another database's copy of the schema lets it be NULL).
  if (col.payload !== 'NULL' && (foreign || table.nullable?.[pick.payload!] !== false)) col.payload = `COALESCE(CAST(${col.payload} AS TEXT), 'null')`;
  return {
    layout,
    table: q(table.name),
    col,
    timeFormat,
    appendable: layout === 'canonical' || layout === 'jsonl',
    hasSeq: col.seq !== 'NULL',
    how: 'layout',
    mapping: null,
    rules: null,
  };
}

const TEXT_FIELDS: ReadonlySet<Field> = new Set(['run_id', 'kind', 'actor', 'session_id', 'model_id', 'node_id']);

/** Declared TEXT affinity and NOT NULL: values are text already, and an index on the column stays usable. */
const isText = (t: TableInfo, c: string) => /CHAR|CLOB|TEXT/i.test(t.types?.[c] ?? '') && t.nullable?.[c] === false;

const CANONICAL_PICK: Partial<Record<Field, string>> = {
  offset: 'offset',
  id: 'id',
  run_id: 'run_id',
  seq: 'seq',
  kind: 'kind',
  actor: 'actor',
  time: 'created_at',
  session_id: 'session_id',
  model_id: 'model_id',
  payload: 'payload',
};

const has = (t: TableInfo | undefined, ...cols: string[]): t is TableInfo =>
  !!t && cols.every((c) => t.columns.includes(c));

/** Finds the layout of an open SQLite ledger, or explains how to map it. */
export function detectSource(db: DB, file: string, mapping?: Mapping): Source {
  const tables = listTables(db);
  const byName = new Map(tables.map((t) => [t.name, t]));
  if (mapping) return checkOrder(db, mappedSource(tables, mapping, file), file);
  const named = namedSource(byName);
  if (named) return named;
  if (has(byName.get('checkpoints'), 'thread_id', 'checkpoint_id', 'checkpoint') && has(byName.get('writes'), 'thread_id', 'checkpoint_id', 'task_id', 'channel', 'value'))
    return langgraphSource(db);

  if (tables.length === 0) throw new LedgerError('not_a_ledger', 'the database has no tables', file);
  const guesses = guessMappings(db, tables);
  const best = guesses[0];
  if (best?.confident && best.mapping) return { ...checkOrder(db, mappedSource(tables, best.mapping, file), file), how: 'detected' };
  throw unrecognised(file, tables, guesses);
}

/** The named layouts that one table makes (canonical, supervisor, session_events, Emmett's), by its columns; null for none. */
export function namedSource(byName: ReadonlyMap<string, TableInfo>): Source | null {
  const events = byName.get('events');
  if (has(events, 'offset', 'id', 'run_id', 'kind', 'payload')) return fromColumns('canonical', events, CANONICAL_PICK);
  if (has(events, 'id', 'workflow_id', 'event_type')) return supervisorSource(events);
  const sessions = byName.get('session_events');
  if (has(sessions, 'session_id', 'type'))
    return fromColumns('session_events', { ...sessions, columns: [...sessions.columns, 'rowid'] }, {
      offset: sessions.columns.includes('id') ? 'id' : 'rowid',
      id: 'id',
      run_id: 'session_id',
      seq: 'seq',
      kind: 'type',
      actor: 'source',
      time: 'created_at',
      payload: 'payload',
    });

  const emt = byName.get('emt_messages');
  if (has(emt, 'stream_id', 'stream_position', 'global_position', 'message_type', 'message_data')) return emmettSource(emt);
  return null;
}

/**
 * Emmett's SQLite event store (emt_messages, as @event-driven-io/emmett-sqlite creates
 * it): a stream is a run, stream_position its seq, global_position the ledger order.
 * Its kinds name business facts (OrderPlaced, PaymentFailed), so a stream's own
 * transitions are read as the run's.
 */
function emmettSource(t: TableInfo): Source {
  const src = fromColumns('emmett', t, {
    offset: 'global_position',
    id: 'message_id',
    run_id: 'stream_id',
    seq: 'stream_position',
    kind: 'message_type',
    time: 'created',
    payload: 'message_data',
  }, 'sqlite');
  if (t.columns.includes('is_archived')) src.archived = `${q(t.name)}."is_archived"`;
  return { ...src, rules: { kinds: [{ match: '*', entity: 'run' }] } };
}

/**
 * Offsets are integers: a mapping whose order column holds anything else is refused,
 * checked on a sample. This first read of the mapping also turns SQLite's refusal of it
 * (a rowid a WITHOUT ROWID table lacks) into an error naming the mapping.
 */
function checkOrder(db: DB, src: Source, file: string): Source {
  let bad: { o: unknown } | undefined;
  try {
    bad = db.prepare(`SELECT o FROM (SELECT ${src.col.offset} AS o FROM ${src.table} LIMIT 1000) WHERE typeof(o) <> 'integer' LIMIT 1`).get() as typeof bad;
  } catch (e) {
    const err = sqliteError(e, file);
    if (err instanceof LedgerError) throw err;
    throw new LedgerError('invalid_argument', `the mapping of ${src.table.replaceAll('"', '')} cannot be read: ${(e as Error).message}`, file);
  }
  if (bad)
    throw new LedgerError('invalid_argument', `the order column of ${src.table.replaceAll('"', '')} must hold integers, and it holds ${JSON.stringify(bad.o instanceof Buffer ? '<blob>' : bad.o)}`, file);
  return src;
}

/** The supervisor layout keeps a node's identity in step_id or component_id columns. */
function supervisorSource(events: TableInfo): Source {
  const src = fromColumns('supervisor', events, {
    offset: 'id',
    id: 'id',
    run_id: 'workflow_id',
    kind: 'event_type',
    actor: 'role',
    time: 'timestamp',
    payload: 'payload',
  });
  const nodeCols = ['step_id', 'component_id'].filter((c) => events.columns.includes(c)).map((c) => `${q(events.name)}.${q(c)}`);
  src.col.node_id = nodeCols.length === 0 ? 'NULL' : nodeCols.length === 1 ? nodeCols[0]! : `COALESCE(${nodeCols.join(', ')})`;
  return src;
}

export function mappedSource(tables: TableInfo[], raw: Mapping, file: string): Source {
  const parsed = MappingSchema.safeParse(raw);
  if (!parsed.success) throw new LedgerError('invalid_argument', `bad column mapping: ${describeIssues(parsed.error.issues)}`, file);
  const m = parsed.data;
  const table = tables.find((t) => t.name === m.table);
  if (!table)
    throw new LedgerError('invalid_argument', `mapping names table "${m.table}", which is not in the file; tables: ${tables.map((t) => t.name).join(', ')}`, file);
  const pick: Partial<Record<Field, string>> = {
    offset: m.order,
    id: m.id ?? m.order,
    run_id: m.run,
    kind: m.kind,
    time: m.time,
    payload: m.payload,
    actor: m.actor,
    seq: m.seq,
    session_id: m.session,
    model_id: m.model,
    node_id: m.node,
  };
  // Views have no rowid (nor do WITHOUT ROWID tables, which SQLite then reports by name).
  const rowid = table.view ? [] : ['rowid'];
  const missing = Object.entries(pick).filter(([, c]) => c && !rowid.includes(c) && !table.columns.includes(c));
  if (missing.length)
    throw new LedgerError(
      'invalid_argument',
      `mapping names columns not in table "${m.table}": ${missing.map(([, c]) => c).join(', ')}; its columns: ${table.columns.join(', ')}`,
      file,
    );
  const src = fromColumns('mapped', { ...table, columns: [...table.columns, ...rowid] }, pick, m.time_format);
  src.appendable = false;
  if (src.col.payload === 'NULL') src.col.payload = "'{}'";
  return { ...src, how: 'given', mapping: m };
}
