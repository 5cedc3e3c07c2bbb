// The one write rule for canonical rows, used by every writer (append, bulk writes,
// a JSONL index taking in new lines): a row takes its run's next seq, and a row
// whose id is already stored is not written, takes no seq and gives its offset back.
import type { Statement } from 'better-sqlite3';
import { LedgerError } from '../../../shared/errors.ts';
import { nextInteger, type Seq } from '../base/integers.ts';
import { F, type CanonicalRow } from '../format/schema.ts';

/**
 * Seqs handed out in one write, per run. `stored` is how a writer finds a run's last
 * seq the first time it meets the run (a lookup, or 0 for a new file); `file` is the
 * ledger or store written, named by its errors.
 */
export class SeqRule {
  private readonly last = new Map<string, Seq>();
  private readonly stored: (run: string) => Seq;
  private readonly file: string;

  constructor(stored: (run: string) => Seq, file: string) {
    this.stored = stored;
    this.file = file;
  }

  /**
   * Gives the row its seq: its own when one past the run's last (a store that kept
   * its seqs), else the next. A repeated or backward seq (a hand-edited or
   * concatenated store) is renumbered rather than breaking idx_run_seq.
   * Returns the run's last seq before this row, for giveBack.
   */
  take(row: CanonicalRow): Seq {
    const run = row[F.run_id];
    const last = this.last.get(run) ?? this.stored(run);
    const given = row[F.seq];
    // A number and a bigint compare exactly.
    const seq = given !== null && given > last ? given : nextInteger(last);
    if (typeof seq === 'bigint' && BigInt.asIntN(64, seq) !== seq)
      throw new LedgerError('invalid_argument', `run ${run} has the greatest seq a 64-bit integer holds (${last}): it cannot take another event`, this.file);
    row[F.seq] = seq;
    this.last.set(run, seq);
    return last;
  }

  /** A row that was not written gives its seq back: the run's last is `last` again and the row has `given`. */
  giveBack(row: CanonicalRow, given: Seq | null, last: Seq): void {
    row[F.seq] = given;
    this.last.set(row[F.run_id], last);
  }
}

/** What inserting one row did: written with its offset, or a duplicate id (not written). */
export type Inserted = { offset: number; seq: Seq } | null;

/**
 * Inserts one row under the rule with `insert` (an INSERT ... ON CONFLICT(id) DO
 * NOTHING) and `rewind` (REWIND_OFFSETS, or null where the table has no AUTOINCREMENT).
 */
export function insertRow(insert: Statement, rewind: Statement | null, rule: SeqRule, row: CanonicalRow): Inserted {
  const given = row[F.seq];
  const last = rule.take(row);
  const info = insert.run(row);
  if (info.changes) return { offset: Number(info.lastInsertRowid), seq: row[F.seq]! };
  rewind?.run();
  rule.giveBack(row, given, last);
  return null;
}
