// A JSONL store (a folder of `<stream>.jsonl` files, or one file) read through an
// index in the app's cache: built once, extended as the files grow, rebuilt when
// one is replaced or shrinks. The user's folder is only ever read.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import TinyQueue from 'tinyqueue';
import Database from 'better-sqlite3';
import { LedgerError } from '../../../shared/errors.ts';
import { indexProgress } from '../write/bulk.ts';
import { openBulkWriter } from '../write/bulk-thread.ts';
import { cacheFileFor } from '../base/cache.ts';
import { INDEX_VERSION, isAlive, readIndexState, SET_INDEXED, SET_STATE, waitForIndex } from './jsonl-index-state.ts';
import { startIndexer } from './jsonl-indexer.ts';
import { sampleHash } from '../base/file-identity.ts';
import { OpenFiles } from '../base/open-files.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { LineReader, lineToRow, readLines } from '../format/jsonl-format.ts';
import { CANONICAL_INDEXES, F, INSERT_SQL, REWIND_OFFSETS, type CanonicalRow } from '../format/schema.ts';
import { fsError, openWritable, wrap, type DB } from '../base/sqlite.ts';
import { toSeq } from '../base/integers.ts';
import { insertRow, SeqRule } from '../write/seq-rule.ts';

const MAX_STORED_WARNINGS = 1000;

export interface JsonlSource {
  /** The folder, or the single file, as given. */
  root: string;
  files: string[];
  /** The seed's state.db (runs, node_runs) beside the store, when there is one. */
  stateDb: string | null;
}

export function isJsonlPath(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (st.isDirectory()) return true;
    return p.endsWith('.jsonl') || p.endsWith('.ndjson');
  } catch {
    return p.endsWith('.jsonl') || p.endsWith('.ndjson');
  }
}

export function describeJsonl(root: string): JsonlSource {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw fsError(e, root);
  }
  const dir = st.isDirectory() ? root : path.dirname(root);
  let files: string[];
  if (st.isDirectory()) {
    try {
      files = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((d) => (d.name.endsWith('.jsonl') || d.name.endsWith('.ndjson')) && !special(d, path.join(root, d.name)))
        .map((d) => path.join(root, d.name))
        .sort();
    } catch (e) {
      throw fsError(e, root);
    }
    if (!files.length) throw new LedgerError('not_a_ledger', 'the folder has no .jsonl files', root);
  } else {
    // Opening a pipe waits for a writer that may never come.
    if (!st.isFile()) throw new LedgerError('not_a_ledger', 'is not a regular file (a pipe, socket or device)', root);
    files = [root];
    refuseSqlite(root);
  }
  // An unreadable file is named when it is first read (LineReader, statFile): no check of each one here.
  const stateDb = [path.join(dir, 'state.db'), path.join(path.dirname(dir), 'state.db')].find((f) => fs.existsSync(f)) ?? null;
  return { root, files, stateDb };
}

/** A pipe, socket or device among a store's files (through a link too): left out, since reading one may wait for ever. */
function special(d: fs.Dirent, file: string): boolean {
  if (d.isSymbolicLink()) {
    try {
      const st = fs.statSync(file);
      return !st.isFile() && !st.isDirectory();
    } catch {
      return false; // a broken link is named when it is read
    }
  }
  return d.isFIFO() || d.isSocket() || d.isCharacterDevice() || d.isBlockDevice();
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0');

/** A SQLite file given as JSONL: said so plainly rather than read as thousands of bad lines. */
function refuseSqlite(file: string): void {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw fsError(e, file);
  }
  if (head.equals(SQLITE_HEADER)) throw new LedgerError('not_a_ledger', 'is a SQLite database, not JSONL: open it directly (export-jsonl writes it as JSONL)', file);
}

const streamOf = (file: string) => path.basename(file).replace(/\.(jsonl|ndjson)$/, '');

interface FileState {
  name: string;
  ino: number;
  size: number;
  mtime_ms: number;
  indexed_bytes: number;
  next_line: number;
  /** sampleHash of the indexed bytes: a file rewritten in place, not only grown, fails it. */
  sample: string;
}

export interface IndexResult {
  cacheFile: string;
  /** Events added by this call (all of them on a fresh build). */
  added: number;
  warnings: string[];
  rebuilt: boolean;
  /** The index is still being built (progressively) by another thread or process. */
  building: boolean;
  /** Tells one build of the index from another (a rebuilt index may reuse the file's inode). */
  build: string;
}

