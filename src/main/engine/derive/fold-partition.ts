// Folding a whole ledger on every core: the runs split into ranges of run ids (bounds
// sampled from the ledger, so each range has about as many events); this thread folds
// the first range while a thread of its own (fold-worker.ts) folds each other one from
// its own read connection, and the states are merged. A run's state depends only on its
// own events in ledger order, so the merge equals one thread's fold. Each reader still
// scans every row, but SQLite's scan is cheap next to handing a row to JavaScript,
// which each does for its own range only.
// The caller blocks, as the engine's jobs do, hearing cancels and reporting progress.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { LedgerError } from '../../../shared/errors.ts';
import { META_KEYS, type RunState } from '../../../shared/projection.ts';
import { FINISHED, foldRows, foldTable, STARTED, type FoldQueries, type FoldRange, type FoldReply, type FoldTask, type SqlText } from './fold-task.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { EMPTY, join, raw, sql, where, type Sql } from '../base/sql.ts';
import { sqliteError, wrap } from '../base/sqlite.ts';
import type { Source } from '../layout/layouts.ts';
import { buildWhere, timeDisplay } from '../read/query.ts';
import { sqliteOf, type LedgerReader } from '../read/reader.ts';

/** A thread takes 0.1-0.3 s of loading to start (more from TypeScript source): below this many offsets one thread is quicker. */
export const PARALLEL_FROM_OFFSETS = 200_000;
const START_DEADLINE_MS = 30_000;
const WAIT_MS = 50;

/** Which runs a fold covers: partition `part` of `bounds.length + 1`, or all. */
export interface Partition {
  part: number;
  /** A run id goes to the first partition whose bound it sorts below (in SQLite's order), else to the last; no id (NULL) to the first. */
  bounds: unknown[];
}
/** Run ids sampled at this many offsets place the bounds. */
const SAMPLES = 64;

/** A ledger with more kinds than this is folded event by event (its kinds are not listed). */
const MAX_KINDS = 10_000;
/** A payload this long may carry a meta field and goes to the fold unsearched: SQLite's search is slower than JavaScript's on long text. */
const SEARCHED_BYTES = 256;

/**
 * The kinds among the events after `after` that the rules read (a run or node entity):
 * the events of other kinds the fold only counts. Null where that cannot be listed.
 */
export function kindsRead(ledger: LedgerReader, after: number | null): unknown[] | null {
  const { db, source: src } = sqliteOf(ledger, 'a fold');
  const q = sql`SELECT DISTINCT ${raw(src.col.kind)} FROM ${raw(src.table)} ${where(buildWhere(src, {}), after === null ? EMPTY : sql`${raw(src.col.offset)} > ${after}`)} LIMIT ${MAX_KINDS + 1}`;
  const kinds = wrap(ledger.path, () => db.prepare(q.text).pluck().all(...q.params));
  if (kinds.length > MAX_KINDS) return null;
  const read = kinds.filter((k) => ledger.rules.read(k as string).entity !== null);
  // A kind JSON cannot carry as it is (a blob, or none) is folded event by event.
  return read.every((k) => typeof k === 'string' || typeof k === 'number') ? read : null;
}

/**
 * The queries of a fold over a SQLite-backed ledger (see foldTable): the events after
 * `after` up to `upto`, only what a fold reads, optionally one partition's runs; with
 * `kinds` (kindsRead) only the events the fold reads, else every event.
 */
