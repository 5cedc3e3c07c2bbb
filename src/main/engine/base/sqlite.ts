// Opening SQLite files and turning SQLite's failures into errors a user can act on.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError, type ErrorCode } from '../../../shared/errors.ts';

export type DB = Database.Database;
declare const handle: unique symbol;
/** A connection that cannot write (opened read-only): what readers hold. */
export type ReadDb = DB & { readonly [handle]: 'read' };
/** A connection opened for writing: only writers take one. */
export type WriteDb = DB & { readonly [handle]: 'write' };

export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Loads SQLite's native module now. A thread ended while Node loads a native module
 * aborts the whole process ("napi_get_last_error_info"), so engine threads load it
 * before they say they are ready, and are only ended once ready.
 */
export function loadSqlite(): void {
  new Database(':memory:').close();
}

/** Opens a file read-only: no journal-mode change, no schema change, nothing written. */
export function openReadOnly(file: string): ReadDb {
  checkReadable(file);
  const db = wrap(file, () => new Database(file, { readonly: true, fileMustExist: true }));
  wrap(file, () => {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Reading the schema is what fails on a file that is not a database.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  });
  registerFunctions(db);
  return db as ReadDb;
}

/**
 * Needles of li_icontains, by number. SQLite would hand a needle given as a parameter
 * to JavaScript afresh on every row (a 1,000-character needle: 3 KB decoded per row),
 * so the statement carries a small number and the needle stays here.
 */
const needles = new Map<string, number>();
const byRef: string[] = [];
export function needleRef(lowerCaseNeedle: string): number {
  let ref = needles.get(lowerCaseNeedle);
  if (ref === undefined) {
    // A process searches for a handful of needles; past that, the oldest give way.
    if (byRef.length >= 1024) {
      needles.clear();
      byRef.length = 0;
    }
    ref = byRef.push(lowerCaseNeedle) - 1;
    needles.set(lowerCaseNeedle, ref);
  }
  return ref;
}

/**
 * li_icontains(text, needleRef): case-insensitive substring match beyond ASCII (SQLite's
 * LIKE folds ASCII only), also through the \uXXXX escapes of Python's json.dumps.
 * The needle, lower-cased, is given by its needleRef.
 */
function registerFunctions(db: DB): void {
  db.function('li_icontains', { deterministic: true }, (text: unknown, ref: unknown) => {
    const needle = typeof ref === 'number' ? byRef[ref] : undefined;
    if (typeof text !== 'string' || needle === undefined) return 0;
    let hay = text.toLowerCase();
    if (hay.includes(needle)) return 1;
    if (!text.includes('\\u')) return 0;
    try {
      hay = JSON.stringify(JSON.parse(text)).toLowerCase();
    } catch {
      return 0;
    }
    return hay.includes(needle) ? 1 : 0;
  });
}

/**
 * Opens (or creates) a file for writing with a busy timeout, in WAL mode unless
 * `keepJournalMode` (a user's ledger: the mode is the writer's choice, stored in the file).
 */
export function openWritable(file: string, opts: { keepJournalMode?: boolean } = {}): WriteDb {
  const db = wrap(file, () => new Database(file));
  wrap(file, () => {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!opts.keepJournalMode) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoint every ~40 MB of WAL rather than 4 MB: batch appends otherwise pay a
    // checkpoint (and its fsync) on most commits. A connection setting; the file is unchanged.
    db.pragma('wal_autocheckpoint = 10000');
  });
  return db as WriteDb;
}

function checkReadable(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw fsError(e, file);
  }
  if (st.isDirectory()) throw new LedgerError('not_a_ledger', 'is a folder with no .jsonl files', file);
  // A FIFO, socket or device would hold SQLite's open forever, or read without end.
  if (!st.isFile()) throw new LedgerError('not_a_ledger', 'is not a regular file (a pipe, socket or device)', file);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    throw fsError(e, file);
  }
}

export function fsError(e: unknown, file: string): LedgerError {
  const { code, reason } = fsReason(e, 'file');
  return new LedgerError(code, reason, file);
}

/**
 * What a failed file system call says of the path it was given, in words (not errno):
 * a file expected (read) or a folder (created or written in).
 */
export function fsReason(e: unknown, what: 'file' | 'folder'): { code: ErrorCode; reason: string } {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return { code: 'not_found', reason: `no such ${what}` };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'permission', reason: 'permission denied' };
  if (code === 'EROFS') return { code: 'permission', reason: 'is on a read-only file system' };
  if (code === 'EISDIR') return { code: 'not_a_ledger', reason: 'is a folder, not a file' };
  if (what === 'folder' && (code === 'EEXIST' || code === 'ENOTDIR')) return { code: 'invalid_argument', reason: 'is a file, not a folder' };
  if (what === 'folder' && code === 'ENOSPC') return { code: 'internal', reason: 'the disk is full' };
  return { code: 'internal', reason: `cannot ${what === 'file' ? 'read' : 'use'}: ${(e as Error)?.message ?? String(e)}` };
}

