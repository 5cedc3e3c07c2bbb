// The canonical ledger schema: the `events` table of the seed system (same
// columns, same index names) plus a per-run `seq`. The one place it is written.

export const CANONICAL_TABLE = `
CREATE TABLE IF NOT EXISTS events (
    offset          INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    UNIQUE NOT NULL,
    run_id          TEXT    NOT NULL,
    turn            INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    session_id      TEXT,
    model_profile   TEXT,
    model_id        TEXT,
    seq             INTEGER
)`;

/** Gives a copy's rows their per-run seq in offset order, as appends would have (for sources without one). */
export const NUMBER_SEQ =
  'UPDATE events SET seq = r.n FROM (SELECT offset AS o, row_number() OVER (PARTITION BY run_id ORDER BY offset) AS n FROM events) AS r WHERE events.offset = r.o';

export const SEQ_INDEX = 'CREATE UNIQUE INDEX IF NOT EXISTS idx_run_seq ON events(run_id, seq)';

export const CANONICAL_INDEXES = [
  'CREATE INDEX IF NOT EXISTS idx_run_offset ON events(run_id, offset)',
  'CREATE INDEX IF NOT EXISTS idx_kind       ON events(kind)',
  'CREATE INDEX IF NOT EXISTS idx_actor      ON events(actor)',
  'CREATE INDEX IF NOT EXISTS idx_session_id ON events(session_id)',
  'CREATE INDEX IF NOT EXISTS idx_model_id   ON events(model_id)',
  SEQ_INDEX,
];

export const INSERT_COLUMNS = [
  'id',
  'run_id',
  'turn',
  'kind',
  'actor',
  'payload',
  'created_at',
  'schema_version',
  'session_id',
  'model_profile',
  'model_id',
  'seq',
] as const;

/** A row ready for the canonical table, in INSERT_COLUMNS order. */
export type CanonicalRow = [
  id: string,
  run_id: string,
  turn: number,
  kind: string,
  actor: string,
  payload: string,
  created_at: string,
  schema_version: number,
  session_id: string | null,
  model_profile: string | null,
  model_id: string | null,
  seq: number | null,
];

/**
 * An INSERT of `rows` rows in one statement. Into a table whose secondary indexes
 * come later (bulk writes) it pays: 3.6 s for 1M rows 32 at a time, 5.7 s one by one.
 * With the indexes in place it costs more (2.95 s vs 2.07 s for 200k), so append goes one by one.
 */
export const insertSql = (rows: number) =>
  `INSERT INTO events (${INSERT_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(`(${INSERT_COLUMNS.map(() => '?').join(', ')})`).join(', ')}`;
export const INSERT_SQL = insertSql(1);

/**
 * AUTOINCREMENT spends an offset on a row that ON CONFLICT DO NOTHING did not
 * write; run after such a skip, this gives it back, so offsets stay gap-free.
 */
export const REWIND_OFFSETS = "UPDATE sqlite_sequence SET seq = coalesce((SELECT max(offset) FROM events), 0) WHERE name = 'events'";

/**
 * The seq a new event of a run takes, given the run's last: its own when it has
 * one past the last, else the next. A repeated or backward seq (a hand-edited or
 * concatenated store) is renumbered rather than breaking idx_run_seq.
 */
export const seqFor = (given: number | null, last: number): number => (given !== null && given > last ? given : last + 1);
