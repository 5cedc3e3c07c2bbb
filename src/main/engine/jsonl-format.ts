// The JSONL line format of the seed event store ({ts, stream, event, payload}),
// plus the canonical columns our exports add so a round trip loses nothing.
import fs from 'node:fs';
import path from 'node:path';
import type { CanonicalRow } from './schema.ts';

export interface JsonlLine {
  ts: number;
  stream: string;
  event: string;
  payload: unknown;
  id?: string;
  seq?: number | null;
  actor?: string;
  created_at?: string;
  turn?: number;
  schema_version?: number;
  session_id?: string | null;
  model_profile?: string | null;
  model_id?: string | null;
}

export function streamFileName(stream: string): string {
  return `${stream.replace(/[/\\:*?"<>|\x00-\x1f]/g, '_')}.jsonl`;
}

/** Appends lines to `<dir>/<stream>.jsonl`, one write per stream file. */
export function appendMirrorLines(dir: string, lines: JsonlLine[]): void {
  if (!lines.length) return;
  fs.mkdirSync(dir, { recursive: true });
  const byStream = new Map<string, string[]>();
  for (const l of lines) {
    const list = byStream.get(l.stream) ?? [];
    list.push(JSON.stringify(l));
    byStream.set(l.stream, list);
  }
  for (const [stream, list] of byStream) fs.appendFileSync(path.join(dir, streamFileName(stream)), `${list.join('\n')}\n`);
}

export function rowToLine(r: CanonicalRow): JsonlLine {
  return {
    ts: Date.parse(r[6]) / 1000,
    stream: r[1],
    event: r[3],
    payload: JSON.parse(r[5]),
    id: r[0],
    seq: r[11],
    actor: r[4],
    created_at: r[6],
    turn: r[2],
    schema_version: r[7],
    session_id: r[8],
    model_profile: r[9],
    model_id: r[10],
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (Number.isInteger(v) ? (v as number) : null);

/**
 * A parsed line as a canonical row, or a reason it is not one. Lines of the seed
 * store carry no id; theirs is `<stream>:<line>`, stable because the file only grows.
 */
export function lineToRow(obj: unknown, fallbackStream: string, lineNo: number): CanonicalRow | string {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'not a JSON object';
  const o = obj as Record<string, unknown>;
  const kind = str(o.event) ?? str(o.kind) ?? str(o.type);
  if (!kind) return 'no "event" field';
  const stream = str(o.stream) ?? fallbackStream;
  const payload = o.payload === undefined ? {} : o.payload;
  let created = str(o.created_at);
  if (!created) {
    if (typeof o.ts === 'number') created = new Date(o.ts * 1000).toISOString();
    else if (typeof o.ts === 'string' && !Number.isNaN(Date.parse(o.ts))) created = o.ts;
    else return 'no "ts" time';
  }
  const p = payload as Record<string, unknown> | null;
  return [
    str(o.id) ?? `${stream}:${lineNo}`,
    stream,
    int(o.turn) ?? 0,
    kind,
    str(o.actor) ?? str(p?.actor) ?? stream,
    JSON.stringify(payload),
    created,
    int(o.schema_version) ?? 1,
    str(o.session_id),
    str(o.model_profile),
    str(o.model_id),
    int(o.seq),
  ];
}

export interface LineReadResult {
  /** Byte position just past the last complete line read. */
  end: number;
  /** Number of the next line to be read (1-based). */
  nextLine: number;
  /** Bytes after the last newline: a line whose writer has not finished it (or crashed mid-line). */
  tornBytes: number;
}

/**
 * Reads complete lines of a file from byte `start`, calling onLine for each
 * non-empty one. Sync and chunked: the engine runs off the UI thread.
 */
export function readLines(
  file: string,
  start: number,
  firstLine: number,
  onLine: (text: string, lineNo: number, endByte: number) => void,
  shouldStop?: () => boolean,
): LineReadResult {
  const fd = fs.openSync(file, 'r');
  const CHUNK = 1 << 20;
  let buf = Buffer.allocUnsafe(CHUNK);
  let carry = 0; // bytes of an unfinished line at the front of buf
  let pos = start;
  let lineNo = firstLine;
  let end = start;
  try {
    for (;;) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, carry, buf.length - carry, pos);
      if (n === 0) break;
      pos += n;
      const filled = carry + n;
      const view = buf.subarray(0, filled);
      let from = 0;
      for (let nl = view.indexOf(10, from); nl !== -1; nl = view.indexOf(10, from)) {
        let stop = nl;
        if (stop > from && buf[stop - 1] === 13) stop--;
        // Skip a UTF-8 byte-order mark at the very start of the file.
        let begin = from;
        if (end === 0 && begin === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) begin = 3;
        end += nl + 1 - from;
        if (stop > begin) onLine(view.toString('utf8', begin, stop), lineNo, end);
        lineNo++;
        from = nl + 1;
      }
      carry = filled - from;
      if (carry) buf.copy(buf, 0, from, filled);
      if (shouldStop?.()) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { end, nextLine: lineNo, tornBytes: pos - end };
}
