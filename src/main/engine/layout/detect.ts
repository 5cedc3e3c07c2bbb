// The detector: for a file in no known layout, every table and view is scored as an
// event log and a column mapping guessed from its column names and a sample of rows.
import { LedgerError } from '../../../shared/errors.ts';
import type { Mapping, TableGuess } from '../../../shared/ledger.ts';
import { quoteIdent, type DB, type TableInfo } from '../base/sqlite.ts';

/** Names each role goes by in the tools people use, most telling first (tables and JSONL fields alike). */
export const NAMES = {
  order: ['global_position', 'offset', 'position', 'event_id', 'seq_no', 'sequence_number', 'id'],
  run: ['run_id', 'stream_id', 'stream', 'thread_id', 'workflow_id', 'session_id', 'aggregate_id', 'execution_id', 'job_id', 'trace_id', 'conversation_id', 'correlation_id', 'run', 'thread', 'session', 'workflow'],
  kind: ['kind', 'type', 'event_type', 'message_type', 'event', 'name', 'event_name', 'action'],
  time: ['created_at', 'created', 'timestamp', 'ts', 'time', 'occurred_at', 'recorded_at', 'inserted_at', 'logged_at', 'at'],
  payload: ['payload', 'data', 'message_data', 'body', 'json', 'value', 'event_data', 'details', 'content', 'message'],
  id: ['id', 'event_id', 'message_id', 'uuid', 'ulid'],
  seq: ['seq', 'stream_position', 'sequence', 'version', 'revision'],
  actor: ['actor', 'source', 'role', 'author', 'producer', 'user'],
} as const;

/**
 * Weight of each role in a table's score. Order, run and kind alone fall short of the
 * threshold (a users table has an id, a session_id and a name): a time or a payload
 * must back them.
 */
const WEIGHT = { order: 0.2, run: 0.3, kind: 0.3, time: 0.08, payload: 0.08, id: 0.02, seq: 0.01, actor: 0.01 } as const;
const THRESHOLD = 0.85;
/** A runner-up this close makes the best guess a coin toss: the user picks. */
const MARGIN = 0.05;
const SAMPLE = 50;

type Role = keyof typeof NAMES;

function pickByName(columns: string[], role: Role, taken: Set<string>): string | undefined {
  const lower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  for (const n of NAMES[role]) {
    const c = lower.get(n);
    if (c && !taken.has(c)) return c;
  }
  return undefined;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const SQLITE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d+)?)?$/;

/** The time format of sampled values, or null when they are not times. */
export function timeFormatOf(values: unknown[]): Mapping['time_format'] | null {
  const vs = values.filter((v) => v != null);
  if (!vs.length) return null;
  if (vs.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    const n = vs.map(Number);
    if (n.every((x) => x > 1e11 && x < 1e14)) return 'unix_ms';
    if (n.every((x) => x > 1e8 && x < 1e11)) return 'unix_s';
    return null;
  }
  if (vs.every((v) => typeof v === 'string' && ISO.test(v))) return 'iso';
  if (vs.every((v) => typeof v === 'string' && SQLITE_TIME.test(v))) return 'sqlite';
  return null;
}

