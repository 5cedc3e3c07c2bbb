// The shapes of events, queries and pages: one definition, used by the engine,
// the CLI, the IPC contract and the renderer alike.
import { z } from 'zod';
import type { LedgerRules } from './projection.ts';

export const LAYOUTS = ['canonical', 'supervisor', 'session_events', 'jsonl', 'emmett', 'langgraph', 'mapped'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** One event as every layout presents it. `payload` is JSON text (a preview in list pages). */
export interface LedgerEvent {
  offset: number;
  id: string;
  run_id: string;
  /** An integer: a number within ±(2^53 - 1), where numbers are exact; beyond, its exact decimal text. */
  seq: number | string | null;
  kind: string;
  actor: string | null;
  time: string | null;
  session_id: string | null;
  model_id: string | null;
  node_id: string | null;
  payload: string;
  /** True when `payload` was cut to a preview; fetch the event by offset for all of it. */
  truncated: boolean;
  /** Set where the layout marks archived events (Emmett's is_archived). */
  archived?: boolean;
}

/** A filter's list of values: big lists (every run of a ledger) are fine, unbounded ones are not. */
export const MAX_FILTER_VALUES = 100_000;
const names = z.array(z.string().min(1)).min(1).max(MAX_FILTER_VALUES);
/** A text filter is a needle, not a document: each row is searched for it. */
export const MAX_TEXT_CHARS = 1000;
/** The JSON paths SQLite's json_extract takes: $, then .key, ."quoted key", [index] or [#-n] steps. */
const JSON_PATH = /^\$(?:\.[A-Za-z_$][\w$]*|\."(?:[^"\\]|\\.)*"|\[(?:\d+|#(?:-\d+)?)\])*$/;
const offset = z.number().int().nonnegative();
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 time, e.g. 2024-05-01T12:00:00Z');
/**
 * A number a filter compares to: an integer beyond 2^53 has already been rounded to its
 * neighbour when read (9007199254740993 reads as ...992), and SQLite reads one beyond 2^63
 * from a payload as a rounded REAL, so no comparison with it could be exact: refused.
 */
const comparableNumber = z
  .number()
  .refine((n) => !Number.isInteger(n) || Number.isSafeInteger(n), `an integer beyond 2^53 (${Number.MAX_SAFE_INTEGER}) cannot be compared exactly; find it with a text filter instead`);

export const QuerySchema = z
  .object({
    runs: names.optional(),
    kinds: names.optional(),
    exclude_kinds: names.optional(),
    actors: names.optional(),
    sessions: names.optional(),
    models: names.optional(),
    time_from: isoTime.optional(),
    time_to: isoTime.optional(),
    offset_from: offset.optional(),
    offset_to: offset.optional(),
    since_seq: z.number().int().optional(),
    text: z.string().min(1).max(MAX_TEXT_CHARS).optional(),
    json_path: z
      .object({
        path: z.string().max(1000).regex(JSON_PATH, 'a JSON path is $ followed by .key, ."key" or [index] steps, e.g. $.node_id or $.items[0].name'),
        value: z.union([z.string(), comparableNumber, z.boolean(), z.null()]),
      })
      .optional(),
  })
  .strict()
  .refine((q) => q.since_seq === undefined || q.runs?.length === 1, {
    message: 'since_seq needs exactly one run',
    path: ['since_seq'],
  });
export type Query = z.infer<typeof QuerySchema>;

export const PageRequestSchema = z
  .object({
    query: QuerySchema.default({}),
    /** Forward page: events with offset > after. */
    after: z.number().int().optional(),
    /** Backward page: events with offset < before. */
    before: z.number().int().optional(),
    /** The last page of the selection. */
    from_end: z.boolean().optional(),
    limit: z.number().int().min(1).max(10_000).default(200),
    payload: z.enum(['preview', 'full']).default('preview'),
  })
  .strict()
  .refine((p) => [p.after, p.before, p.from_end].filter((v) => v !== undefined && v !== false).length <= 1, {
    message: 'give at most one of after, before, from_end',
  });
export type PageRequest = z.input<typeof PageRequestSchema>;
export type ParsedPageRequest = z.output<typeof PageRequestSchema>;

const QUICK_QUERY_LISTS = ['runs', 'kinds', 'exclude_kinds', 'actors', 'sessions', 'models'] as const;
const QUICK_QUERY_KEYS = new Set<string>([...QUICK_QUERY_LISTS, 'offset_from', 'offset_to']);
const PAGE_KEYS = new Set(Object.keys(PageRequestSchema.shape));
const plainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const optionalInt = (v: unknown, min = -Infinity, max = Infinity) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);
const nameList = (v: unknown) => {
  if (v === undefined) return true;
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_FILTER_VALUES) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' || v[i].length < 1) return false;
  return true;
};

/**
 * What PageRequestSchema gives for a request it certainly accepts, by plain checks: a list
 * scrolled through a million rows asks for a page per window, and the schema's parse was
 * half of a page's own cost. Only value lists and offset bounds in the query; null where
 * in doubt (text, times, seq, a JSON path, anything unusual), and the schema then decides.
 */
