// Appending to a canonical ledger: validated, idempotent by id, all-or-nothing per
// batch, with a per-run seq that stays unique and gap-free across processes.
import { v7 as uuidv7 } from 'uuid';
import { describeIssues, LedgerError } from '../../../shared/errors.ts';
import { formatBytes } from '../../../shared/format.ts';
import { jsonDepth, MAX_PAYLOAD_DEPTH } from '../../../shared/json-depth.ts';
import { AppendEventSchema, hasLoneSurrogate, quickParseAppendEvent, type AppendEvent, type AppendResult } from '../../../shared/ledger.ts';
import { F, INSERT_SQL, REWIND_OFFSETS, SEQ_INDEX, type CanonicalRow } from '../format/schema.ts';
import type { Statement } from 'better-sqlite3';
import { wrap, type WriteDb } from '../base/sqlite.ts';
import { exactInteger, toSeq } from '../base/integers.ts';
import { rowToLine } from '../format/jsonl-format.ts';
import { memberText, unkeptNumber } from '../format/json-text.ts';
import { MirrorBatch } from './mirror.ts';
import { insertRow, SeqRule } from './seq-rule.ts';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
const TEXT_FIELDS = ['id', 'run_id', 'kind', 'actor', 'session_id', 'model_profile', 'model_id'];

// Exact, since a payload just over the limit rounds to the limit's own size.
const exactBytes = (n: number) => `${n.toLocaleString('en-US')} bytes (${formatBytes(n)})`;

export interface AppendOptions {
  maxPayloadBytes?: number;
  /** A JSONL store kept as the ledger's mirror: each appended event is also written to `<dir>/<run_id>.jsonl`. */
  mirrorDir?: string;
  /** Each event's payload as the JSON text it was written in (see readEventLines), stored byte for byte. */
  payloadTexts?: ReadonlyArray<string | undefined>;
}

/** Events from JSON lines (the CLI's input), with each payload's text as written. */
export function readEventLines(text: string, file: string): { events: unknown[]; payloadTexts: Array<string | undefined> } {
  const events: unknown[] = [];
  const payloadTexts: Array<string | undefined> = [];
  // A byte-order mark that an editor put before the first line is no part of it (the JSONL reader skips one too).
  text.replace(/^\uFEFF/, '').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      throw new LedgerError('invalid_argument', `line ${i + 1} is not JSON: ${(e as Error).message}`, file);
    }
    payloadTexts.push(memberText(line, 'payload'));
  });
  return { events, payloadTexts };
}

/** Validates a batch into canonical rows, or throws naming the first bad event and field. */
export function toRows(events: unknown[], file: string, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES, payloadTexts?: AppendOptions['payloadTexts']): CanonicalRow[] {
  if (!Array.isArray(events)) throw new LedgerError('invalid_argument', 'append takes a list of events', file);
  const now = new Date().toISOString();
  // The label is built only for an error: this loop runs for every appended event.
  const label = (raw: unknown, i: number) => `event ${i + 1}${typeof (raw as AppendEvent)?.id === 'string' ? ` (id ${(raw as AppendEvent).id})` : ''}`;
  return events.map((raw, i) => {
    let e = quickParseAppendEvent(raw);
    if (!e) {
      const parsed = AppendEventSchema.safeParse(raw);
      if (!parsed.success) throw new LedgerError('invalid_argument', `${label(raw, i)}: ${describeIssues(parsed.error.issues)}`, file);
      e = parsed.data;
    }
    if (
      hasLoneSurrogate(e.run_id) ||
      hasLoneSurrogate(e.kind) ||
      hasLoneSurrogate(e.actor) ||
      (e.id && hasLoneSurrogate(e.id)) ||
      (e.session_id && hasLoneSurrogate(e.session_id)) ||
      (e.model_profile && hasLoneSurrogate(e.model_profile)) ||
      (e.model_id && hasLoneSurrogate(e.model_id))
    ) {
      const texts = [e.id, e.run_id, e.kind, e.actor, e.session_id, e.model_profile, e.model_id];
      const field = TEXT_FIELDS[texts.findIndex((t) => t && hasLoneSurrogate(t))];
      throw new LedgerError('invalid_argument', `${label(raw, i)}: ${field}: has a lone UTF-16 surrogate (not valid Unicode, so it cannot be stored as given)`, file);
    }
    const text = payloadTexts?.[i];
    let payload: string;
    try {
      if (text === undefined) {
        // A parsed payload (not its text): refuse a number the parse already changed, rather than store another.
        const lost = unkeptNumber(e.payload);
        if (lost)
          throw new LedgerError('invalid_argument', `${label(raw, i)}: payload ${lost} cannot be stored exactly from a parsed value; append it as JSON text (ledger-inspector append) to keep it as written`, file);
      }
      payload = text ?? JSON.stringify(e.payload);
    } catch (err) {
      if (err instanceof LedgerError) throw err;
      // A structure too deep to walk overflows the stack: deeper than any limit.
      throw new LedgerError('invalid_argument', `${label(raw, i)}: payload is nested too deeply (the limit is ${MAX_PAYLOAD_DEPTH} levels)`, file);
    }
    // Each level takes two characters at least, so a short payload needs no scan (this runs for every appended event).
    if (payload.length > 2 * MAX_PAYLOAD_DEPTH && jsonDepth(payload) > MAX_PAYLOAD_DEPTH)
      throw new LedgerError('invalid_argument', `${label(raw, i)}: payload is nested ${jsonDepth(payload)} levels deep, over the limit of ${MAX_PAYLOAD_DEPTH}`, file);
    if (payload.length > maxPayloadBytes / 4) {
      const bytes = Buffer.byteLength(payload);
      if (bytes > maxPayloadBytes)
        throw new LedgerError('payload_too_large', `${label(raw, i)}: payload is ${exactBytes(bytes)}, over the limit of ${exactBytes(maxPayloadBytes)}`, file);
    }
    return [
      e.id ?? uuidv7(),
      e.run_id,
      e.turn,
      e.kind,
      e.actor,
      payload,
      e.created_at ?? now,
      e.schema_version,
      e.session_id ?? null,
      e.model_profile ?? null,
      e.model_id ?? null,
      null,
    ];
  });
}

