// What a fold thread is given and gives back, and the loop that folds rows, on
// either side of foldInParallel (fold-partition.ts). Kept apart so that a thread
// loads only this, SQLite and the rules (see fold-worker.ts), and starts sooner.
import type { Database } from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';
import type { ErrorCode } from '../../../shared/errors.ts';
import { applyEvent, emptyRun, META_KEYS, takeMeta, type FoldEvent, type LedgerRules, type Rules, type RunState } from '../../../shared/projection.ts';

/** A statement's text and parameters, as a thread is given them. */
export interface SqlText {
  text: string;
  params: unknown[];
}

/**
 * The queries of a fold over a SQLite table (see foldTable). `runs` gives each run's
 * count and first and last offset; `events`, only the events the fold reads, with the
 * runs' first offsets bound by foldTable as `@firsts`; `meta`, the payloads that may
 * carry the meta fields `@k0`.. of the runs `@runs` (and of the run with no id where
 * `@nulls`). With `runs` null (kinds the fold cannot list), `events` is every event.
 */
export interface FoldQueries {
  runs: SqlText | null;
  events: SqlText;
  meta: SqlText | null;
}

/**
 * What a fold thread is given when it starts: the SQLite file and the rules. The queries
 * of its range follow on `replies` (a FoldRange) once the caller has them: the thread
 * loads meanwhile.
 */
export interface FoldTask {
  file: string;
  rules: LedgerRules | null;
  /** Its slot in `progress`, where it notes the last offset it folded. */
  slot: number;
  /** Shared: [FINISHED] threads finished, [STARTED] threads started. */
  flags: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  replies: MessagePort;
}
export interface FoldRange {
  queries: FoldQueries;
}
export type FoldReply = { states: Map<string, RunState> } | { error: { code: ErrorCode; message: string; file?: string } };
export const FINISHED = 0;
export const STARTED = 1;

/**
 * Folds rows into `states` (by run id, in the order runs first appear); `onEvent` hears
 * every 4,096th offset (progress, cancel), `onFirst` each run after its first row here.
 */
export function foldRows(rows: Iterable<FoldEvent>, states: Map<string, RunState>, rules: Rules, onEvent: (offset: number) => void, onFirst?: (s: RunState) => void): void {
  let n = 0;
  const seen = onFirst && new Set<unknown>();
  for (const e of rows) {
    let s = states.get(e.run_id);
    if (!s) {
      s = emptyRun(e);
      states.set(e.run_id, s);
    }
    applyEvent(s, e, rules);
    if (seen && !seen.has(e.run_id)) {
      seen.add(e.run_id);
      onFirst!(s);
    }
    if ((++n & 0xfff) === 0) onEvent(e.offset);
  }
}

/**
 * Folds a SQLite table's events into `states` by `queries` (see FoldQueries). Most
 * events (tool calls, logs) change a run only by its count and last offset, which
 * SQLite counts; handing each such row to JavaScript was most of a fold's time. So
 * only the events the fold reads come here, in ledger order: those of a kind the
 * rules read, and each run's first. A meta field a run's first event here did not
 * carry is then looked for in every payload of the run that names it, as folding
 * every event would have (the first that carries it gives it).
 */
export function foldTable(db: Database, queries: FoldQueries, states: Map<string, RunState>, rules: Rules, onEvent: (offset: number) => void): void {
  const { runs, events, meta } = queries;
  if (!runs || !meta) return foldRows(db.prepare(events.text).iterate(...events.params) as IterableIterator<FoldEvent>, states, rules, onEvent);
  const counts = db.prepare(runs.text).all(...runs.params) as Array<{ run_id: unknown; n: number; first: number; last: number }>;
  const before = counts.map((r) => states.get(r.run_id as string)?.run.event_count ?? 0);
  // Each run's fields as they stood after its first event here, where some were still missing.
  const lacking = new Map<unknown, { missing: string[]; run: Record<string, unknown> }>();
  const rows = db.prepare(events.text).iterate(...events.params, { firsts: JSON.stringify(counts.map((r) => r.first)) }) as IterableIterator<FoldEvent>;
  foldRows(rows, states, rules, onEvent, (s) => s.missing.length && lacking.set(s.run.run_id, { missing: s.missing, run: { ...s.run } }));
  counts.forEach((r, i) => {
    const run = states.get(r.run_id as string)!.run;
    run.event_count = before[i]! + r.n;
    run.last_offset = r.last;
  });
  if (!lacking.size) return;
  // Found again from there: a later event of a read kind may have given a field an earlier one carried.
  const wanted = new Set<string>();
  for (const [id, then] of lacking) {
    const s = states.get(id as string)!;
    for (const k of then.missing) {
      (s.run as unknown as Record<string, unknown>)[k] = then.run[k];
      wanted.add(k);
    }
    s.missing = then.missing;
  }
  const ids = [...lacking.keys()];
  const flags = Object.fromEntries(META_KEYS.map((k, i) => [`k${i}`, wanted.has(k) ? 1 : 0]));
  const params = { ...flags, runs: JSON.stringify(ids.filter((id) => id !== null)), nulls: ids.includes(null) ? 1 : 0 };
  // Progress stays where the events left it; the calls let a cancel be heard.
  const end = counts.reduce((m, r) => Math.max(m, r.last), -Infinity);
  let n = 0;
  for (const row of db.prepare(meta.text).iterate(...meta.params, params) as IterableIterator<{ run_id: string; payload: string }>) {
    const s = states.get(row.run_id);
    if (s && lacking.has(row.run_id)) takeMeta(s, row.payload);
    if ((++n & 0xfff) === 0) onEvent(end);
  }
}