/** Collects line problems: all are counted, the first ones kept for the user. */
class Warnings {
  readonly list: Array<{ file: string; line: number; message: string }> = [];
  /** Unfinished last lines: not stored, since the next sync may find them finished. */
  readonly torn: string[] = [];
  count = 0;
  /** The lines a reader found holding bytes that are not UTF-8: kept, with what they became said. */
  notUtf8(file: string, lines: number[]) {
    for (const line of lines) this.add(file, line, 'has bytes that are not UTF-8, read as U+FFFD (the line is kept, its text not byte for byte as written)');
  }
  tornTail(file: string, line: number, bytes: number) {
    if (bytes) this.torn.push(`${file}:${line}: last line is incomplete (${bytes} bytes, no newline yet); held until its writer finishes it`);
  }
  add(file: string, line: number, message: string) {
    this.count++;
    if (this.list.length < MAX_STORED_WARNINGS) this.list.push({ file, line, message });
  }
}

/** A line as a row, with the `offset` our own exports record (the order to restore on import). */
function parseLine(text: string, file: string, stream: string, lineNo: number, warnings: Warnings): { row: CanonicalRow; offset?: number } | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the line: a warning names where, never what (the file may not be a ledger's).
    const why = (e as Error).message;
    const at = /position (\d+)/.exec(why)?.[1];
    const what = /end of (JSON )?input|Unterminated/i.test(why) ? 'it ends too soon' : 'an unexpected character';
    warnings.add(file, lineNo, `invalid JSON (${what}${at ? ` at character ${Number(at) + 1}` : ''}); line skipped`);
    return null;
  }
  const row = lineToRow(obj, text, stream, lineNo);
  if (typeof row === 'string') {
    warnings.add(file, lineNo, `${row}; line skipped`);
    return null;
  }
  const offset = (obj as { offset?: unknown }).offset;
  return { row, offset: typeof offset === 'number' ? offset : undefined };
}

function statFile(file: string): Omit<FileState, 'indexed_bytes' | 'next_line' | 'sample'> {
  try {
    const st = fs.statSync(file);
    return { name: file, ino: st.ino, size: st.size, mtime_ms: st.mtimeMs };
  } catch (e) {
    throw fsError(e, file);
  }
}

const EXTRA_TABLES = [
  'CREATE TABLE IF NOT EXISTS jsonl_meta (key TEXT PRIMARY KEY, value TEXT)',
  'CREATE TABLE IF NOT EXISTS jsonl_files (name TEXT PRIMARY KEY, ino INTEGER, size INTEGER, mtime_ms REAL, indexed_bytes INTEGER, next_line INTEGER, sample TEXT)',
  'CREATE TABLE IF NOT EXISTS jsonl_warnings (file TEXT, line INTEGER, message TEXT)',
];
// Rows committed before the first batch is full: the first page shows at once.
const FIRST_ROWS = 1000;
const UPSERT_FILE = 'INSERT OR REPLACE INTO jsonl_files VALUES (?, ?, ?, ?, ?, ?, ?)';

/**
 * One file's place in the merge: its next line's key and row. One per file, moved on in
 * place as the file is read, so the merge allocates nothing of its own per line.
 */
interface Head {
  key: number;
  file: number;
  line: number;
  /** The file's byte position just past this line. */
  end: number;
  /** The line parsed; null for a file's first line, held as `text` until its turn (see importJsonl). */
  row: CanonicalRow | null;
  text: string;
}
const byKey = (a: Head, b: Head) => a.key - b.key || a.file - b.file || a.line - b.line;

// Read buffers of all the files of a store together: a merge of thousands of stream files stays bounded.
const READ_MEMORY = 64 << 20;
// Descriptors the merge keeps open: the stream files of the runs written at one time (8 at most in the
// generated ledger), well inside the 256 a macOS process may start with beside the app's own.
const OPEN_FILES = 64;

/**
 * Writes the JSONL files as a new canonical ledger at `dest`. Several streams
 * merge in time order (each file's own line order kept); one file keeps its order.
 * The merge reads every file at once, a line ahead each, so rows reach the writer
 * in their final order.
 */