function foldQueries(src: Source, range: { after: number | null; upto: number }, partition: Partition | null, kinds: unknown[] | null): FoldQueries {
  const c = src.col;
  const offset = raw(c.offset);
  const runId = raw(c.run_id);
  // Where events are read in ledger order, `+` keeps SQLite from walking the run index
  // instead; the count may walk it (`id >= b` holds for exactly the ids `+id < b` refuses).
  const part = (walk: boolean) => {
    if (!partition) return [];
    const id = walk ? runId : sql`+${runId}`;
    const { bounds, part: p } = partition;
    return [...bounds.slice(0, p).map((b) => sql`${id} >= ${b}`), ...(p < bounds.length ? [sql`coalesce(${id} < ${bounds[p]}, 1)`] : [])];
  };
  const span = [buildWhere(src, {}), range.after === null ? EMPTY : sql`${offset} > ${range.after}`, sql`${offset} <= ${range.upto}`];
  const rows = where(...span, ...part(false));
  const select = sql`SELECT ${offset} AS offset, ${runId} AS run_id, ${raw(c.kind)} AS kind, ${raw(timeDisplay(src))} AS time, ${raw(c.node_id)} AS node_id, ${raw(c.payload)} AS payload FROM ${raw(src.table)}`;
  const text = (q: Sql): SqlText => ({ text: q.text, params: [...q.params] });
  if (!kinds) return { runs: null, events: text(sql`${select} ${rows} ORDER BY ${offset}`), meta: null };
  // The events of a read kind found by its index where there is one, and each run's first: looked up in ledger order.
  const read = sql`SELECT ${offset} FROM ${raw(src.table)} ${where(...span, sql`${raw(c.kind)} IN (SELECT value FROM json_each(${JSON.stringify(kinds)}))`)} UNION ALL SELECT value FROM json_each(@firsts)`;
  // takeMeta's own test, where a payload is short enough to search here: the field's quoted name in it.
  const names = META_KEYS.map((k, i) => sql`(${raw(`@k${i}`)} AND instr(${raw(c.payload)}, ${`"${k}"`}) > 0)`);
  return {
    runs: text(sql`SELECT ${runId} AS run_id, count(*) AS n, min(${offset}) AS first, max(${offset}) AS last FROM ${raw(src.table)} ${where(...span, ...part(true))} GROUP BY ${runId}`),
    events: text(sql`${select} ${rows} AND ${offset} IN (${read}) ORDER BY ${offset}`),
    meta: text(
      sql`SELECT ${runId} AS run_id, ${raw(c.payload)} AS payload FROM ${raw(src.table)} ${rows}
        AND (+${runId} IN (SELECT value FROM json_each(@runs)) OR (@nulls AND +${runId} IS NULL))
        AND (octet_length(${raw(c.payload)}) > ${SEARCHED_BYTES} OR ${join(names, ' OR ')}) ORDER BY ${offset}`,
    ),
  };
}

/**
 * Folds the ledger's events after `after` up to `upto` into `states`, on this thread,
 * optionally one partition's runs. A SQLite-backed ledger is read for just the columns
 * and events a fold needs; any other store through its reader (and never partitioned).
 */
export function foldInto(ledger: LedgerReader, states: Map<string, RunState>, range: { after: number | null; upto: number }, partition: Partition | null, onEvent: (offset: number) => void, kinds = ledger.sqlite ? kindsRead(ledger, range.after) : null): void {
  const file = ledger.sqlite;
  if (!file) return foldRows(ledger.iterate({ offset_to: range.upto }, range.after ?? undefined), states, ledger.rules, onEvent);
  const queries = foldQueries(file.source, range, partition, kinds);
  try {
    wrap(ledger.path, () => foldTable(file.db, queries, states, ledger.rules, onEvent));
  } catch (e) {
    throw e instanceof LedgerError ? e : sqliteError(e, ledger.path);
  }
}

/** How many threads a fold of this many offsets takes: one where threads would not pay, or on one core. */
export function foldThreads(ledger: LedgerReader, span: number): number {
  // Threads read the SQLite file themselves; a layout read through a view of this connection's own (temp.) cannot be read from another.
  if (span < PARALLEL_FROM_OFFSETS || !ledger.sqlite || ledger.sqlite.source.table.startsWith('temp.')) return 1;
  return Math.min(4, os.availableParallelism());
}

/**
 * Bounds that split the runs of offsets first..upto into up to `threads` ranges of about
 * equal events: run ids at offsets spread over the span, sorted, at the quantiles.
 */
export function foldBounds(ledger: LedgerReader, first: number, upto: number, threads: number): unknown[] {
  const ids: unknown[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const e = ledger.page({ after: first + Math.floor(((upto - first) * i) / SAMPLES) - 1, limit: 1, query: { offset_to: upto } }).events[0];
    if (e) ids.push(e.run_id);
  }
  // Only for balance: bounds out of SQLite's order still give each run exactly one range.
  const order = (a: unknown, b: unknown) => (typeof a === typeof b ? (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0) : typeof a === 'number' ? -1 : 1);
  ids.sort(order);
  const bounds: unknown[] = [];
  for (let t = 1; t < threads; t++) {
    const b = ids[Math.floor((ids.length * t) / threads)];
    if (b !== undefined && b !== null && !bounds.includes(b)) bounds.push(b);
  }
  return bounds;
}

