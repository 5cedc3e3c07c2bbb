// Writing a new canonical ledger in bulk (generate, JSONL import and the JSONL
// cache index): into a temporary file beside the destination, secondary indexes
// built once at the end, then renamed into place, so a failed or cancelled job
// never leaves a partial file under the destination's name.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import { CANONICAL_INDEXES, CANONICAL_TABLE, F, INSERT_COLUMNS, insertSql, NUMBER_SEQ, REWIND_OFFSETS, type CanonicalRow } from '../format/schema.ts';
import { progressReporter, type JobControl } from '../base/jobs.ts';
import { wrap, type DB } from '../base/sqlite.ts';
import type { Seq } from '../base/integers.ts';
import { beginWrite, commitFile, removeWithSidecars } from '../base/atomic-write.ts';
import { insertRow, SeqRule } from './seq-rule.ts';

const BATCH = 20_000;
// Measured on 2 cores: 4 helper threads beat 2 (the sorter hands out work in coarse pieces).
const SORTER_THREADS = 4;
// Up to about this many rows each index's keys fit the writer's 32 MiB cache and sort
// in one pass in memory: 7-23% faster than spilled runs sorted by helper threads, which
// win from about 700,000 rows (20% at 1M; measured on the generated and imported ledgers).
const IN_MEMORY_SORT_ROWS = 500_000;
// Rows per multi-row INSERT (see insertSql).
const ROWS_PER_STATEMENT = 32;

/** Puts rows[from .. from + ROWS_PER_STATEMENT) into `params`, one statement's worth. */
function statementParams(rows: ReadonlyArray<readonly unknown[]>, from: number, params: unknown[]): unknown[] {
  let p = 0;
  for (let r = from; r < from + ROWS_PER_STATEMENT; r++) for (const v of rows[r]!) params[p++] = v;
  return params;
}

/** Progress of the index build at the end of a bulk write: on 10M events it takes about 25 s. */
export function indexProgress(ctl?: JobControl): (built: number) => void {
  const progress = progressReporter(ctl, CANONICAL_INDEXES.length, 'indexes built');
  return (built) => (built === CANONICAL_INDEXES.length ? progress.done() : progress.report(built));
}

export interface Counts {
  duplicates: number;
  renumbered: number;
}

export class BulkWriter {
  readonly dest: string;
  readonly tmp: string;
  private readonly db: DB;
  private readonly flushBatch;
  private batch: CanonicalRow[] = [];
  /** A new file: every run starts at seq 0. */
  private readonly seqs: SeqRule;
  /** Rows handed to add(), how many of those were already there by id, and how many had to be given another seq. */
  rows = 0;
  duplicates = 0;
  renumbered = 0;
  private inserted = 0;
  private readonly rewind: Database.Statement;
  private readonly copyBatch: (rows: readonly unknown[][]) => void;

  private readonly inPlace: boolean;

