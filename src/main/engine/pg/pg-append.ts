// Appending to a canonical PostgreSQL table, with several writers at once: each
// batch is one statement in one transaction, idempotent by id, and takes a
// transaction-level advisory lock on the table first. The lock makes each run's seq
// gap-free, and it makes offsets commit in the order they are handed out, which a
// follower reading "offsets after the last one seen" relies on (with writers in
// parallel, offset 11 could commit before 10 and 10 would never be seen).
import { LedgerError } from '../../../shared/errors.ts';
import type { AppendResult } from '../../../shared/ledger.ts';
import { quoteIdent } from '../base/sqlite.ts';
import type { CanonicalRow } from '../format/schema.ts';
import type { PgSource } from './pg-source.ts';
import type { SyncPg } from './sync-client.ts';

const TYPES = ['text', 'text', 'int', 'text', 'text', 'text', 'text', 'int', 'text', 'text', 'text'] as const;
const COLUMNS = ['id', 'run_id', 'turn', 'kind', 'actor', 'payload', 'created_at', 'schema_version', 'session_id', 'model_profile', 'model_id'];

const lock = (t: string) => ({ sql: `SELECT pg_advisory_xact_lock('${t}'::regclass::oid::bigint)`, params: [] });

/**
 * Gives the table its seq column and per-run unique index the first time, as a SQLite
 * ledger gains it: under the writers' lock, so two first appends never race on the DDL,
 * and not at all where they are there (a writer may hold INSERT rights only).
 */
export function ensurePgSeq(writer: SyncPg, src: PgSource, label: string): void {
  const t = `${quoteIdent(src.schemaName)}.${quoteIdent(src.tableName)}`;
  // A table read as canonical from fewer columns (offset, id, run_id, kind, payload) takes no
  // append: refused before the DDL below changes anything.
  const present = new Set(writer.rows<{ name: string }>('SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped', [t]).map((r) => r.name));
  const missing = COLUMNS.filter((c) => !present.has(c));
  if (missing.length) throw new LedgerError('read_only', `appending writes every canonical column, and ${src.tableName} has no ${missing.join(', ')}`, label);
  const index = `${src.tableName}_run_seq`;
  const has = writer.rows<{ col: boolean; idx: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'seq' AND NOT attisdropped) AS col,
            EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[1]
                     WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnatts = 2 AND a.attname = 'seq') AS idx`,
    [t],
  )[0]!;
  if (has.col && has.idx) return;
  writer.batch([
    lock(t),
    { sql: `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS seq bigint`, params: [] },
    { sql: `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(index)} ON ${t} (run_id, seq)`, params: [] },
  ]);
}

export function appendPg(writer: SyncPg, src: PgSource, rows: CanonicalRow[]): AppendResult {
  if (!rows.length) return { results: [], appended: 0, duplicates: 0 };
  const t = `${quoteIdent(src.schemaName)}.${quoteIdent(src.tableName)}`;
  const columns = COLUMNS.map((_, i) => rows.map((r) => r[i]));
  const unnest = TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const list = COLUMNS.map(quoteIdent).join(', ');
  // New rows (first of each id, not in the table) in input order; each run's seq continues
  // from its last, where rows from before the seq column count by their place in the run.
  const insert = `
    WITH input AS (
      SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS u(${list}, ord)
    ), fresh AS (
      SELECT DISTINCT ON (id) * FROM input i WHERE NOT EXISTS (SELECT 1 FROM ${t} e WHERE e.id = i.id) ORDER BY id, ord
    ), base AS (
      SELECT r.run_id, (SELECT CASE WHEN bool_or(e.seq IS NULL) THEN greatest(count(*), coalesce(max(e.seq), 0)) ELSE coalesce(max(e.seq), 0) END
                          FROM ${t} e WHERE e.run_id = r.run_id) AS last
        FROM (SELECT DISTINCT run_id FROM fresh) r
    )
    INSERT INTO ${t} (${list}, seq)
    SELECT ${COLUMNS.map((c) => `f.${quoteIdent(c)}`).join(', ')}, b.last + row_number() OVER (PARTITION BY f.run_id ORDER BY f.ord)
      FROM fresh f JOIN base b USING (run_id) ORDER BY f.ord
    ON CONFLICT (id) DO NOTHING
    RETURNING id, "offset", seq`;
  const [, inserted] = writer.batch([
    lock(t),
    { sql: insert, params: columns },
  ]);
  const landed = new Map((inserted ?? []).map((r) => [r[0] as string, { offset: Number(r[1]), seq: Number(r[2]) }]));
  const results: AppendResult['results'] = [];
  let appended = 0;
  for (const r of rows) {
    const hit = landed.get(r[0]);
    if (hit) {
      landed.delete(r[0]); // a second event with the same id in the batch is a duplicate
      results.push({ id: r[0], offset: hit.offset, seq: hit.seq, status: 'appended' });
      appended++;
    } else results.push({ id: r[0], status: 'duplicate' });
  }
  return { results, appended, duplicates: rows.length - appended };
}