export function quickParsePageRequest(raw: unknown): ParsedPageRequest | null {
  if (!plainObject(raw)) return null;
  for (const k in raw) if (!PAGE_KEYS.has(k)) return null;
  const { query = {}, after, before, from_end, limit = 200, payload = 'preview' } = raw;
  if (!plainObject(query)) return null;
  for (const k in query) if (!QUICK_QUERY_KEYS.has(k)) return null;
  for (const k of QUICK_QUERY_LISTS) if (!nameList(query[k])) return null;
  if (!optionalInt(query.offset_from, 0) || !optionalInt(query.offset_to, 0)) return null;
  if (!optionalInt(after) || !optionalInt(before) || !(from_end === undefined || typeof from_end === 'boolean')) return null;
  if (!optionalInt(limit, 1, 10_000) || (payload !== 'preview' && payload !== 'full')) return null;
  if ((after !== undefined ? 1 : 0) + (before !== undefined ? 1 : 0) + (from_end ? 1 : 0) > 1) return null;
  return { query: query as Query, after: after as number | undefined, before: before as number | undefined, from_end: from_end as boolean | undefined, limit: limit as number, payload };
}

/**
 * A JSONL store whose cache index is still being built: what is read of it so far.
 * Answers given meanwhile (pages, counts, facets, runs) cover the indexed part only.
 */
export interface IndexingState {
  /** 0-99: bytes of the store's files indexed so far. */
  percent: number;
  /** Events readable now. */
  indexed_events: number;
  /** The whole store's events, extrapolated from the bytes indexed so far. */
  estimated_events: number;
}

/** A keyset page in ledger order; has_more says whether more lie beyond it in the paging direction. */
export interface Page {
  events: LedgerEvent[];
  first_offset: number | null;
  last_offset: number | null;
  has_more: boolean;
  /** Present while a JSONL store is still being indexed: the page covers the indexed part only. */
  indexing?: IndexingState;
}

export const FACET_FIELDS = ['run_id', 'kind', 'actor', 'session_id', 'model_id'] as const;
export type FacetField = (typeof FACET_FIELDS)[number];
export interface FacetValue {
  value: string | null;
  count: number;
  /** The count is the database planner's estimate (a big table, unfiltered), not a count. */
  estimate?: boolean;
}

/** Event counts per time bucket; bucket i starts at from + i * bucket_ms. */
export interface Histogram {
  from: string | null;
  to: string | null;
  bucket_ms: number;
  counts: number[];
}

export interface LedgerStats {
  path: string;
  layout: Layout;
  table: string;
  events: number;
  runs: number;
  first_offset: number | null;
  last_offset: number | null;
  first_time: string | null;
  last_time: string | null;
  kinds: Record<string, number>;
  warnings: string[];
  /** The column mapping read (null for a named layout) and whether it was detected, saved or given. */
  mapping: { how: MappingSource; mapping: Mapping | null };
  /** The projection rules in force and where they came from ('none': the word tables alone). */
  rules: { how: RulesSource; rules: LedgerRules | null };
  /** Present while a JSONL store is still being indexed: the figures cover the indexed part only. */
  indexing?: IndexingState;
  /** The events, runs and kinds counts are the database planner's estimates (a big table), not counts. */
  estimate?: boolean;
}

/** How a ledger's layout was found: a named layout, a mapping given for this open, one saved for the file, or one guessed. */
export type MappingSource = 'layout' | 'given' | 'saved' | 'detected';
export type RulesSource = 'given' | 'saved' | 'layout' | 'none';

/** One table scored as an event log by the detector. */
export interface TableGuess {
  table: string;
  columns: string[];
  /** Rows sampled (up to 50). */
  rows: number;
  score: number;
  /** The guessed mapping; null when no column could take the order, run or kind. */
  mapping: Mapping | null;
  missing: string[];
  /** The best guess, clear enough to open without asking. */
  confident: boolean;
}

/**
 * A lone UTF-16 surrogate is not Unicode: SQLite would store it as U+FFFD, so two
 * distinct ids (or run ids) would become one. Such a string is refused, never merged
 * (for appends, by the engine's toRows). isWellFormed() says it in one pass of native code,
 * several times quicker than a regular expression: appends ask it of each event's text fields.
 */
export const hasLoneSurrogate = (s: string) => !s.isWellFormed();
/** The lengths an appended event's text fields may have: the schema and its fast path both read them. */
const APPEND_MAX = { id: 200, run_id: 500, kind: 200, actor: 200, meta: 500 } as const;
/** What an appended event may carry; the engine fills in the rest. */
export const AppendEventSchema = z
  .object({
    id: z.string().min(1).max(APPEND_MAX.id).optional(),
    run_id: z.string().min(1).max(APPEND_MAX.run_id),
    kind: z.string().min(1).max(APPEND_MAX.kind),
    actor: z.string().min(1).max(APPEND_MAX.actor).default('system'),
    // One check rather than z.record's walk over every key: this runs for every appended event.
    payload: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a JSON object').default({}),
    created_at: isoTime.optional(),
    turn: z.number().int().nonnegative().default(0),
    schema_version: z.number().int().positive().default(1),
    session_id: z.string().max(APPEND_MAX.meta).nullable().optional(),
    model_profile: z.string().max(APPEND_MAX.meta).nullable().optional(),
    model_id: z.string().max(APPEND_MAX.meta).nullable().optional(),
  })
  .strict();