  constructor(dest: string, opts: WriterOptions = {}) {
    this.inPlace = opts.inPlace ?? false;
    this.dest = path.resolve(dest);
    this.seqs = new SeqRule(() => 0, this.dest);
    if (this.inPlace) {
      // The cache index is written where readers find it: the destination itself.
      if (!opts.overwrite && fs.existsSync(this.dest))
        throw new LedgerError('invalid_argument', 'the destination already exists; choose a new file', this.dest);
      fs.mkdirSync(path.dirname(this.dest), { recursive: true });
      removeWithSidecars(this.dest);
      this.tmp = this.dest;
    } else this.tmp = beginWrite(this.dest, opts);
    this.db = wrap(this.dest, () => new Database(this.tmp));
    wrap(this.dest, () => {
      // Nothing to protect until the rename: skip the journal and the fsyncs. In place,
      // readers follow each committed batch through the WAL; a crash leaves a file the
      // next opener sees is unfinished (the cache's own state) and rebuilds.
      this.db.pragma(`journal_mode = ${this.inPlace ? 'WAL' : 'OFF'}`);
      this.db.pragma('synchronous = OFF');
      // 32 MiB: inserts measured as fast as with 128 (the OS keeps the file's pages), and a
      // JSONL store of 50,000 stream files stays near 1 GiB at its peak.
      this.db.pragma('cache_size = -32768');
      this.db.exec(CANONICAL_TABLE);
    });
    const insert = (n: number) => this.db.prepare(`${insertSql(n)} ON CONFLICT(id) DO NOTHING`);
    const many = insert(ROWS_PER_STATEMENT);
    const one = insert(1);
    // Undoing a statement that met a duplicate id: offsets stay gap-free too.
    const dropAfter = this.db.prepare('DELETE FROM events WHERE offset > ?');
    this.rewind = this.db.prepare(REWIND_OFFSETS);
    // Copied rows keep their offsets; many to a statement, as add() does (2.8x faster than one by one).
    const copyColumns = ['offset', ...INSERT_COLUMNS];
    const copyMany = this.db.prepare(insertSql(ROWS_PER_STATEMENT, copyColumns));
    const copyOne = this.db.prepare(insertSql(1, copyColumns));
    const copyParams: unknown[] = new Array(ROWS_PER_STATEMENT * copyColumns.length);
    this.copyBatch = this.db.transaction((rows: readonly unknown[][]) => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) copyMany.run(statementParams(rows, i, copyParams));
      for (; i < rows.length; i++) copyOne.run(rows[i]);
    });
    const params: unknown[] = new Array(ROWS_PER_STATEMENT * INSERT_COLUMNS.length);
    // What each row of a statement found, to put back if the statement meets a duplicate id.
    const given: Array<Seq | null> = new Array(ROWS_PER_STATEMENT);
    const before: Seq[] = new Array(ROWS_PER_STATEMENT);
    this.flushBatch = this.db.transaction((rows: CanonicalRow[]) => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++) {
          const row = rows[i + r]!;
          given[r] = row[F.seq];
          before[r] = this.seqs.take(row);
        }
        const added = many.run(statementParams(rows, i, params)).changes;
        if (added === ROWS_PER_STATEMENT) {
          this.inserted += added;
          for (let r = 0; r < ROWS_PER_STATEMENT; r++) this.countRenumbered(given[r]!, rows[i + r]![F.seq]!);
          continue;
        }
        // Rare: a duplicate id among these rows took a seq it must not have. Redo them one by one.
        dropAfter.run(this.inserted);
        this.rewind.run();
        for (let r = ROWS_PER_STATEMENT - 1; r >= 0; r--) this.seqs.giveBack(rows[i + r]!, given[r]!, before[r]!);
        for (let r = i; r < i + ROWS_PER_STATEMENT; r++) this.insertOne(one, rows[r]!);
      }
      for (; i < rows.length; i++) this.insertOne(one, rows[i]!);
    });
  }

  /** A row whose own seq repeated or went back got another. */
  private countRenumbered(given: Seq | null, seq: Seq): void {
    if (given !== null && given !== seq) this.renumbered++;
  }

  private insertOne(stmt: Database.Statement, row: CanonicalRow): void {
    const given = row[F.seq];
    const inserted = insertRow(stmt, this.rewind, this.seqs, row);
    if (!inserted) this.duplicates++;
    else {
      this.inserted++;
      this.countRenumbered(given, inserted.seq);
    }
  }

  /** Adds a row. Its seq follows the SeqRule; a row whose id is already there is counted, not written, and takes no seq. */
  add(row: CanonicalRow): void {
    this.batch.push(row);
    if (this.batch.length >= BATCH) this.flush();
  }

  flush(): void {
    if (!this.batch.length) return;
    wrap(this.dest, () => this.flushBatch(this.batch));
    this.rows += this.batch.length;
    this.batch = [];
  }

  /**
   * Copies rows that keep their offsets and seqs, as [offset, ...CanonicalRow], in
   * offset order: a partial snapshot of a ledger, whose rows already followed the rule.
   */
  copy(rows: readonly unknown[][]): void {
    this.flush();
    wrap(this.dest, () => this.copyBatch(rows));
    this.rows += rows.length;
  }

  /** Ends a copy (see copy()): rows of a layout without seq get one per run in offset order, as an append would have given, then finish(). */
  finishCopy(hadSeq: boolean): void {
    if (!hadSeq) this.exec(NUMBER_SEQ);
    this.finish();
  }

  /** Writes what is pending and says how many rows so far were duplicates or took another seq. */
  counts(): Counts {
    this.flush();
    return { duplicates: this.duplicates, renumbered: this.renumbered };
  }

  /** Runs SQL on the temporary file before it is finished (extra tables of a cache), after the rows added so far. */
  exec(sql: string, ...params: unknown[]): void {
    this.execEach(sql, [params]);
  }

  /** Runs one statement for each list of parameters, in one transaction: a cache's 50,000 file states are one commit, not 50,000. */
  execEach(sql: string, each: readonly unknown[][]): void {
    this.flush();
    wrap(this.dest, () => {
      const stmt = this.db.prepare(sql);
      this.db.transaction(() => {
        for (const params of each) stmt.run(...params);
      })();
    });
  }

  /**
   * Writes what is left, builds the indexes (telling onIndex how many are built), runs
   * `last` (a cache marking itself complete) and renames the file into place.
   */
  finish(onIndex?: (built: number) => void, last?: Statement): void {
    try {
      this.flush();
      wrap(this.dest, () => {
        // For a big table, a small sorter budget spills sorted runs that helper threads sort
        // while the table is still being scanned: 20-25% faster than one big sort.
        if (this.rows > IN_MEMORY_SORT_ROWS) {
          this.db.pragma(`threads = ${SORTER_THREADS}`);
          this.db.pragma('cache_size = -1024');
        }
        onIndex?.(0);
        CANONICAL_INDEXES.forEach((sql, i) => {
          this.db.exec(sql);
          onIndex?.(i + 1);
        });
        if (last) this.db.prepare(last[0]).run(...last[1]);
        if (!this.inPlace) this.db.pragma('journal_mode = WAL');
      });
      this.db.close();
      if (!this.inPlace) commitFile(this.tmp, this.dest);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  abort(): void {
    if (this.db.open) this.db.close();
    removeWithSidecars(this.tmp);
  }
}

export interface WriterOptions {
  overwrite?: boolean;
  /** Write the destination itself, committing batch by batch, instead of a file renamed into place at the end. */
  inPlace?: boolean;
}
export type Statement = [sql: string, params: unknown[]];

