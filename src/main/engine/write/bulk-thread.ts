// A BulkWriter on a thread of its own: the caller reads and parses while that
// thread binds and inserts, so on two cores a big import takes about the longer
// of the two instead of their sum. The calls stay synchronous, as the engine's jobs
// are: the caller blocks only when the writer is several batches behind, and to finish.
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { LedgerError, type ErrorCode } from '../../../shared/errors.ts';
import { BulkWriter, type Counts, type Statement, type WriterOptions } from './bulk.ts';
import { ROW_THREAD_LIMITS } from '../base/threads.ts';
import type { CanonicalRow } from '../format/schema.ts';

const BATCH = 10_000;
// Batches handed over and not yet written: bounds the memory an import holds.
const IN_FLIGHT = 4;
// Starting the thread costs about 80 ms (SQLite loads in it): it pays from about this many rows.
export const THREAD_FROM_ROWS = 20_000;
const START_DEADLINE_MS = 30_000;

/** A bulk writer for about `expectedRows` rows: on its own thread when that pays. */
export function openBulkWriter(dest: string, opts: WriterOptions, expectedRows: number): BulkWriter | BulkWriterThread {
  return expectedRows >= THREAD_FROM_ROWS ? new BulkWriterThread(dest, opts) : new BulkWriter(dest, opts);
}

export type ToWriter = { rows: CanonicalRow[] } | { exec: [sql: string, each: unknown[][]] } | { counts: true } | { finish: true; last?: Statement } | { abort: true };
export type FromWriter = { error: { code: ErrorCode; message: string; file?: string } } | Counts;

/** The shared counters: messages the writer has handled (its first step included), and indexes built while finishing. */
export const HANDLED = 0;
export const INDEXES_BUILT = 1;

export class BulkWriterThread {
  /** Rows handed to add(), and (once finished) how many of those were already there by id. */
  rows = 0;
  duplicates = 0;
  private readonly worker: Worker;
  private readonly replies: MessagePort;
  private readonly counters = new Int32Array(new SharedArrayBuffer(8));
  private sent = 0;
  private batch: CanonicalRow[] = [];
  private ended = false;

  constructor(dest: string, opts: WriterOptions = {}) {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    // Built, the engine sits in out/main beside bulk-worker.js; from source, beside bulk-worker.ts.
    const file = import.meta.url.endsWith('.ts') ? './bulk-worker.ts' : './bulk-worker.js';
    const url = new URL(file, import.meta.url);
    this.worker = new Worker(url, {
      workerData: { dest, opts, counters: this.counters.buffer, replies: port2 },
      transferList: [port2],
      resourceLimits: ROW_THREAD_LIMITS,
    });
    this.worker.unref();
    this.sent = 1;
    this.url = url;
    this.dest = dest;
  }

  private readonly url: URL;
  private readonly dest: string;
  private started = false;

  /**
   * The writer's first step opens the temporary file: its errors (the destination exists)
   * surface at the first call after the constructor, which meanwhile lets the caller read
   * its first lines while the thread loads. A thread whose code cannot load never counts
   * that step, and its error event cannot reach a blocked caller: hence the deadline.
   */
  private ensureStarted(): void {
    if (this.started) return;
    this.started = true;
    if (!this.waitUntil(1, START_DEADLINE_MS)) {
      this.end();
      throw new LedgerError('internal', `the bulk writer's thread did not start within ${START_DEADLINE_MS / 1000} s (${fileURLToPath(this.url)})`, this.dest);
    }
    this.settle();
  }

  add(row: CanonicalRow): void {
    this.batch.push(row);
    this.rows++;
    if (this.batch.length >= BATCH) this.handOver();
  }

  /** As BulkWriter.counts: waits for the thread to write what it was handed. */
  counts(): Counts {
    this.handOver();
    this.post({ counts: true });
    return this.settle() as Counts;
  }

  /** Runs SQL on the temporary file before it is finished (extra tables of a cache). */
  exec(sql: string, ...params: unknown[]): void {
    this.execEach(sql, [params]);
  }

  /** As BulkWriter.execEach: one message and one transaction for all of them. */
  execEach(sql: string, each: unknown[][]): void {
    this.handOver();
    this.post({ exec: [sql, each] });
  }

  /** As BulkWriter.finish; onIndex hears of each index the thread has built. */
  finish(onIndex?: (built: number) => void, last?: Statement): void {
    this.handOver();
    this.post({ finish: true, last });
    let told = -1;
    const done = this.settle(true, () => {
      const built = Atomics.load(this.counters, INDEXES_BUILT);
      if (built !== told) onIndex?.((told = built));
    }) as Counts;
    this.duplicates = done.duplicates;
    this.end();
  }

  /** Removes the temporary file; safe to call after a failure or twice. */
  abort(): void {
    if (this.ended) return;
    try {
      this.ensureStarted();
    } catch {
      return; // it never started: nothing was written
    }
    this.post({ abort: true });
    this.settle(false);
    this.end();
  }

  private handOver(): void {
    this.ensureStarted();
    if (!this.batch.length) return;
    this.post({ rows: this.batch });
    this.batch = [];
    if (this.sent - Atomics.load(this.counters, HANDLED) > IN_FLIGHT) this.waitUntil(this.sent - IN_FLIGHT);
    this.throwIfFailed();
  }

  private post(m: ToWriter): void {
    this.worker.postMessage(m);
    this.sent++;
  }

  /** Waits until the writer has handled everything sent; returns its reply, or throws its error. */
  private settle(rethrow = true, onWake?: () => void): FromWriter | undefined {
    this.waitUntil(this.sent, Infinity, onWake);
    let last: FromWriter | undefined;
    for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) last = m.message as FromWriter;
    this.failIfError(last, rethrow);
    return last;
  }

  /** Between batches the only reply that can be waiting is an error. */
  private throwIfFailed(): void {
    this.failIfError(receiveMessageOnPort(this.replies)?.message as FromWriter | undefined, true);
  }

  private failIfError(m: FromWriter | undefined, rethrow: boolean): void {
    if (!m || !('error' in m)) return;
    this.end();
    if (rethrow) throw new LedgerError(m.error.code, m.error.message, m.error.file);
  }

  /** Blocks until the writer has handled `handled` messages (calling onWake whenever it is woken); false if the deadline passed first. */
  private waitUntil(handled: number, deadlineMs = Infinity, onWake?: () => void): boolean {
    const until = performance.now() + deadlineMs;
    for (let now = Atomics.load(this.counters, HANDLED); now < handled; now = Atomics.load(this.counters, HANDLED)) {
      const left = until - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.counters, HANDLED, now, left);
      onWake?.();
    }
    return true;
  }

  private end(): void {
    this.ended = true;
    this.replies.close();
    void this.worker.terminate();
  }
}
