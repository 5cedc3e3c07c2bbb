// A filter checked in the window by the engine's own rules (QuerySchema), before it is
// applied: one the engine would refuse is never shown as if it filtered.
import { describeIssues } from '../../shared/errors.ts';
import { QuerySchema, type Query } from '../../shared/ledger.ts';

/** Why the engine would refuse a filter (its schema's messages, naming the field), or null if it takes it. */
export function queryRefusal(query: Query): string | null {
  const parsed = QuerySchema.safeParse(query);
  return parsed.success ? null : describeIssues(parsed.error.issues);
}

export type JsonPathCondition = NonNullable<Query['json_path']>;

export const WHERE_SHAPE = 'a JSON-path condition looks like $.node_id="embed" or $.attempt=2';

/** The first `=` outside a quoted key (`$."a=b"=1` splits after the quote), or -1. */
function splitAt(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '=' && !quoted) return i;
  }
  return -1;
}

/**
 * The filter bar's "$.path=value" field read into a condition, checked by the engine's
 * query schema: its path rule and message (and its value rule) are the engine's own.
 */
export function parseWhere(text: string): { ok: true; condition: JsonPathCondition } | { ok: false; message: string } {
  const i = splitAt(text);
  if (i < 0) return { ok: false, message: WHERE_SHAPE };
  const path = text.slice(0, i).trim();
  const raw = text.slice(i + 1).trim();
  let value: string | number | boolean | null;
  try {
    const v = JSON.parse(raw);
    value = v !== null && typeof v === 'object' ? raw : v;
  } catch {
    value = raw;
  }
  const condition = { path, value };
  const parsed = QuerySchema.safeParse({ json_path: condition });
  if (parsed.success) return { ok: true, condition };
  const issue = parsed.error.issues.find((x) => x.path[0] === 'json_path') ?? parsed.error.issues[0]!;
  return { ok: false, message: issue.message };
}

export const TIME_SHAPE = 'a time looks like 2026-01-05 08:00:00 (UTC) or an ISO-8601 time';

/**
 * A typed time of the filter bar: ISO, or "YYYY-MM-DD HH:MM[:SS]" read as UTC like the
 * times shown; empty is no bound (undefined), text that is no time is null.
 */
export function parseTime(text: string): string | undefined | null {
  const t = text.trim();
  if (!t) return undefined;
  const s = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The from and to fields read into a time range, or why each field that is no time is refused. */
export function parseTimeRange(
  from: string,
  to: string,
): { ok: true; time_from: string | undefined; time_to: string | undefined } | { ok: false; refused: Partial<Record<'from' | 'to', string>> } {
  const time_from = parseTime(from);
  const time_to = parseTime(to);
  if (time_from !== null && time_to !== null) return { ok: true, time_from, time_to };
  const why = (text: string) => `"${text.trim()}" is not a time: ${TIME_SHAPE}`;
  return { ok: false, refused: { ...(time_from === null && { from: why(from) }), ...(time_to === null && { to: why(to) }) } };
}