export type ParsedAppendEvent = z.output<typeof AppendEventSchema>;
const APPEND_KEYS = new Set(Object.keys(AppendEventSchema.shape));

const text = (v: unknown, min: number, max: number) => typeof v === 'string' && v.length >= min && v.length <= max;
const meta = (v: unknown) => v === undefined || v === null || text(v, 0, APPEND_MAX.meta);
const count = (v: unknown, min: number) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= min);

/** A digit's value, or far below zero for any other character. */
const digitAt = (s: string, i: number) => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1000;
};
const twoDigits = (s: string, i: number) => digitAt(s, i) * 10 + digitAt(s, i + 1);
/**
 * A UTC time `YYYY-MM-DDTHH:MM:SS[.fraction]Z` that Date.parse certainly takes, read
 * character by character (a match with groups cost more than Date.parse itself); days
 * past the 28th, and every other form, are left to Date.parse.
 */
export function plainIsoTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 90 /* Z */) return false;
  if (digitAt(s, 0) < 0 || digitAt(s, 1) < 0 || digitAt(s, 2) < 0 || digitAt(s, 3) < 0) return false;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return false;
  const [month, day, hour, minute, second] = [twoDigits(s, 5), twoDigits(s, 8), twoDigits(s, 11), twoDigits(s, 14), twoDigits(s, 17)];
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59)) return false;
  if (n === 20) return true;
  if (s[19] !== '.' || n < 22) return false;
  for (let i = 20; i < n - 1; i++) if (digitAt(s, i) < 0) return false;
  return true;
}

/**
 * What AppendEventSchema gives for an event it certainly accepts, by plain checks: appends
 * run this per event, and zod's general parse was most of an append's own cost. Null
 * where in doubt; the schema then decides, and words any error.
 */
export function quickParseAppendEvent(raw: unknown): ParsedAppendEvent | null {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) return null;
  const e = raw as Record<string, unknown>;
  for (const k in e) if (!APPEND_KEYS.has(k)) return null;
  const { id, run_id, kind, actor, payload, created_at, turn, schema_version, session_id, model_profile, model_id } = e;
  if (!(id === undefined || text(id, 1, APPEND_MAX.id)) || !text(run_id, 1, APPEND_MAX.run_id) || !text(kind, 1, APPEND_MAX.kind)) return null;
  if (!(actor === undefined || text(actor, 1, APPEND_MAX.actor))) return null;
  if (!(payload === undefined || (typeof payload === 'object' && payload !== null && !Array.isArray(payload)))) return null;
  if (!(created_at === undefined || (typeof created_at === 'string' && (plainIsoTime(created_at) || !Number.isNaN(Date.parse(created_at)))))) return null;
  if (!count(turn, 0) || !count(schema_version, 1) || !meta(session_id) || !meta(model_profile) || !meta(model_id)) return null;
  return {
    id: id as string | undefined,
    run_id: run_id as string,
    kind: kind as string,
    actor: (actor as string | undefined) ?? 'system',
    payload: (payload as Record<string, unknown> | undefined) ?? {},
    created_at: created_at as string | undefined,
    turn: (turn as number | undefined) ?? 0,
    schema_version: (schema_version as number | undefined) ?? 1,
    session_id: session_id as string | null | undefined,
    model_profile: model_profile as string | null | undefined,
    model_id: model_id as string | null | undefined,
  };
}
export type AppendEvent = z.input<typeof AppendEventSchema>;

export interface AppendResult {
  /** Per input event, in order: where it landed, or that its id was already there. */
  /** `seq` as in LedgerEvent: exact text past 2^53. */
  results: Array<{ id: string; offset: number; seq: number | string; status: 'appended' } | { id: string; status: 'duplicate' }>;
  appended: number;
  duplicates: number;
}

/** ISO-8601 text, unix seconds or milliseconds, SQLite's 'YYYY-MM-DD HH:MM:SS'. */
export const TIME_FORMATS = ['iso', 'unix_s', 'unix_ms', 'sqlite'] as const;

/** Column mapping for a table of any other shape: each value names a column of `table`. */
export const MappingSchema = z
  .object({
    table: z.string().min(1),
    order: z.string().min(1),
    run: z.string().min(1),
    kind: z.string().min(1),
    time: z.string().min(1).optional(),
    time_format: z.enum(TIME_FORMATS).default('iso'),
    payload: z.string().min(1).optional(),
    id: z.string().min(1).optional(),
    actor: z.string().min(1).optional(),
    seq: z.string().min(1).optional(),
    session: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    node: z.string().min(1).optional(),
  })
  .strict();
export type Mapping = z.input<typeof MappingSchema>;
