// Opening a ledger file or JSONL store: which store it is, its layout (detected,
// saved or given), its rules; and appending, which opens a write connection on first use.
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import type { AppendResult, Mapping } from '../../../shared/ledger.ts';
import type { LedgerRules } from '../../../shared/projection.ts';
import { defaultCacheDir } from '../base/cache.ts';
import { fileIdentity } from '../base/file-identity.ts';
import type { JobControl } from '../base/jobs.ts';
import { openReadOnly, openWritable, wrap, type WriteDb } from '../base/sqlite.ts';
import { jsonlHooks } from '../jsonl/jsonl-reading.ts';
import { describeJsonl, isJsonlPath, syncJsonlIndex } from '../jsonl/jsonl-store.ts';
import { detectSource } from '../layout/layouts.ts';
import { checkOffsetsExact } from '../read/checks.ts';
import { SqliteReader } from '../read/sqlite-reader.ts';
import { defaultDataDir, loadLedgerSettings } from '../settings/ledger-settings.ts';
import { Appender, toRows, type AppendOptions } from '../write/append.ts';

export interface OpenOptions extends JobControl {
  cacheDir?: string;
  /** A column mapping given for this open: it overrides a saved one and the detector. */
  mapping?: Mapping;
  /** Projection rules given for this open: they override saved ones and the layout's. */
  rules?: LedgerRules;
  /** Where saved mappings and rules are read (default: the app's data folder); null reads none. */
  dataDir?: string | null;
  /** A JSONL store not indexed yet opens once its first rows are, and fills in while a thread indexes the rest. */
  progressive?: boolean;
}

/** A ledger opened from a file: read through SqliteReader; appended to through its own write connection. */
export class Ledger extends SqliteReader {
  private writer: { db: WriteDb; appender: Appender } | null = null;

  static open(p: string, opts: OpenOptions = {}): Ledger {
    const file = path.resolve(p);
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    if (isJsonlPath(file)) {
      const src = describeJsonl(file);
      const idx = syncJsonlIndex(src, cacheDir, opts, { progressive: opts.progressive });
      const db = openReadOnly(idx.cacheFile);
      const source = { ...detectSource(db, idx.cacheFile), layout: 'jsonl' as const, appendable: false };
      const store = jsonlHooks(src, idx.cacheFile, db, idx.build, idx.building);
      const ledger = new Ledger({ path: file, file: idx.cacheFile, db, source, cacheDir, identity: `jsonl:${idx.build}`, store });
      ledger.warnings = idx.warnings;
      const rules = opts.rules ?? (opts.dataDir === null ? undefined : loadLedgerSettings(file, opts.dataDir ?? defaultDataDir()).rules);
      try {
        ledger.useRules(rules ? [rules, opts.rules ? 'given' : 'saved'] : null);
      } catch (e) {
        ledger.close();
        throw e;
      }
      return ledger;
    }
    const saved = opts.dataDir === null ? {} : loadLedgerSettings(file, opts.dataDir ?? defaultDataDir());
    // Read through its real path: SQLite finds a linked database's -wal and -shm beside
    // the target, and so must everything that reads the files themselves (snapshots).
    const real = realFile(file);
    const db = openReadOnly(real);
    try {
      const mapping = opts.mapping ?? saved.mapping;
      const source = wrap(file, () => detectSource(db, file, mapping));
      if (!opts.mapping && saved.mapping) source.how = 'saved';
      const { offset } = source.col;
      // A bare min() or max() alone in its query is an index lookup; both in one, or inside a CAST, scan the table.
      const bound = (f: 'min' | 'max') => `CAST((SELECT ${f}(${offset}) FROM ${source.table}) AS TEXT)`;
      checkOffsetsExact(wrap(file, () => db.prepare(`SELECT ${bound('min')} AS lo, ${bound('max')} AS hi`).get() as { lo: string | null; hi: string | null }), offset, file);
      const ledger = new Ledger({ path: file, file: real, db, source, cacheDir, identity: fileIdentity(real), store: null });
      ledger.useRules(opts.rules ? [opts.rules, 'given'] : saved.rules ? [saved.rules, 'saved'] : source.rules ? [source.rules, 'layout'] : null);
      return ledger;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Appends events (validated, idempotent by id, one transaction). Opens a write connection on first use. */
  append(events: unknown[], opts: AppendOptions = {}): AppendResult {
    if (!this.source.appendable)
      throw new LedgerError('read_only', `appending is for canonical ledgers; this one is ${this.source.layout}`, this.path);
    // Validated before the file is touched: a rejected batch changes nothing.
    const rows = toRows(events, this.path, opts.maxPayloadBytes, opts.payloadTexts);
    if (!this.writer) {
      try {
        fs.accessSync(this.file, fs.constants.W_OK);
      } catch {
        throw new LedgerError('read_only', 'the file is not writable', this.path);
      }
      // The ledger keeps its own journal mode: appending adds rows, nothing else.
      const db = openWritable(this.file, { keepJournalMode: true });
      this.writer = { db, appender: new Appender(db, this.path) };
    }
    const result = this.writer.appender.append(rows, opts);
    if (!this.source.hasSeq) {
      // The append added the seq column; the read connection's statements predate it.
      Object.assign(this.source, { hasSeq: true, col: { ...this.source.col, seq: `${this.source.table}."seq"` } });
      this.forgetStatements();
    }
    return result;
  }

  override close(): void {
    this.writer?.db.close();
    this.writer = null;
    super.close();
  }
}

/** The file a path names once links are followed; the path itself where it names nothing (the open then says so). */
function realFile(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}
