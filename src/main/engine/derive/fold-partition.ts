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
import type { FoldEvent, RunState } from '../../../shared/projection.ts';
import { FINISHED, foldRows, STARTED, type FoldReply, type FoldTask } from './fold-task.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { EMPTY, raw, sql, where, type Sql } from '../base/sql.ts';
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

/** The query of a fold over a SQLite-backed ledger: the events after `after` up to `upto`, only what a fold reads, optionally one partition's runs. */
function foldQuery(src: Source, range: { after: number | null; upto: number }, partition: Partition | null): Sql {
  const c = src.col;
  const offset = raw(c.offset);
  // Compared where the ids are, not looked up: `+` keeps SQLite from walking the run index out of ledger order.
  const below = (bound: unknown) => sql`coalesce(+${raw(c.run_id)} < ${bound}, 1)`;
  const part = partition
    ? [...partition.bounds.slice(0, partition.part).map((b) => sql`NOT ${below(b)}`), ...(partition.part < partition.bounds.length ? [below(partition.bounds[partition.part])] : [])]
    : [];
  const after = range.after === null ? EMPTY : sql`${offset} > ${range.after}`;
  return sql`SELECT ${offset} AS offset, ${raw(c.run_id)} AS run_id, ${raw(c.kind)} AS kind, ${raw(timeDisplay(src))} AS time, ${raw(c.node_id)} AS node_id, ${raw(c.payload)} AS payload
    FROM ${raw(src.table)} ${where(buildWhere(src, {}), after, sql`${offset} <= ${range.upto}`, ...part)} ORDER BY ${offset}`;
}

/**
 * Folds the ledger's events after `after` up to `upto` into `states`, on this thread,
 * optionally one partition's runs. A SQLite-backed ledger is read for just the columns
 * a fold needs; any other store through its reader (and never partitioned).
 */
export function foldInto(ledger: LedgerReader, states: Map<string, RunState>, range: { after: number | null; upto: number }, partition: Partition | null, onEvent: (offset: number) => void): void {
  const file = ledger.sqlite;
  if (!file) return foldRows(ledger.iterate({ offset_to: range.upto }, range.after ?? undefined), states, ledger.rules, onEvent);
  const q = foldQuery(file.source, range, partition);
  const rows = wrap(ledger.path, () => file.db.prepare(q.text).iterate(...q.params)) as IterableIterator<FoldEvent>;
  try {
    foldRows(rows, states, ledger.rules, onEvent);
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

/** Folds every run up to `upto`, one thread for each range the bounds make; the states come back in first-offset order, as one thread's fold gives them. */
export function foldInParallel(ledger: LedgerReader, bounds: unknown[], upto: number, ctl: JobControl = {}): Map<string, RunState> {
  const { file, source } = sqliteOf(ledger, 'a fold on every core');
  const threads = bounds.length + 1;
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const progress = new Float64Array(new SharedArrayBuffer(8 * threads)).fill(-Infinity);
  const first = ledger.page({ limit: 1 }).first_offset ?? upto;
  const reporter = progressReporter(ctl, upto - first, 'offsets');
  const url = new URL(import.meta.url.endsWith('.ts') ? './fold-worker.ts' : './fold-worker.js', import.meta.url);
  // Started first: a thread takes a while to load, which this thread spends on its own range.
  const workers = bounds.map((_, i) => {
    const { port1, port2 } = new MessageChannel();
    const q = foldQuery(source, { after: null, upto }, { part: i + 1, bounds });
    const task: FoldTask = { file, sql: q.text, params: [...q.params], rules: ledger.rules.spec, slot: i + 1, flags: flags.buffer as SharedArrayBuffer, progress: progress.buffer as SharedArrayBuffer, replies: port2 };
    const worker = new Worker(url, { workerData: task, transferList: [port2] });
    worker.unref();
    return { worker, replies: port1 };
  });
  const cancelled = () => throwIfCancelled(ctl.signal, ledger.path);
  try {
    const states = new Map<string, RunState>();
    foldInto(ledger, states, { after: null, upto }, { part: 0, bounds }, (offset) => {
      progress[0] = offset;
      reporter.report(Math.max(0, Math.min(...progress) - first));
      cancelled();
    });
    progress[0] = upto;
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
