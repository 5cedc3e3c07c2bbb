// The names tools give an event's fields, per role, in order of preference: the one
// list that both the JSONL line mapping and the table detector guess from.
import { plainIsoTime } from '../../../shared/ledger.ts';

export const FIELD_CANDIDATES = {
  id: ['id', 'event_id', 'message_id', 'uuid'],
  run: ['stream', 'run_id', 'stream_id', 'thread_id', 'thread', 'workflow_id', 'session_id', 'aggregate_id', 'run'],
  kind: ['event', 'kind', 'type', 'event_type', 'message_type', 'name'],
  time: ['created_at', 'ts', 'time', 'timestamp', 'created', '@timestamp'],
  payload: ['payload', 'data', 'message_data', 'body', 'json', 'value'],
  seq: ['seq', 'stream_position', 'sequence'],
  actor: ['actor', 'source', 'role', 'author'],
} as const satisfies Record<string, readonly string[]>;

export type FieldRole = keyof typeof FIELD_CANDIDATES;

// Year 1 .. 9999: what an ISO time (and SQLite's date functions) can hold.
export const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
export const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');
// Unix times above this are milliseconds (as seconds it would be the year 5138).
const MS_FROM = 1e11;

/**
 * A time value as ISO text: ISO (or other Date-parsable) text kept as written,
 * unix seconds or milliseconds (told apart by size) converted. Null for a value
 * that is no time or lies outside years 1-9999.
 */
export function timeToIso(v: unknown): string | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    const ms = Math.abs(v) >= MS_FROM ? v : v * 1000;
    return ms >= MIN_MS && ms <= MAX_MS ? new Date(ms).toISOString() : null;
  }
  if (typeof v !== 'string') return null;
  // The common case, checked by its characters: a JSONL index takes it on every line, where Date.parse cost a tenth of a µs more.
  if (plainIsoTime(v) && !v.startsWith('0000')) return v;
  const ms = Date.parse(v);
  return ms >= MIN_MS && ms <= MAX_MS ? v : null;
}
