// The thread side of BulkWriterThread: a BulkWriter fed by messages. Every message
// counts as handled, even after a failure, so the caller never waits forever.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LedgerError } from '../../../shared/errors.ts';
import { BulkWriter, type WriterOptions } from './bulk.ts';
import { HANDLED, INDEXES_BUILT, type FromWriter, type ToWriter } from './bulk-thread.ts';

const counters = new Int32Array(workerData.counters as SharedArrayBuffer);
const replies = workerData.replies as MessagePort;
const reply = (m: FromWriter) => replies.postMessage(m);
const handled = () => {
  Atomics.add(counters, HANDLED, 1);
  Atomics.notify(counters, HANDLED);
};

let writer: BulkWriter | null = null;
let failed = false;
function fail(e: unknown): void {
  failed = true;
  writer?.abort();
  const err = e instanceof LedgerError ? e : new LedgerError('internal', `bulk writer failed: ${(e as Error)?.message ?? String(e)}`);
  reply({ error: { code: err.code, message: err.message, file: err.file } });
}

try {
  writer = new BulkWriter(workerData.dest as string, workerData.opts as WriterOptions);
} catch (e) {
  fail(e);
}
handled();

function handle(w: BulkWriter, m: ToWriter): void {
  if ('rows' in m) for (const row of m.rows) w.add(row);
  else if ('exec' in m) w.execEach(m.exec[0], m.exec[1]);
  else if ('counts' in m) reply(w.counts());
  else if ('finish' in m) {
    w.finish((built) => {
      Atomics.store(counters, INDEXES_BUILT, built);
      // Wakes the caller waiting on the other counter, so that it can report progress.
      Atomics.notify(counters, HANDLED);
    }, m.last);
    reply(w.counts());
  } else w.abort();
}

parentPort!.on('message', (m: ToWriter) => {
  try {
    // After a failure nothing more is written: the caller has its reply.
    if (!failed && writer) handle(writer, m);
  } catch (e) {
    fail(e);
  }
  handled();
});
