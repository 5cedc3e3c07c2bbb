// The JSONL line format of the seed event store ({ts, stream, event, payload}),
// plus the canonical columns our exports add so a round trip loses nothing.
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { LedgerError } from '../../../shared/errors.ts';
import { hasLoneSurrogate } from '../../../shared/ledger.ts';
import { F, type CanonicalRow } from './schema.ts';
import { FIELD_CANDIDATES, timeToIso, type FieldRole } from './event-fields.ts';
import { fsError } from '../base/sqlite.ts';
import { OpenFiles } from '../base/open-files.ts';
import { fitsOnLine, memberText } from './json-text.ts';
import { toSeq, type Seq } from '../base/integers.ts';

/** A line's fields besides the payload, which lineText() writes as stored text. */
export interface JsonlLine {
  /** Seconds since 1970; null for a stored time that is no time (see created_at). */
  ts: number | null;
  stream: string;
  event: string;
  id?: string;
  /** Written as a JSON number, exact past 2^53; other text (a PostgreSQL numeric that is no integer) as a string. */
  seq?: Seq | string | null;
  actor?: string;
  created_at?: string | null;
  turn?: number;
  schema_version?: number;
  session_id?: string | null;
  model_profile?: string | null;
  model_id?: string | null;
  /** Where the event was in the exported ledger: the order an import restores. */
  offset?: number;
}

/**
 * One line of text: the fields as JSON, with the payload's stored text spliced in
 * unchanged. A payload that cannot sit on a line as it is (line breaks, not JSON)
 * also goes in `payload_text`, verbatim, which an import prefers.
 */
export function lineText(fields: JsonlLine, payload: string): string {
  const { ts, stream, event, ...rest } = fields;
  const head = JSON.stringify({ ts, stream, event }).slice(0, -1);
  const tail = JSON.stringify(typeof rest.seq === 'bigint' ? { ...rest, seq: rawJson(String(rest.seq)) } : rest).slice(1);
  const member = fitsOnLine(payload) ? `"payload":${payload}` : `"payload":${JSON.stringify(asValue(payload))},"payload_text":${JSON.stringify(payload)}`;
  return `${head},${member}${tail === '}' ? tail : `,${tail}`}`;
}

// JSON.stringify writes a bigint's digits only as raw JSON (Node 21 and later).
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

const INTEGER_TEXT = /^-?(0|[1-9]\d*)$/;

/** A seq as an event holds it (exact text past 2^53), as a line writes it: integer text as its number. */
export const lineSeq = (seq: number | string | null): Seq | string | null => (typeof seq === 'string' && INTEGER_TEXT.test(seq) ? toSeq(BigInt(seq)) : seq);