/** Runs fn, translating SQLite errors into LedgerErrors that name the file. */
export function wrap<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw sqliteError(e, file);
  }
}

export function sqliteError(e: unknown, file: string): unknown {
  if (e instanceof LedgerError) return e;
  const code = String((e as { code?: string })?.code ?? '');
  const msg = (e as Error)?.message ?? String(e);
  if (code === 'SQLITE_NOTADB') return new LedgerError('not_a_ledger', 'not a SQLite database or JSONL ledger', file);
  if (code.startsWith('SQLITE_CORRUPT')) return new LedgerError('corrupt', `the database is corrupt: ${msg}`, file);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new LedgerError('locked', 'the database is locked by another process', file);
  // A WAL database whose -shm cannot be made: CANTOPEN where a -wal is there, READONLY_DIRECTORY (or _CANTINIT) where not.
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_READONLY_CANTINIT') {
    const wal = walCompanionsError(file);
    if (wal) return wal;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return new LedgerError('permission', `cannot open: ${msg}`, file);
  if (code === 'SQLITE_READONLY_ROLLBACK')
    return new LedgerError(
      'locked',
      `a hot rollback journal (${path.basename(file)}-journal) is beside the database: a writer stopped mid-transaction, and only a writer can roll it back (reading is read-only); open the file once with the program that writes it, or with sqlite3`,
      file,
    );
  if (code.startsWith('SQLITE_READONLY')) return new LedgerError('read_only', `the file is read-only: ${msg}`, file);
  if (code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH'))
    return new LedgerError('permission', `permission denied: ${msg}`, file);
  if (code.startsWith('SQLITE_FULL')) return new LedgerError('internal', 'the disk is full', file);
  // A payload that is not JSON met a JSON function (a seed-written or hand-edited row).
  if (code === 'SQLITE_ERROR' && /malformed JSON/.test(msg))
    return new LedgerError('corrupt', 'a payload in this ledger is not valid JSON, so a JSON path filter cannot read it', file);
  return e;
}

/**
 * A database in WAL mode is read through its -shm (and -wal) files beside it, which even a
 * read-only reader must open, creating them when missing (https://sqlite.org/walformat.html):
 * in a folder that cannot take them SQLite only says "unable to open database file". What
 * is missing, and what to do; null when the file is not in WAL mode or its companions are there.
 */
function walCompanionsError(file: string): LedgerError | null {
  const header = Buffer.alloc(20);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.readSync(fd, header, 0, 20, 0) < 20) return null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  // Bytes 18 and 19, the file format's write and read versions: 2 is WAL.
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\0' || header[18] !== 2 || header[19] !== 2) return null;
  const base = path.basename(file);
  const missing = ['-shm', '-wal'].filter((s) => !fs.existsSync(`${file}${s}`)).map((s) => `${base}${s}`);
  const problem = missing.length
    ? `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing and cannot be created (its folder is read-only)`
    : `${base}-shm cannot be opened for writing`;
  return new LedgerError(
    'permission',
    `the ledger is in WAL mode, and reading it needs its companion files ${base}-shm and ${base}-wal beside it, but ${problem}; open it from a writable folder (copy ${base} with its -wal file, if any), or have its writer checkpoint it and leave WAL mode (PRAGMA journal_mode = DELETE)`,
    file,
  );
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface TableInfo {
  name: string;
  columns: string[];
  /** Declared type per column ('' where none), and whether it may hold NULL. */
  types?: Record<string, string>;
  nullable?: Record<string, boolean>;
  /** The column that is the table's INTEGER PRIMARY KEY (its rowid), if any. */
  rowidAlias?: string | null;
  view?: boolean;
}

export function listTables(db: DB): TableInfo[] {
  const tables = db
    .prepare("SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string; type: string }>;
  return tables.map(({ name, type }) => {
    const cols = db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(name) as Array<{ name: string; type: string; notnull: number; pk: number }>;
    const pks = cols.filter((c) => c.pk > 0);
    return {
      name,
      columns: cols.map((c) => c.name),
      types: Object.fromEntries(cols.map((c) => [c.name, c.type])),
      nullable: Object.fromEntries(cols.map((c) => [c.name, !c.notnull && c.pk === 0])),
      rowidAlias: type === 'table' && pks.length === 1 && pks[0]!.type.toUpperCase() === 'INTEGER' ? pks[0]!.name : null,
      view: type === 'view',
    };
  });
}
