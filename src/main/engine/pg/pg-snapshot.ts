// A snapshot of a PostgreSQL ledger (whole, some runs, or up to an offset) into a
// new canonical SQLite file: the rows stream out with COPY ... TO STDOUT, parsed on
// the connection's thread while this one inserts; offsets, ids, seq and payload
// text kept. Written under a temporary name and renamed: a cancel leaves nothing.
import Database from 'better-sqlite3';
import { LedgerError } from '../../../shared/errors.ts';
import type { Query } from '../../../shared/ledger.ts';
import { beginWrite, commitFile, removeWithSidecars } from '../base/atomic-write.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { fsError, wrap } from '../base/sqlite.ts';
import { CANONICAL_INDEXES, CANONICAL_TABLE, NUMBER_SEQ } from '../format/schema.ts';
import { pgTimeDisplay, pgWhere, Sql, whereSql } from './pg-query.ts';
import type { PgSource } from './pg-source.ts';
import type { SyncPg } from './sync-client.ts';

/** A parameter written into the statement (COPY takes none): numbers, text, text arrays. */
function literal(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LedgerError('invalid_argument', `not a number: ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(', ')}]::text[]`;
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** The statement with its $n parameters written in, highest first so $1 never eats $10. */
export function inline(sql: string, params: unknown[]): string {
  let out = sql;
  for (let i = params.length; i >= 1; i--) out = out.replaceAll(`$${i}`, literal(params[i - 1]));
  return out;
}

/** The SELECT of the canonical columns, in CANONICAL_TABLE order, for the chosen events of any layout. */
export function canonicalSelect(src: PgSource, query: Query): string {
  const c = src.col;
  const t = src.table;
  const native = src.layout === 'canonical';
  const sql = new Sql();
  const where = whereSql(pgWhere(src, query, sql));
  const columns = [
    c.offset,
    `COALESCE(${c.id}, CAST(${c.offset} AS TEXT))`,
    c.run_id,
    native ? `${t}."turn"` : '0',
    c.kind,
    `COALESCE(${c.actor}, '')`,
    `COALESCE(${c.payload}, '{}')`,
    `COALESCE(${pgTimeDisplay(src)}, '')`,
    native ? `${t}."schema_version"` : '1',
    c.session_id,
    native ? `${t}."model_profile"` : 'NULL',
    c.model_id,
    c.seq,
  ];
  return inline(`SELECT ${columns.join(', ')} FROM ${t} ${where} ORDER BY ${c.offset}`, sql.params);
}

export function pgSnapshot(pg: SyncPg, src: PgSource, total: number, dest: string, query: Query, ctl: JobControl = {}): { events: number } {
  const tmp = beginWrite(dest);
  const db = wrap(tmp, () => new Database(tmp));
  try {
    const progress = progressReporter(ctl, total, 'events');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(CANONICAL_TABLE);
    const insert = db.prepare(
      'INSERT INTO events (offset, id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // COPY gives text: the integer columns are bound as numbers, so they stay integers.
    const write = db.transaction((rows: Array<Array<string | null>>) => {
      for (const r of rows) {
        r[0] = Number(r[0]) as unknown as string;
        r[3] = Number(r[3]) as unknown as string;
        r[8] = Number(r[8]) as unknown as string;
        if (r[12] !== null) r[12] = Number(r[12]) as unknown as string;
        insert.run(r);
      }
    });
    let copied = 0;
    for (const rows of pg.copyOut(canonicalSelect(src, query))) {
      throwIfCancelled(ctl.signal, dest);
      write(rows);
      copied += rows.length;
      progress.report(Math.min(copied, total));
    }
    if (!src.hasSeq) db.exec(NUMBER_SEQ);
    for (const sql of CANONICAL_INDEXES) db.exec(sql);
    db.pragma('journal_mode = WAL');
    db.close();
    commitFile(tmp, dest);
    progress.done(copied);
    return { events: copied };
  } catch (e) {
    if (db.open) db.close();
    removeWithSidecars(tmp);
    throwIfCancelled(ctl.signal, dest);
    if (e instanceof LedgerError) throw e;
    throw fsError(e, dest);
  }
}