/**
 * Folds every run up to `upto`, one thread for each range the bounds make; the states
 * come back in first-offset order, as one thread's fold gives them. `whileWaiting` is
 * given this thread's own range, final, once folded: work to do while the others finish.
 */
export function foldInParallel(ledger: LedgerReader, bounds: unknown[], upto: number, ctl: JobControl = {}, whileWaiting?: (own: ReadonlyMap<string, RunState>) => void): Map<string, RunState> {
  const { file, source } = sqliteOf(ledger, 'a fold on every core');
  // Before any thread starts: a job cancelled while queued ends here.
  throwIfCancelled(ctl.signal, ledger.path);
  const threads = bounds.length + 1;
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const progress = new Float64Array(new SharedArrayBuffer(8 * threads)).fill(-Infinity);
  const first = ledger.page({ limit: 1 }).first_offset ?? upto;
  const reporter = progressReporter(ctl, upto - first, 'offsets');
  const url = new URL(import.meta.url.endsWith('.ts') ? './fold-worker.ts' : './fold-worker.js', import.meta.url);
  // Started before the kinds are listed (a scan of the kind index): a thread takes a
  // while to load, which this thread spends on that and on its own range.
  const workers = bounds.map((_, i) => {
    const { port1, port2 } = new MessageChannel();
    const task: FoldTask = { file, rules: ledger.rules.spec, slot: i + 1, flags: flags.buffer as SharedArrayBuffer, progress: progress.buffer as SharedArrayBuffer, replies: port2 };
    const worker = new Worker(url, { workerData: task, transferList: [port2] });
    worker.unref();
    return { worker, replies: port1 };
  });
  const cancelled = () => throwIfCancelled(ctl.signal, ledger.path);
  try {
    const kinds = kindsRead(ledger, null);
    workers.forEach((w, i) => w.replies.postMessage({ queries: foldQueries(source, { after: null, upto }, { part: i + 1, bounds }, kinds) } satisfies FoldRange));
    const states = new Map<string, RunState>();
    foldInto(
      ledger,
      states,
      { after: null, upto },
      { part: 0, bounds },
      (offset) => {
        progress[0] = offset;
        reporter.report(Math.max(0, Math.min(...progress) - first));
        cancelled();
      },
      kinds,
    );
    progress[0] = upto;
    whileWaiting?.(states);
    const waiting = performance.now();
    for (let done = Atomics.load(flags, FINISHED); done < bounds.length; done = Atomics.load(flags, FINISHED)) {
      Atomics.wait(flags, FINISHED, done, WAIT_MS);
      cancelled();
      // A thread whose code cannot load never starts, and its error event cannot reach a blocked caller.
      if (Atomics.load(flags, STARTED) < bounds.length && performance.now() - waiting > START_DEADLINE_MS)
        throw new LedgerError('internal', `the fold threads did not start within ${START_DEADLINE_MS / 1000} s (${fileURLToPath(url)})`, ledger.path);
      reporter.report(Math.max(0, Math.min(...progress) - first));
    }
    const merged = [...states.values()];
    for (const w of workers) {
      const reply = receiveMessageOnPort(w.replies)?.message as FoldReply | undefined;
      if (!reply) throw new LedgerError('internal', 'a fold thread ended without its states', ledger.path);
      if ('error' in reply) throw new LedgerError(reply.error.code, reply.error.message, reply.error.file);
      merged.push(...reply.states.values());
    }
    reporter.done();
    merged.sort((a, b) => a.run.first_offset - b.run.first_offset);
    return new Map(merged.map((s) => [s.run.run_id, s]));
  } finally {
    // A thread ended while it loads SQLite's native module aborts the process (see loadSqlite): a cancel waits until each has.
    const deadline = performance.now() + START_DEADLINE_MS;
    for (let n = Atomics.load(flags, STARTED); n < bounds.length && performance.now() < deadline; n = Atomics.load(flags, STARTED)) Atomics.wait(flags, STARTED, n, WAIT_MS);
    for (const w of workers) {
      void w.worker.terminate();
      w.replies.close();
    }
  }
}
