// The canonical ledger schema: the `events` table of the seed system (same
// columns, same index names) plus a per-run `seq`. The one place it is written.
import type { Seq } from '../base/integers.ts';

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

/** Where each field sits in a CanonicalRow, in INSERT order: rows stay arrays (bound as they are, the fast path) and are read by name. */
export const F = { id: 0, run_id: 1, turn: 2, kind: 3, actor: 4, payload: 5, created_at: 6, schema_version: 7, session_id: 8, model_profile: 9, model_id: 10, seq: 11 } as const;

export const INSERT_COLUMNS = Object.keys(F) as Array<keyof typeof F>;

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
  /** A bigint past 2^53, where a number would be rounded. */
  seq: Seq | null,
];

/**
 * An INSERT of `rows` rows in one statement. Into a table whose secondary indexes
 * come later (bulk writes) it pays: 3.6 s for 1M rows 32 at a time, 5.7 s one by one.
 * With the indexes in place it costs more (2.95 s vs 2.07 s for 200k), so append goes one by one.
 */
export const insertSql = (rows: number, columns: readonly string[] = INSERT_COLUMNS) =>
  `INSERT INTO events (${columns.join(', ')}) VALUES ${Array(rows).fill(`(${columns.map(() => '?').join(', ')})`).join(', ')}`;
export const INSERT_SQL = insertSql(1);

/**
 * AUTOINCREMENT spends an offset on a row that ON CONFLICT DO NOTHING did not
 * write; run after such a skip, this gives it back, so offsets stay gap-free.
 */
export const REWIND_OFFSETS = "UPDATE sqlite_sequence SET seq = coalesce((SELECT max(offset) FROM events), 0) WHERE name = 'events'";
