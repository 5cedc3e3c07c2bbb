// Opening a ledger in PostgreSQL from a postgres:// URL: a read-only connection on a
// thread of its own, the table found by layout or mapping; appends (canonical
// tables) go through a second connection opened on first use.
import { LedgerError } from '../../../shared/errors.ts';
import type { AppendResult, Mapping, TableGuess } from '../../../shared/ledger.ts';
import type { LedgerRules } from '../../../shared/projection.ts';
import { defaultCacheDir } from '../base/cache.ts';
import { toRows, type AppendOptions } from '../write/append.ts';
import { appendPg, ensurePgSeq } from './pg-append.ts';
import { PgReader } from './pg-reader.ts';
import { detectPgSource, guessPgTables, type PgSource } from './pg-source.ts';
import { parsePgUrl, sessionOptions, type PgTarget } from './pg-url.ts';
import { SyncPg } from './sync-client.ts';
import { checkOffsetsExact } from '../read/checks.ts';

export interface PgOpenOptions {
  cacheDir?: string;
  /** The table to read; else the URL's ?table=, else the one the layouts or the detector find. */
  table?: string;
  mapping?: Mapping;
  rules?: LedgerRules;
}

/** The tables of the database a URL names, scored as event logs (the app's table chooser). */
export function pgTables(given: string): TableGuess[] {
  const target = parsePgUrl(given);
  const pg = new SyncPg(target.server, target.config);
  try {
    return guessPgTables(pg);
  } finally {
    pg.close();
  }
}

/** The order column's least and greatest, exact (see checkOffsetsExact). */
function refuseUnsafeOffsets(pg: SyncPg, source: PgSource, label: string): void {
  const { col, table } = source;
  checkOffsetsExact(pg.rows<{ lo: string | null; hi: string | null }>(`SELECT min(${col.offset})::text AS lo, max(${col.offset})::text AS hi FROM ${table}`)[0]!, col.offset, label);
}

export class PgLedger extends PgReader {
  private readonly target: PgTarget;
  private writer: SyncPg | null = null;

  private constructor(target: PgTarget, pg: SyncPg, opts: PgOpenOptions) {
    const source = detectPgSource(pg, target.server.label, target.table, opts.mapping);
    refuseUnsafeOffsets(pg, source, target.server.label);
    const shown = new URL(target.shown);
    shown.searchParams.set('table', source.tableName);
    super({ path: shown.toString(), pg, source, cacheDir: opts.cacheDir ?? defaultCacheDir() });
    this.target = target;
  }

  static open(given: string, opts: PgOpenOptions = {}): PgLedger {
    const target = parsePgUrl(given, opts.table);
    const pg = new SyncPg(target.server, target.config);
    try {
      const ledger = new PgLedger(target, pg, opts);
      const rules = opts.rules ? ([opts.rules, 'given'] as const) : ledger.source.rules ? ([ledger.source.rules, 'layout'] as const) : null;
      ledger.useRules(rules ? [rules[0], rules[1]] : null);
      return ledger;
    } catch (e) {
      pg.close();
      throw e;
    }
  }

  /** Appends events (validated, idempotent by id, one transaction per batch). */
  append(events: unknown[], opts: AppendOptions = {}): AppendResult {
    if (!this.source.appendable) throw new LedgerError('read_only', `appending is for canonical ledgers; this one is ${this.source.layout}`, this.path);
    if (opts.mirrorDir) throw new LedgerError('invalid_argument', 'a JSONL mirror is for ledger files; a PostgreSQL table is shared by its writers', this.path);
    // Validated before the database is touched: a rejected batch changes nothing.
    const rows = toRows(events, this.path, opts.maxPayloadBytes, opts.payloadTexts);
    if (!this.writer) {
      const writer = new SyncPg(this.target.server, { ...this.target.config, options: sessionOptions({ readOnly: false }) });
      try {
        ensurePgSeq(writer, this.source, this.path);
      } catch (e) {
        writer.close();
        throw e;
      }
      this.writer = writer;
      if (!this.source.hasSeq) Object.assign(this.source, { hasSeq: true, col: { ...this.source.col, seq: `${this.source.table}."seq"` } });
    }
    return appendPg(this.writer, this.source, rows);
  }

  override close(): void {
    this.writer?.close();
    this.writer = null;
    super.close();
  }
}