export function importJsonl(src: JsonlSource, dest: string, ctl?: JobControl, opts: { overwrite?: boolean; cacheTables?: boolean } = {}) {
  const build = crypto.randomUUID();
  const warnings = new Warnings();
  const stats = src.files.map(statFile);
  const bytes = stats.reduce((n, s) => n + s.size, 0);
  const progress = progressReporter(ctl, bytes, 'bytes');
  const bufferBytes = Math.min(1 << 20, Math.max(4096, Math.floor(READ_MEMORY / src.files.length)));
  const openFiles = new OpenFiles(OPEN_FILES);
  // A cache takes each file's sample as its reader ends, while its pages are fresh in the OS cache: taken
  // after the merge, the 50,000 files of a 10M-line store (more than that cache held) took 4 s of reads from disk.
  const samples: string[] = [];
  const sampleAtEnd = (f: number) => (fd: number, end: number) => {
    samples[f] = sampleHash(src.files[f]!, end, fd);
  };
  const readers = src.files.map(
    (file, f) => new LineReader(file, 0, 1, { bufferBytes, files: openFiles, ino: stats[f]!.ino, onEnd: opts.cacheTables ? sampleAtEnd(f) : undefined }),
  );
  // Exports carry their offsets; otherwise a running maximum of times merges the
  // streams while keeping each file's own order.
  const runningMax = src.files.map(() => -Infinity);
  const streams = src.files.map(streamOf);
  // Moves the head to its file's next good line, parsed, with its key; returns the line's text, or null at the file's end.
  const advance = (head: Head): string | null => {
    const reader = readers[head.file]!;
    for (let text = reader.next(); text !== null; text = reader.next()) {
      const parsed = parseLine(text, reader.file, streams[head.file]!, reader.lineNo, warnings);
      if (!parsed) continue;
      head.key = runningMax[head.file] = Math.max(runningMax[head.file]!, parsed.offset ?? (Date.parse(parsed.row[F.created_at]) || 0));
      head.line = reader.lineNo;
      head.end = reader.end;
      head.row = parsed.row;
      return text;
    }
    return null;
  };
  // Every file's first line is read before the merge starts, and most wait long for their turn.
  // Held parsed, those thousands of rows taught V8 that rows live long: it then allocated every
  // later row in the old generation, where each kept its young strings alive through the
  // scavenges (5,000 files: 0.45 s of scavenges instead of 0.1). Held as text, they are parsed
  // again at their turn: one line per file.
  const first = (file: number): Head | null => {
    const head: Head = { key: 0, file, line: 0, end: 0, row: null, text: '' };
    const text = advance(head);
    if (text === null) return null;
    head.row = null;
    head.text = text;
    return head;
  };
  const rowOf = (head: Head): CanonicalRow => head.row ?? parseLine(head.text, src.files[head.file]!, streams[head.file]!, head.line, warnings)!.row;
  // Lines of the seed format run 150-400 bytes.
  const writer = openBulkWriter(dest, { overwrite: opts.overwrite, inPlace: opts.cacheTables }, bytes / 256);
  // A cache index is written in place and says how far it got: readers show its rows while it is built.
  const told = (done: number) => {
    if (opts.cacheTables) writer.exec(SET_INDEXED, String(done));
    progress.report(done);
  };
  try {
    // Each file's first line, read while the writer's thread starts.
    const heads = new TinyQueue<Head>(
      readers.map((_, f) => first(f)).filter((h) => h !== null),
      byKey,
    );
    if (opts.cacheTables) {
      for (const sql of EXTRA_TABLES) writer.exec(sql);
      const meta = { version: INDEX_VERSION, root: path.resolve(src.root), build, state: 'building', pid: String(process.pid), total_bytes: String(bytes), indexed_bytes: '0' };
      writer.execEach('INSERT INTO jsonl_meta VALUES (?, ?)', Object.entries(meta));
    }
    let n = 0;
    // The bytes of the lines written so far, each file's up to its last written line: the
    // lines merely read ahead (every file's next one) do not count, or the share indexed,
    // and the estimate of the store's size drawn from it, would be off by thousands of lines.
    const writtenTo = src.files.map(() => 0);
    let written = 0;
    while (heads.length) {
      const head = heads.pop()!;
      n++;
      writer.add(rowOf(head));
      written += head.end - writtenTo[head.file]!;
      writtenTo[head.file] = head.end;
      if (advance(head) !== null) heads.push(head);
      if ((n & 0x3fff) === 0 || n === FIRST_ROWS) {
        told(written);
        throwIfCancelled(ctl?.signal, dest);
      }
    }
    throwIfCancelled(ctl?.signal, dest);
    if (n === 0) refuseEmpty(src, bytes, warnings, !opts.cacheTables);
    // Known once every row is written; told before the cache stores its warnings.
    const { renumbered } = writer.counts();
    if (renumbered)
      warnings.add(src.root, 0, `${renumbered} event${renumbered === 1 ? '' : 's'} carried a seq that repeats or goes back within ${renumbered === 1 ? 'its' : 'their'} run; each was given the next seq of its run`);
    const ends = readers.map((reader) => {
      const res = reader.result();
      warnings.tornTail(reader.file, res.nextLine, res.tornBytes);
      warnings.notUtf8(reader.file, res.notUtf8);
      return res;
    });
    if (opts.cacheTables) {
      told(bytes);
      writer.execEach(UPSERT_FILE, stats.map((s, f) => [s.name, s.ino, s.size, s.mtime_ms, ends[f]!.end, ends[f]!.nextLine, samples[f]!]));
      writer.execEach('INSERT INTO jsonl_warnings VALUES (?, ?, ?)', warnings.list.map((w) => [w.file, w.line, w.message]));
    }
    progress.done();
    // Every row is in: answers are whole from here on, while the secondary indexes are built.
    if (opts.cacheTables) writer.exec(SET_STATE, 'rows');
    writer.finish(indexProgress(ctl), opts.cacheTables ? [SET_STATE, ['complete']] : undefined);
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    openFiles.closeAll();
  }
  return {
    events: writer.rows - writer.duplicates,
    duplicates: writer.duplicates,
    warnings: [...warnings.torn, ...warnings.list.map(formatWarning)],
    warningCount: warnings.count + warnings.torn.length,
    build,
  };
}

