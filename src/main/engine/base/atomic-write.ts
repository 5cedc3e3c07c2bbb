// Files and folders written whole (ledgers made by generate, import and snapshot,
// JSONL exports): written under a temporary name beside the destination and
// renamed into place only when complete, so a failed, cancelled or killed job
// never leaves anything under the destination's name. The temporary name says
// whose it is (`<dest>.partial-<pid>-<time>`): the next job for that destination
// removes the partials of processes that are gone (kill -9, a crash).
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import Database from 'better-sqlite3';
import { fsError } from './sqlite.ts';

/** SQLite's companion files of a database: a crashed writer's stale ones corrupt a file renamed beside them. */
export const SIDECARS = ['-wal', '-shm', '-journal'] as const;

/** Removes a file (or folder) and its SQLite companions, whichever exist. */
export function removeWithSidecars(file: string): void {
  fs.rmSync(file, { recursive: true, force: true });
  for (const s of SIDECARS) fs.rmSync(file + s, { force: true });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes the partial files (and folders) beside `dest` whose process is gone. */
export function removeStalePartials(dest: string): string[] {
  const dir = path.dirname(dest);
  const pattern = new RegExp(`^${path.basename(dest).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.partial-(\\d+)-[0-9a-z]+(-wal|-shm|-journal)?$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Starts writing `dest`: checks it is new (or may be replaced; for a folder, an
 * empty one counts as new), makes its parent folder, removes stale partials, and
 * returns the temporary name to write instead.
 */
export function beginWrite(dest: string, opts: { overwrite?: boolean; folder?: boolean } = {}): string {
  const abs = path.resolve(dest);
  const existing = fs.statSync(abs, { throwIfNoEntry: false });
  if (opts.folder && existing && !existing.isDirectory()) throw new LedgerError('invalid_argument', 'a file of that name exists; choose a new folder', abs);
  if (!opts.overwrite && existing) {
    const emptyFolder = opts.folder && fs.statSync(abs).isDirectory() && !fs.readdirSync(abs).length;
    if (!emptyFolder)
      throw new LedgerError('invalid_argument', opts.folder ? 'the export folder exists and is not empty; choose a new folder' : 'the destination already exists; choose a new file', abs);
  }
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
  } catch (e) {
    throw fsError(e, path.dirname(abs));
  }
  removeStalePartials(abs);
  return `${abs}.partial-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * Moves a finished, closed SQLite file into place. It must open first (a
 * read-write check: closing it leaves no companions). The destination's stale
 * `-wal`/`-shm`/`-journal` (a crashed writer's) are removed before the rename,
 * since SQLite would read them as part of the new file.
 */
export function commitFile(tmp: string, dest: string): void {
  const abs = path.resolve(dest);
  try {
    const db = new Database(tmp, { fileMustExist: true });
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } finally {
      db.close();
    }
  } catch (e) {
    removeWithSidecars(tmp);
    throw new LedgerError('corrupt', `the finished file does not open (${(e as Error).message}); nothing was kept`, abs);
  }
  try {
    for (const s of SIDECARS) fs.rmSync(abs + s, { force: true });
    fs.renameSync(tmp, abs);
  } catch (e) {
    removeWithSidecars(tmp);
    throw fsError(e, abs);
  }
}

/** Moves a finished folder into place (an empty folder of that name is replaced). */
export function commitFolder(tmp: string, dest: string): void {
  const abs = path.resolve(dest);
  try {
    if (fs.existsSync(abs)) fs.rmdirSync(abs);
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw fsError(e, abs);
  }
}

/**
 * Writes a small text file (settings, prefs, a bookmarks list) whole: a temporary
 * file beside it, renamed over it, so a crash leaves the previous contents intact.
 */
export function writeTextWhole(file: string, text: string): void {
  const abs = path.resolve(file);
  const tmp = `${abs}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new LedgerError('permission', `cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, abs);
  }
}