/**
 * Seed-written files have no seq column; the first append adds it (a nullable column
 * the seed's code ignores). Run inside the append's write transaction, after the batch
 * is validated, so a rejected batch changes nothing and concurrent first appends take
 * turns instead of racing to add the column.
 */
function ensureSeqColumn(db: WriteDb): void {
  const cols = db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[];
  if (!cols.includes('seq')) db.exec('ALTER TABLE events ADD COLUMN seq INTEGER');
  db.exec(SEQ_INDEX);
}

/**
 * An event's seq is its position in its run, counted from 1 in ledger order. Rows
 * written before the ledger had a seq column (or by code that does not set it) have
 * none stored, but still count: the next seq of a run with such rows is its event
 * count plus one, so the 28th event of a run that had 27 takes 28. Where every row
 * of a run has its seq, the next is the last plus one, an index lookup.
 */
const NEXT_SEQ = `SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE run_id = @run AND seq IS NULL)
  THEN max((SELECT count(*) FROM events WHERE run_id = @run), coalesce((SELECT max(seq) FROM events WHERE run_id = @run), 0))
  ELSE coalesce((SELECT max(seq) FROM events WHERE run_id = @run), 0) END`;

export class Appender {
  private readonly db: WriteDb;
  private readonly file: string;
  private readonly run: (rows: CanonicalRow[], mirror: MirrorBatch | null) => AppendResult;
  /** Prepared in the first transaction, once the seq column is there to prepare them against. */
  private stmts: { insert: Statement; rewind: Statement | null; lastSeq: Statement } | null = null;

  constructor(db: WriteDb, file: string) {
    this.db = db;
    this.file = file;
    // IMMEDIATE takes the write lock before reading the last seq, so two processes never hand out the same seq.
    this.run = db.transaction((rows: CanonicalRow[], mirror: MirrorBatch | null) => {
      const result = this.insertRows(rows);
      // Inside the transaction: a mirror that fails to take the batch rolls the batch back.
      mirror?.write(rows.filter((_, i) => result.results[i]!.status === 'appended').map(rowToLine));
      return result;
    }).immediate;
  }

  /** Appends rows already validated by toRows; the mirror, if any, gets exactly the rows committed. */
  append(rows: CanonicalRow[], opts: AppendOptions = {}): AppendResult {
    // Opened first: a mirror that cannot take these streams is an error before anything is written.
    const mirror = opts.mirrorDir ? MirrorBatch.open(opts.mirrorDir, rows.map((r) => r[F.run_id])) : null;
    try {
      return wrap(this.file, () => this.run(rows, mirror));
    } catch (e) {
      mirror?.undo(); // the commit itself failed after the mirror took the lines
      throw e;
    } finally {
      mirror?.close();
    }
  }

  private prepared() {
    if (!this.stmts) {
      ensureSeqColumn(this.db);
      // Without AUTOINCREMENT (a table made by other code) a skipped row spends nothing.
      const autoincrement = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
      this.stmts = {
        // An id already there is found by the insert itself (duplicates are rare); the
        // offset AUTOINCREMENT spent on it is given back, and it takes no seq.
        insert: this.db.prepare(`${INSERT_SQL} ON CONFLICT(id) DO NOTHING`),
        rewind: autoincrement ? this.db.prepare(REWIND_OFFSETS) : null,
        // Exact past 2^53, where a number would hand out a seq already taken.
        lastSeq: this.db.prepare(NEXT_SEQ).pluck().safeIntegers(),
      };
    }
    return this.stmts;
  }

  private insertRows(rows: CanonicalRow[]): AppendResult {
    const { insert, rewind, lastSeq } = this.prepared();
    // The last seq of each run as stored, read under this transaction's write lock.
    const rule = new SeqRule((run) => toSeq(lastSeq.get({ run }) as bigint), this.file);
    const results: AppendResult['results'] = [];
    let appended = 0;
    for (const row of rows) {
      const inserted = insertRow(insert, rewind, rule, row);
      if (!inserted) {
        results.push({ id: row[F.id], status: 'duplicate' });
        continue;
      }
      appended++;
      results.push({ id: row[F.id], offset: inserted.offset, seq: typeof inserted.seq === 'bigint' ? exactInteger(inserted.seq) : inserted.seq, status: 'appended' });
    }
    return { results, appended, duplicates: rows.length - appended };
  }
}