/**
 * A source that gave no event: lines that are all bad are no JSONL store (random
 * bytes, a binary file); no lines at all is nothing to import (a store being opened
 * may be empty until its writer starts).
 */
function refuseEmpty(src: JsonlSource, bytes: number, warnings: Warnings, importing: boolean): void {
  const first = warnings.list[0];
  if (first) throw new LedgerError('not_a_ledger', `not JSONL: no line is a JSON event (first problem, line ${first.line}: ${first.message})`, first.file);
  if (importing) throw new LedgerError('not_a_ledger', bytes ? 'not JSONL: no complete line (no newline in the file)' : 'the file is empty: no JSONL lines to import', src.root);
}

/** Line 0: a warning about the store as a whole. */
export const formatWarning = (w: { file: string; line: number; message: string }) => `${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`;

/**
 * Brings the cache index of a JSONL store up to date with its files and returns its
 * path. A complete index is extended; one another thread or process is building is
 * followed (waited for, unless `progressive`); one whose builder died is rebuilt.
 * With `progressive`, a build runs on a thread of its own and this returns once its
 * first rows are readable (`building` true).
 */
export function syncJsonlIndex(src: JsonlSource, cacheDir: string, ctl?: JobControl, opts: { progressive?: boolean } = {}): IndexResult {
  const cacheFile = cacheFileFor(cacheDir, src.root, 'jsonl');
  let state = readIndexState(cacheFile);
  if (state?.state === 'building' && isAlive(state.pid)) {
    if (opts.progressive) return { cacheFile, added: 0, warnings: [], rebuilt: false, build: state.build, building: true };
    state = waitForIndex(cacheFile, ctl);
  }
  if (state?.state === 'rows') {
    // Its builder is still adding the secondary indexes: the rows are all there, extending waits for it.
    if (isAlive(state.pid)) return { cacheFile, added: 0, warnings: storedWarnings(cacheFile), rebuilt: false, build: state.build, building: false };
    // Its builder died with the rows written: only the indexes are missing.
    finishIndexes(cacheFile, ctl);
    state = { ...state, state: 'complete' };
  }
  if (state?.state === 'complete') {
    const updated = tryExtend(src, cacheFile, ctl);
    if (updated) return updated;
  }
  if (opts.progressive) return startIndexer(src, cacheFile, ctl);
  const res = importJsonl(src, cacheFile, ctl, { overwrite: true, cacheTables: true });
  return { cacheFile, added: res.events, warnings: res.warnings, rebuilt: true, build: res.build, building: false };
}

