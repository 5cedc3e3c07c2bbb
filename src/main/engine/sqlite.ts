// Opening SQLite files and turning SQLite's failures into errors a user can act on.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../shared/errors.ts';

export type DB = Database.Database;

export const BUSY_TIMEOUT_MS = 10_000;

/** Opens a file read-only: no journal-mode change, no schema change, nothing written. */
export function openReadOnly(file: string): DB {
  checkReadable(file);
  const db = wrap(file, () => new Database(file, { readonly: true, fileMustExist: true }));
  wrap(file, () => {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Reading the schema is what fails on a file that is not a database.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  });
  registerFunctions(db);
  return db;
}

/**
 * li_icontains(text, needle): case-insensitive substring match beyond ASCII (SQLite's
 * LIKE folds ASCII only), also through the \uXXXX escapes of Python's json.dumps.
 * `needle` must already be lower-case.
 */
function registerFunctions(db: DB): void {
  db.function('li_icontains', { deterministic: true }, (text: unknown, needle: unknown) => {
    if (typeof text !== 'string' || typeof needle !== 'string') return 0;
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

/** Opens (or creates) a file for writing, in WAL mode with a busy timeout. */
export function openWritable(file: string): DB {
  const db = wrap(file, () => new Database(file));
  wrap(file, () => {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoint every ~40 MB of WAL rather than 4 MB: batch appends otherwise pay a
    // checkpoint (and its fsync) on most commits. A connection setting; the file is unchanged.
    db.pragma('wal_autocheckpoint = 10000');
  });
  return db;
}

function checkReadable(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw fsError(e, file);
  }
  if (st.isDirectory()) throw new LedgerError('not_a_ledger', 'is a folder with no .jsonl files', file);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    throw fsError(e, file);
  }
}

export function fsError(e: unknown, file: string): LedgerError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new LedgerError('not_found', 'no such file', file);
  if (code === 'EACCES' || code === 'EPERM') return new LedgerError('permission', 'permission denied', file);
  if (code === 'EISDIR') return new LedgerError('not_a_ledger', 'is a folder, not a file', file);
  return new LedgerError('internal', `cannot read: ${(e as Error)?.message ?? String(e)}`, file);
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
  return e;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface TableInfo {
  name: string;
  columns: string[];
}

export function listTables(db: DB): TableInfo[] {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return tables.map((name) => ({
    name,
    columns: (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(name) as string[]),
  }));
}
