// A snapshot of a PostgreSQL ledger (whole, some runs, or up to an offset) into a
// new canonical SQLite file: the rows stream out with COPY ... TO STDOUT, read on the
// connection's thread while this one parses and inserts; offsets, ids, seq and payload
// text kept, by the bulk writer (a temporary file renamed at the end: a cancel leaves nothing).
import { LedgerError } from '../../../shared/errors.ts';
import type { Query } from '../../../shared/ledger.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { canonicalColumns } from '../read/query.ts';
import { BulkWriter } from '../write/bulk.ts';
import { pgTimeDisplay, pgWhere } from './pg-query.ts';
import { raw, render, sql, where } from '../base/sql.ts';
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

/** The SELECT of the canonical columns, in CANONICAL_TABLE order, for the chosen events of any layout, its parameters written in. */
export function canonicalSelect(src: PgSource, query: Query): string {
  const q = sql`SELECT ${raw(canonicalColumns(src, pgTimeDisplay(src)).join(', '))} FROM ${raw(src.table)} ${where(...pgWhere(src, query))} ORDER BY ${raw(src.col.offset)}`;
  return render(q, (_, v) => literal(v));
}

export function pgSnapshot(pg: SyncPg, src: PgSource, total: number, dest: string, query: Query, ctl: JobControl = {}): { events: number } {
  const writer = new BulkWriter(dest);
  try {
    const progress = progressReporter(ctl, total, 'events');
    let copied = 0;
    for (const rows of pg.copyOut(canonicalSelect(src, query))) {
      throwIfCancelled(ctl.signal, dest);
      // COPY gives text: the integer columns go in as numbers, so they stay integers.
      for (const r of rows as unknown[][]) {
        r[0] = Number(r[0]);
        r[3] = Number(r[3]);
        r[8] = Number(r[8]);
        if (r[12] !== null) r[12] = Number(r[12]);
      }
      writer.copy(rows);
      copied += rows.length;
      progress.report(Math.min(copied, total));
    }
    writer.finishCopy(src.hasSeq);
    progress.done(copied);
    return { events: copied };
  } catch (e) {
    writer.abort();
    throw e;
  }
}