const looksJson = (v: unknown) => {
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : null;
  return s !== null && /^\s*[[{]/.test(s);
};

/** Scores one table as an event log: the guessed mapping, its score, and why it falls short. */
/** A table's first rows (at most `limit`), for scoring; a database server's reader gives its own. */
export type SampleRows = (t: TableInfo, limit: number) => Array<Record<string, unknown>>;

const sqliteSample = (db: DB): SampleRows => (t, limit) => db.prepare(`SELECT * FROM ${quoteIdent(t.name)} LIMIT ${limit}`).all() as Array<Record<string, unknown>>;

function guessTable(sampleRows: SampleRows, t: TableInfo): TableGuess {
  let rows: Array<Record<string, unknown>> = [];
  try {
    rows = sampleRows(t, SAMPLE);
  } catch {
    // A view over a missing table reads nothing; it scores on its names alone.
  }
  const sample = (c: string) => rows.map((r) => r[c]);
  const integers = (c: string) => sample(c).every((v) => v == null || Number.isInteger(v) || typeof v === 'bigint');
  const taken = new Set<string>();
  const m: Partial<Record<Role, string>> = {};
  const take = (role: Role, c: string | undefined) => {
    if (c === undefined) return;
    m[role] = c;
    taken.add(c);
  };
  // The order: the INTEGER PRIMARY KEY, else an integer position or id, else the rowid.
  const named = NAMES.order.map((n) => t.columns.find((c) => c.toLowerCase() === n)).find((c) => c && integers(c) && rows.length > 0);
  take('order', t.rowidAlias ?? named ?? (t.view ? undefined : 'rowid'));
  for (const role of ['run', 'kind'] as const) take(role, pickByName(t.columns, role, taken));
  const time = pickByName(t.columns, 'time', taken);
  const format = time ? timeFormatOf(sample(time)) : null;
  if (time && (format || !rows.length)) take('time', time);
  take('payload', pickByName(t.columns, 'payload', taken) ?? t.columns.find((c) => !taken.has(c) && rows.length > 0 && sample(c).some(looksJson)));
  for (const role of ['id', 'seq', 'actor'] as const) take(role, pickByName(t.columns, role, taken));
  if (m.id === undefined && m.order && m.order !== 'rowid') m.id = m.order;

  let score = 0;
  for (const role of Object.keys(WEIGHT) as Role[]) if (m[role]) score += WEIGHT[role] * (role === 'order' && m.order === 'rowid' ? 0.5 : 1);
  if (!rows.length) score *= 0.9;
  const missing = (['order', 'run', 'kind'] as const).filter((r) => !m[r]);
  const mapping: Mapping | null = missing.length
    ? null
    : {
        table: t.name,
        order: m.order!,
        run: m.run!,
        kind: m.kind!,
        ...(m.time && { time: m.time, time_format: format ?? 'iso' }),
        ...(m.payload && { payload: m.payload }),
        ...(m.id && m.id !== m.order && { id: m.id }),
        ...(m.seq && { seq: m.seq }),
        ...(m.actor && { actor: m.actor }),
      };
  return { table: t.name, columns: t.columns, rows: rows.length, score: Math.round(score * 100) / 100, mapping, missing: [...missing], confident: false };
}

/** Every table scored, best first; the best is `confident` when it passes the threshold clearly. */
export function guessMappings(db: DB | SampleRows, tables: TableInfo[]): TableGuess[] {
  const sampleRows = typeof db === 'function' ? db : sqliteSample(db);
  const guesses = tables.map((t) => guessTable(sampleRows, t)).sort((a, b) => b.score - a.score || b.rows - a.rows);
  const [best, next] = guesses;
  if (best?.mapping && best.score >= THRESHOLD && (!next || best.score - next.score >= MARGIN || !next.mapping)) best.confident = true;
  return guesses;
}

/** The error for a file whose tables do not clearly hold events: it names the candidates. */
export function unrecognised(file: string, tables: TableInfo[], guesses: TableGuess[]): LedgerError {
  const candidates = guesses.filter((g) => g.mapping).slice(0, 3);
  const found = tables.map((t) => `${t.name}(${t.columns.join(', ')})`).join('; ');
  const why = candidates.length
    ? `no table is clearly the event log; candidates: ${candidates.map((g) => `${g.table} (run=${g.mapping!.run}, kind=${g.mapping!.kind}, order=${g.mapping!.order}, score ${g.score})`).join('; ')}`
    : 'no table has columns for a run and a kind';
  return new LedgerError('unrecognised', `no ledger table recognised in ${file}: ${why}. Tables found: ${found}. Choose a table and its columns with a mapping`, file);
}