/** The parsed payload for readers that ignore `payload_text`, or the text itself when it is not JSON. */
function asValue(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

export function streamFileName(stream: string): string {
  return `${stream.replace(/[/\\:*?"<>|\x00-\x1f]/g, '_')}.jsonl`;
}

export function rowToLine(r: CanonicalRow): { stream: string; text: string } {
  const fields: JsonlLine = {
    ts: Date.parse(r[F.created_at]) / 1000,
    stream: r[F.run_id],
    event: r[F.kind],
    id: r[F.id],
    seq: r[F.seq],
    actor: r[F.actor],
    created_at: r[F.created_at],
    turn: r[F.turn],
    schema_version: r[F.schema_version],
    session_id: r[F.session_id],
    model_profile: r[F.model_profile],
    model_id: r[F.model_id],
  };
  return { stream: r[F.run_id], text: lineText(fields, r[F.payload]) };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** Integers beyond 2^53 cannot be told apart once read: such a field makes the line bad, not a wrong number. */
const int = (v: unknown): number | null | 'unsafe' => (Number.isSafeInteger(v) ? (v as number) : Number.isInteger(v) ? 'unsafe' : null);

/** The name of the first field of a role's candidates that the line has (not null), or null. */
function pick(o: Record<string, unknown>, role: FieldRole): string | null {
  for (const name of FIELD_CANDIDATES[role]) if (o[name] !== undefined && o[name] !== null) return name;
  return null;
}
/** The value of that field, or undefined. */
const valueOf = (o: Record<string, unknown>, role: FieldRole): unknown => {
  const name = pick(o, role);
  return name === null ? undefined : o[name];
};
const list = (role: FieldRole) => FIELD_CANDIDATES[role].map((n) => `"${n}"`).join(', ');

// Stored, a lone surrogate becomes U+FFFD: two distinct ids (or streams) would merge.
const lone = (name: string, v: string | null) => (v && hasLoneSurrogate(v) ? `"${name}" has a lone UTF-16 surrogate (not valid Unicode), so it cannot be kept distinct` : null);
const unsafe = (name: string, v: Seq | null | 'unsafe', beyond = '2^53') => (v === 'unsafe' ? `"${name}" is an integer beyond ${beyond}, which cannot be kept exactly` : null);

/**
 * A seq past 2^53 is taken from the line's text, exactly (as our exports write it), where it
 * is written as plain digits that SQLite's 64-bit INTEGER holds; otherwise it is unsafe as above.
 */
function seqOf(o: Record<string, unknown>, text: string): Seq | null | 'unsafe' {
  const name = pick(o, 'seq');
  const n = int(name === null ? undefined : o[name]);
  if (n !== 'unsafe') return n;
  const digits = memberText(text, name!);
  if (digits === undefined || !INTEGER_TEXT.test(digits)) return 'unsafe';
  const big = BigInt(digits);
  return BigInt.asIntN(64, big) === big ? big : 'unsafe';
}

/**
 * A parsed line as a canonical row, or a reason it is not one. The seed store's
 * `{ts, stream, event, payload}` lines and other tools' field names (`time`, `type`,
 * `thread`, `data`, ... see event-fields.ts) map alike; a line with no payload field
 * keeps its other fields as the payload. Lines with no id get `<stream>:<line>`,
 * stable because the file only grows. The payload keeps its text as written in the line.
 */
export function lineToRow(obj: unknown, text: string, fallbackStream: string, lineNo: number): CanonicalRow | string {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'not a JSON object';
  const o = obj as Record<string, unknown>;
  const kind = valueOf(o, 'kind');
  if (typeof kind !== 'string') return `no event kind (a text field ${list('kind')})`;
  const timeField = pick(o, 'time');
  let created = timeField ? timeToIso(o[timeField]) : null;
  if (created === null) {
    // Our own exports carry each event's offset, and its time as the ledger stored it, even where
    // that is no time (NULL, other text): kept as stored, so that a round trip loses no event.
    if (typeof o.offset === 'number' && (o.created_at === null || typeof o.created_at === 'string')) created = (o.created_at as string | null) ?? '';
    else if (!timeField) return `no time (a field ${list('time')})`;
    else return `"${timeField}" is not a time in years 1-9999: ${JSON.stringify(o[timeField]).slice(0, 40)}`;
  }
  const run = valueOf(o, 'run');
  const stream = typeof run === 'string' ? run : fallbackStream;
  const payloadField = pick(o, 'payload');
  let payload: unknown;
  if (payloadField) payload = o[payloadField];
  else {
    const mapped = new Set<string>(ROW_FIELDS);
    for (const role of Object.keys(FIELD_CANDIDATES) as FieldRole[]) mapped.add(pick(o, role) ?? '');
    payload = Object.fromEntries(Object.entries(o).filter(([k]) => !mapped.has(k)));
  }
  const id = str(valueOf(o, 'id'));
  const turn = int(o.turn);
  const schemaVersion = int(o.schema_version);
  const seq = seqOf(o, text);
  const bad = lone('id', id) ?? lone('stream', stream) ?? lone('kind', kind) ?? unsafe('turn', turn) ?? unsafe('schema_version', schemaVersion) ?? unsafe('seq', seq, '64 bits (or past 2^53 and not in plain digits)');
  if (bad) return bad;
  return [
    id ?? `${stream}:${lineNo}`,
    stream,
    (turn as number | null) ?? 0,
    kind,
    str(valueOf(o, 'actor')) ?? str((payload as Record<string, unknown> | null)?.actor) ?? stream,
    str(o.payload_text) ?? (payloadField ? memberText(text, payloadField) : undefined) ?? JSON.stringify(payload),
    created,
    (schemaVersion as number | null) ?? 1,
    str(o.session_id),
    str(o.model_profile),
    str(o.model_id),
    seq as Seq | null,
  ];
}

/** Fields our own exports add beside the seed's four: never part of a generic line's payload. */
const ROW_FIELDS = ['id', 'seq', 'actor', 'created_at', 'turn', 'schema_version', 'session_id', 'model_profile', 'model_id', 'offset', 'payload_text'];

// The first read of a file: enough for its first line or two (seed lines run 150-400
// bytes), and under 4 KiB, so it comes from Node's buffer pool: a merge of 50,000
// stream files read its first lines in 40% less time than with 8 KiB reads.
const FIRST_READ = 1024;
const EMPTY = Buffer.alloc(0);

export interface LineReadResult {
  /** Byte position just past the last complete line read. */
  end: number;
  /** Number of the next line to be read (1-based). */
  nextLine: number;
  /** Bytes after the last newline: a line whose writer has not finished it (or crashed mid-line). */
  tornBytes: number;
  /** Lines (the first MAX_INVALID_LINES of them) holding bytes that are not UTF-8, read as U+FFFD. */
  notUtf8: number[];
}

const MAX_INVALID_LINES = 100;

export interface LineReaderOptions {
  /** The read buffer's size; a longer line grows it. */
  bufferBytes?: number;
  /** Shared by the readers of many files (one reader per file); by default the reader has its own. */
  files?: OpenFiles;
  /** The inode the file must have, as stat'ed before reading (by default the one it has when first opened). */
  ino?: number;
  /**
   * Called when next() first finds no complete line left, with the file's descriptor (still open)
   * and the end of the last complete line (the start, if there was none); not for a reader let go early.
   */
  onEnd?: (fd: number, end: number) => void;
}

/**
 * Complete lines of a file from byte `start`, pulled one at a time (so that many
 * files can be merged). Readers of many files share one OpenFiles, so that
 * thousands of stream files never hold thousands of descriptors. A file that is not
 * the one expected (`ino`), or not the one read so far, is refused with
 * source_changed whenever it is opened; one replaced while its descriptor is held
 * is read to its end as it was, and its cache entry, which keeps the inode it had
 * before the read, is rebuilt by the next sync.
 */
export class LineReader {
  /** Number of the line last returned (1-based). */
  lineNo: number;
  /** Byte position just past the last complete line. */
  end: number;
  private buf: Buffer;
  private view: Buffer; // the part of buf holding file data
  private from = 0; // next unread byte in buf
  private pos: number; // file position just past view
  private eof = false;
  private ino = 0;
  private readonly bufferBytes: number;
  private readonly files: OpenFiles;
  private readonly onEnd: LineReaderOptions['onEnd'];
  private readonly notUtf8: number[] = [];

  readonly file: string;

  constructor(file: string, start = 0, firstLine = 1, opts: LineReaderOptions = {}) {
    this.file = file;
    this.files = opts.files ?? new OpenFiles(1);
    this.ino = opts.ino ?? 0;
    this.pos = this.end = start;
    this.lineNo = firstLine - 1;
    this.bufferBytes = opts.bufferBytes ?? 1 << 20;
    this.onEnd = opts.onEnd;
    // Allocated on the first read, small: a merge of thousands of files needs only each one's first line to begin.
    this.buf = this.view = EMPTY;
  }

  /** The next non-empty complete line, or null once no complete line is left. */
  next(): string | null {
    for (;;) {
      const nl = this.view.indexOf(10, this.from);
      if (nl === -1) {
        if (this.eof || !this.refill()) {
          try {
            // Once only: a reader already let go (close) has an empty buffer.
            if (this.onEnd && this.buf !== EMPTY) this.onEnd(this.files.get(this.file, this.checkOpened), this.end);
          } finally {
            // Done with the file: a merge of thousands of files lets each one's buffer and descriptor go as it ends.
            this.close();
          }
          return null;
        }
        continue;
      }
      let begin = this.from;
      let stop = nl;
      if (stop > begin && this.buf[stop - 1] === 13) stop--;
      // Skip a UTF-8 byte-order mark at the very start of the file.
      if (this.end === 0 && this.buf[begin] === 0xef && this.buf[begin + 1] === 0xbb && this.buf[begin + 2] === 0xbf) begin += 3;
      this.end += nl + 1 - this.from;
      this.from = nl + 1;
      this.lineNo++;
      if (stop <= begin) continue;
      const text = this.buf.toString('utf8', begin, stop);
      // The decoder reads bytes that are not UTF-8 as U+FFFD: told, since the payload is then not as written.
      if (text.includes('\uFFFD') && this.notUtf8.length < MAX_INVALID_LINES && !isUtf8(this.buf.subarray(begin, stop))) this.notUtf8.push(this.lineNo);
      return text;
    }
  }

  /** Lets the file go (done by next() at the end of the file): for a reader left before its end, which reads no more. */
  close(): void {
    this.eof = true;
    this.buf = this.view = EMPTY;
    this.from = 0;
    this.files.close(this.file);
  }

  /** Where reading stopped: valid once next() has returned null. */
  result(): LineReadResult {
    return { end: this.end, nextLine: this.lineNo + 1, tornBytes: this.pos - this.end, notUtf8: this.notUtf8 };
  }

  /** Another file than the one expected, or read so far, would splice its bytes in. */
  private readonly checkOpened = (fd: number) => {
    const ino = fs.fstatSync(fd).ino;
    if (this.ino !== ino && this.ino !== 0) throw new LedgerError('source_changed', 'the file was replaced while it was being read', this.file);
    this.ino = ino;
  };

  private refill(): boolean {
    const carry = this.view.length - this.from;
    const want = this.buf.length === 0 ? Math.min(FIRST_READ, this.bufferBytes) : this.bufferBytes;
    if (carry === this.buf.length || this.buf.length < want) {
      // A line longer than the buffer doubles it.
      const bigger = Buffer.allocUnsafe(Math.max(want, carry === this.buf.length ? this.buf.length * 2 : 0));
      this.buf.copy(bigger, 0, this.from, this.view.length);
      this.buf = bigger;
    } else if (carry) this.buf.copy(this.buf, 0, this.from, this.view.length);
    this.from = 0;
    let n: number;
    try {
      n = fs.readSync(this.files.get(this.file, this.checkOpened), this.buf, carry, this.buf.length - carry, this.pos);
    } catch (e) {
      throw e instanceof LedgerError ? e : fsError(e, this.file);
    }
    this.pos += n;
    this.view = this.buf.subarray(0, carry + n);
    if (n === 0) this.eof = true;
    return n > 0;
  }
}

/** Reads complete lines of a file from byte `start`, calling onLine for each non-empty one; `ino` as for LineReader. */
export function readLines(
  file: string,
  start: number,
  firstLine: number,
  onLine: (text: string, lineNo: number, endByte: number) => void,
  ino?: number,
): LineReadResult {
  const reader = new LineReader(file, start, firstLine, { ino });
  try {
    for (let text = reader.next(); text !== null; text = reader.next()) onLine(text, reader.lineNo, reader.end);
    return reader.result();
  } finally {
    reader.close();
  }
}
