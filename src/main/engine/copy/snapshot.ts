// Snapshots: a full copy, consistent while another process appends; and a partial
// copy (up to an offset, chosen runs) as a new canonical ledger that keeps offsets,
// ids, seq and payload bytes. Both write to a temporary name and rename, so a
// failed or cancelled snapshot leaves nothing.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import type { Query } from '../../../shared/ledger.ts';
import { runCopier } from './file-copier.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { sqliteOf, type LedgerReader } from '../read/reader.ts';
import { buildWhere, canonicalColumns } from '../read/query.ts';
import { raw, sql, where } from '../base/sql.ts';
import { BulkWriter } from '../write/bulk.ts';
import { fsError, openReadOnly, wrap } from '../base/sqlite.ts';
import { beginWrite, commitFile, removeWithSidecars } from '../base/atomic-write.ts';

/**
 * A full copy of the ledger file, consistent while other processes write to it.
 * SQLite's online backup API copies page by page through two pagers and reached
 * only 0.13–0.39 of `cp` here, so the files themselves are copied (in a child
 * process, see file-copier.ts) while this process holds one read transaction:
 * in rollback-journal mode its shared lock keeps writers out until the copy is
 * done; in WAL mode it pins the committed frames, and opening the copy replays
 * them. Either way the copy is the ledger as of a commit at or after the moment
 * the snapshot began.
 */
export async function fullSnapshot(ledger: LedgerReader, dest: string, ctl: JobControl = {}): Promise<{ pages: number; bytes: number; walFrames: number }> {
  const { file, checkFile } = sqliteOf(ledger, 'a full snapshot');
  const tmp = beginWrite(dest);
  const src = openReadOnly(file);
  try {
    src.exec('BEGIN');
    src.prepare('SELECT count(*) FROM sqlite_schema').get(); // takes the read lock: the snapshot's moment
    // The copy is of the file the path names now: one put in the ledger's place since it was opened
    // (generate --force, a restore) is not the ledger on screen.
    checkFile();
    const copied = await runCopier(
      {
        db: file,
        dest: tmp,
        pageSize: src.pragma('page_size', { simple: true }) as number,
        pages: src.pragma('page_count', { simple: true }) as number,
        wal: String(src.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal',
      },
      ctl,
    );
    throwIfCancelled(ctl.signal, dest); // a cancel that came as the copy finished
    src.exec('COMMIT');
    src.close();
    const out = new Database(tmp);
    try {
      out.pragma('synchronous = OFF'); // like cp: the copy is a new file, not a ledger in use
      out.pragma('journal_mode = WAL');
      const n = out.pragma('page_count', { simple: true });
      if (n !== copied.pages) throw new LedgerError('internal', `snapshot check failed: the copy has ${n} pages, expected ${copied.pages}`, dest);
    } finally {
      out.close(); // writes the replayed frames into the file and removes its WAL
    }
    commitFile(tmp, dest);
    ctl.onProgress?.({ done: copied.pages, total: copied.pages, unit: 'pages' });
    return { pages: copied.pages, bytes: fs.statSync(path.resolve(dest)).size, walFrames: copied.frames };
  } catch (e) {
    if (src.open) src.close();
    removeWithSidecars(tmp);
    throwIfCancelled(ctl.signal, dest); // a cancel kills the copy, whatever it then reports
    if (e instanceof LedgerError) throw e;
    throw fsError(e, dest);
  }
}

/** Rows a partial snapshot reads and writes at a time: progress shows and a cancel is heard between them. */
const CHUNK = 20_000;

export interface PartialOptions {
  /** Keep events up to and including this offset: the ledger as of a replay step. */
  upToOffset?: number;
  /** Keep only these runs. */
  runs?: string[];
}

/** A new canonical ledger holding the chosen events with their offsets, ids, seq and payload bytes: the bulk writer's file, rows copied as they are. */
export function partialSnapshot(ledger: LedgerReader, dest: string, opts: PartialOptions, ctl: JobControl = {}): { events: number } {
  const { db: ledgerDb, source: src } = sqliteOf(ledger, 'a partial snapshot');
  const query: Query = {};
  if (opts.upToOffset !== undefined) query.offset_to = opts.upToOffset;
  if (opts.runs?.length) query.runs = opts.runs;
  const w = buildWhere(src, ledger.parseQuery(query));
  const c = src.col;
  const t = src.table;
  const select = canonicalColumns(src, c.time).join(', ');
  const writer = new BulkWriter(dest);
  try {
    const total = ledger.count(query);
    const progress = progressReporter(ctl, total, 'events');
    // Rows go across as they are (payload text untouched), a chunk at a time so progress shows and a cancel is heard.
    const chunk = (after: number) => sql`SELECT ${raw(select)} FROM ${raw(t)} ${where(sql`${raw(c.offset)} > ${after}`, w)} ORDER BY ${raw(c.offset)} LIMIT ${CHUNK}`;
    const read = ledgerDb.prepare(chunk(0).text).raw();
    let after = Number.MIN_SAFE_INTEGER;
    let copied = 0;
    for (;;) {
      throwIfCancelled(ctl.signal, dest);
      const rows = wrap(ledger.path, () => read.all(...chunk(after).params)) as unknown[][];
      if (!rows.length) break;
      writer.copy(rows);
      copied += rows.length;
      after = rows.at(-1)![0] as number;
      progress.report(copied);
    }
    writer.finishCopy(src.hasSeq);
    progress.done(copied);
    return { events: copied };
  } catch (e) {
    writer.abort();
    throw e;
  }
}
