// Appending to a canonical ledger: validated, idempotent by id, all-or-nothing per
// batch, with a per-run seq that stays unique and gap-free across processes.
import { v7 as uuidv7 } from 'uuid';
import { describeIssues, LedgerError } from '../../shared/errors.ts';
import { formatBytes } from '../../shared/format.ts';
import { AppendEventSchema, type AppendEvent, type AppendResult } from '../../shared/ledger.ts';
import { INSERT_SQL, REWIND_OFFSETS, SEQ_INDEX, type CanonicalRow } from './schema.ts';
import { wrap, type DB } from './sqlite.ts';
import { appendMirrorLines, rowToLine } from './jsonl-format.ts';
import { memberText, unkeptNumber } from './json-text.ts';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

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
  text.split('\n').forEach((line, i) => {
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
    const parsed = AppendEventSchema.safeParse(raw);
    if (!parsed.success) throw new LedgerError('invalid_argument', `${label(raw, i)}: ${describeIssues(parsed.error.issues)}`, file);
    const e = parsed.data;
    const text = payloadTexts?.[i];
    if (text === undefined) {
      // A parsed payload (not its text): refuse a number the parse already changed, rather than store another.
      const lost = unkeptNumber(e.payload);
      if (lost)
        throw new LedgerError('invalid_argument', `${label(raw, i)}: payload ${lost} cannot be stored exactly from a parsed value; append it as JSON text (ledger-inspector append) to keep it as written`, file);
    }
    const payload = text ?? JSON.stringify(e.payload);
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

/** Seed-written files have no seq column; the first append adds it (a nullable column the seed's code ignores). */
export function ensureSeqColumn(db: DB): void {
  const cols = db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[];
  if (!cols.includes('seq')) db.exec('ALTER TABLE events ADD COLUMN seq INTEGER');
  db.exec(SEQ_INDEX);
}

export class Appender {
  private readonly insert;
  private readonly rewind;
  private readonly maxSeq;
  private readonly run;
  private readonly file: string;

  constructor(db: DB, file: string) {
    this.file = file;
    wrap(file, () => ensureSeqColumn(db));
    // An id already there is found by the insert itself (duplicates are rare); the
    // offset AUTOINCREMENT spent on it is given back, and it takes no seq.
    this.insert = db.prepare(`${INSERT_SQL} ON CONFLICT(id) DO NOTHING`);
    // Without AUTOINCREMENT (a table made by other code) a skipped row spends nothing.
    const autoincrement = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
    this.rewind = autoincrement ? db.prepare(REWIND_OFFSETS) : null;
    this.maxSeq = db.prepare('SELECT max(seq) FROM events WHERE run_id = ?').pluck();
    // IMMEDIATE takes the write lock before reading max(seq), so two processes never hand out the same seq.
    this.run = db.transaction((rows: CanonicalRow[]) => this.insertRows(rows)).immediate;
  }

  append(events: unknown[], opts: AppendOptions = {}): AppendResult {
    const rows = toRows(events, this.file, opts.maxPayloadBytes, opts.payloadTexts);
    const result = wrap(this.file, () => this.run(rows));
    if (opts.mirrorDir)
      appendMirrorLines(
        opts.mirrorDir,
        rows.filter((_, i) => result.results[i]!.status === 'appended').map(rowToLine),
      );
    return result;
  }

  private insertRows(rows: CanonicalRow[]): AppendResult {
    const next = new Map<string, number>();
    const results: AppendResult['results'] = [];
    let appended = 0;
    for (const row of rows) {
      const run = row[1];
      const seq = next.get(run) ?? ((this.maxSeq.get(run) as number | null) ?? 0) + 1;
      row[11] = seq;
      const info = this.insert.run(row);
      if (!info.changes) {
        this.rewind?.run();
        next.set(run, seq);
        results.push({ id: row[0], status: 'duplicate' });
        continue;
      }
      next.set(run, seq + 1);
      appended++;
      results.push({ id: row[0], offset: Number(info.lastInsertRowid), seq, status: 'appended' });
    }
    return { results, appended, duplicates: rows.length - appended };
  }
}