/** Builds the secondary indexes of a cache whose rows are complete (its builder stopped before them). */
function finishIndexes(cacheFile: string, ctl?: JobControl): void {
  const db = openWritable(cacheFile);
  try {
    const progress = indexProgress(ctl);
    wrap(cacheFile, () => {
      CANONICAL_INDEXES.forEach((sql, i) => {
        db.exec(sql);
        progress(i + 1);
      });
      db.prepare(SET_STATE).run('complete');
    });
  } finally {
    db.close();
  }
}

export function storedWarnings(cacheFile: string, db?: DB): string[] {
  const own = db ?? new Database(cacheFile, { readonly: true, fileMustExist: true });
  try {
    return (own.prepare('SELECT file, line, message FROM jsonl_warnings ORDER BY rowid LIMIT 20').all() as Array<{ file: string; line: number; message: string }>).map(formatWarning);
  } finally {
    if (!db) own.close();
  }
}

/** Appends what the files gained since the index was written; null when only a rebuild will do. */
function tryExtend(src: JsonlSource, cacheFile: string, ctl?: JobControl): IndexResult | null {
  let db: DB;
  try {
    db = openWritable(cacheFile);
  } catch {
    return null;
  }
  try {
    const meta = (key: string) => wrap(cacheFile, () => db.prepare('SELECT value FROM jsonl_meta WHERE key = ?').pluck().get(key)) as string | undefined;
    const build = meta('build');
    if (meta('version') !== INDEX_VERSION || !build) return null;
    const known = new Map((db.prepare('SELECT * FROM jsonl_files').all() as FileState[]).map((s) => [s.name, s]));
    const now = src.files.map(statFile);
    const present = new Set(src.files);
    if (known.size > now.length || [...known.keys()].some((k) => !present.has(k))) return null;
    for (const st of now) {
      const k = known.get(st.name);
      // Replaced or cut short: offsets already handed out no longer describe the file.
      if (k && (k.ino !== st.ino || st.size < k.indexed_bytes)) return null;
      if (k && st.size === k.size && st.mtime_ms !== k.mtime_ms && st.size === k.indexed_bytes) return null;
      // Changed: grown only, or rewritten in place (same inode) with other lines?
      if (k && (st.size !== k.size || st.mtime_ms !== k.mtime_ms) && sampleHash(st.name, k.indexed_bytes) !== k.sample) return null;
    }
    const warnings = new Warnings();
    const insert = db.prepare(`${INSERT_SQL} ON CONFLICT(id) DO NOTHING`);
    const rewind = db.prepare(REWIND_OFFSETS);
    const maxSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM events WHERE run_id = ?').pluck().safeIntegers();
    const upsert = db.prepare(UPSERT_FILE);
    const addWarning = db.prepare('INSERT INTO jsonl_warnings VALUES (?, ?, ?)');
    let added = 0;
    const extend = db.transaction(() => {
      const seqs = new SeqRule((run) => toSeq(maxSeq.get(run) as bigint), src.root);
      for (const st of now) {
        const k = known.get(st.name) ?? { ...st, size: 0, indexed_bytes: 0, next_line: 1, sample: '' };
        if (st.size === k.indexed_bytes && st.size === k.size) continue;
        const stream = streamOf(st.name);
        const res = readLines(st.name, k.indexed_bytes, k.next_line, (text, lineNo) => {
          const row = parseLine(text, st.name, stream, lineNo, warnings)?.row;
          if (!row) return;
          const given = row[F.seq];
          const inserted = insertRow(insert, rewind, seqs, row);
          if (!inserted) return;
          added++;
          if (given !== null && given !== inserted.seq) warnings.add(st.name, lineNo, `seq ${given} repeats or goes back within run ${row[F.run_id]}; given seq ${inserted.seq}`);
        }, st.ino);
        warnings.tornTail(st.name, res.nextLine, res.tornBytes);
        warnings.notUtf8(st.name, res.notUtf8);
        upsert.run(st.name, st.ino, st.size, st.mtime_ms, res.end, res.nextLine, sampleHash(st.name, res.end));
      }
      for (const w of warnings.list) addWarning.run(w.file, w.line, w.message);
    });
    throwIfCancelled(ctl?.signal, cacheFile);
    wrap(cacheFile, () => extend());
    return { cacheFile, added, warnings: [...warnings.torn, ...storedWarnings(cacheFile, db)], rebuilt: false, build, building: false };
  } finally {
    db.close();
  }
}
