// Writing a new canonical ledger in bulk (generate, import, caches, partial
// snapshots): into a temporary file beside the destination, secondary indexes
// built once at the end, then renamed into place, so a failed or cancelled job
// never leaves a partial file under the destination's name.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../shared/errors.ts';
import { CANONICAL_INDEXES, CANONICAL_TABLE, INSERT_COLUMNS, INSERT_SQL, type CanonicalRow } from './schema.ts';
import { fsError, wrap, type DB } from './sqlite.ts';

const BATCH = 20_000;

export class BulkWriter {
  readonly dest: string;
  readonly tmp: string;
  private readonly db: DB;
  private readonly insert;
  private readonly flushBatch;
  private batch: unknown[][] = [];
  private readonly seqs = new Map<string, number>();
  /** Rows handed to add(), and how many of those were already there by id. */
  rows = 0;
  duplicates = 0;

  private readonly ordered: boolean;

  /**
   * `orderBy: 'key'` stages rows with a sort key (add's second argument) and
   * writes them in key order at the end: how rows of several JSONL streams are merged.
   */
  constructor(dest: string, opts: { overwrite?: boolean; orderBy?: 'arrival' | 'key' } = {}) {
    this.ordered = opts.orderBy === 'key';
    this.dest = path.resolve(dest);
    if (!opts.overwrite && fs.existsSync(this.dest))
      throw new LedgerError('invalid_argument', 'the destination already exists; choose a new file', this.dest);
    try {
      fs.mkdirSync(path.dirname(this.dest), { recursive: true });
    } catch (e) {
      throw fsError(e, path.dirname(this.dest));
    }
    this.tmp = `${this.dest}.partial-${process.pid}-${Date.now().toString(36)}`;
    this.db = wrap(this.tmp, () => new Database(this.tmp));
    wrap(this.tmp, () => {
      // Nothing to protect until the rename: skip the journal and the fsyncs.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -131072');
      this.db.exec(CANONICAL_TABLE);
      if (this.ordered) this.db.exec(`CREATE TABLE staging (k REAL, f INTEGER, l INTEGER, ${INSERT_COLUMNS.join(', ')})`);
    });
    this.insert = this.ordered
      ? this.db.prepare(`INSERT INTO staging VALUES (${['?', '?', '?', ...INSERT_COLUMNS.map(() => '?')].join(', ')})`)
      : this.db.prepare(`${INSERT_SQL} ON CONFLICT(id) DO NOTHING`);
    this.flushBatch = this.db.transaction((rows: unknown[][]) => {
      for (const r of rows) if (this.insert.run(...r).changes === 0) this.duplicates++;
    });
  }

  /** Adds a row; a null seq becomes the next of its run. */
  add(row: CanonicalRow, key?: [k: number, file: number, line: number]): void {
    const run = row[1];
    const last = this.seqs.get(run) ?? 0;
    if (row[11] === null) row[11] = last + 1;
    if (row[11] > last) this.seqs.set(run, row[11]);
    this.batch.push(key ? [...key, ...row] : row);
    if (this.batch.length >= BATCH) this.flush();
  }

  flush(): void {
    if (!this.batch.length) return;
    wrap(this.tmp, () => this.flushBatch(this.batch));
    this.rows += this.batch.length;
    this.batch = [];
  }

  /** Runs SQL on the temporary file before it is finished (extra tables of a cache). */
  exec(sql: string, ...params: unknown[]): void {
    wrap(this.tmp, () => this.db.prepare(sql).run(...params));
  }

  finish(): void {
    try {
      this.flush();
      wrap(this.tmp, () => {
        if (this.ordered) {
          const cols = INSERT_COLUMNS.join(', ');
          const moved = this.db.prepare(`INSERT INTO events (${cols}) SELECT ${cols} FROM staging ORDER BY k, f, l ON CONFLICT(id) DO NOTHING`).run();
          this.duplicates += this.rows - moved.changes;
          this.db.exec('DROP TABLE staging');
        }
        for (const sql of CANONICAL_INDEXES) this.db.exec(sql);
        this.db.pragma('journal_mode = WAL');
      });
      this.db.close();
      fs.renameSync(this.tmp, this.dest);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  abort(): void {
    if (this.db.open) this.db.close();
    for (const f of [this.tmp, `${this.tmp}-wal`, `${this.tmp}-shm`]) fs.rmSync(f, { force: true });
  }
}
