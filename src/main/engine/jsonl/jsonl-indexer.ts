// Progressive builds of a JSONL store's cache index: a thread of its own builds it
// (jsonl-index-worker.ts) while the opener reads the rows already committed.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { LedgerError, type ErrorCode } from '../../../shared/errors.ts';
import type { JobControl } from '../base/jobs.ts';
import { ROW_THREAD_LIMITS } from '../base/threads.ts';
import { POLL_MS, readIndexState } from './jsonl-index-state.ts';
import type { IndexResult, JsonlSource } from './jsonl-store.ts';

/** A build on its own thread (jsonl-index-worker.ts); returns once its first rows are committed, or it has finished. */
export function startIndexer(src: JsonlSource, cacheFile: string, ctl?: JobControl): IndexResult {
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const { port1, port2 } = new MessageChannel();
  const file = import.meta.url.endsWith('.ts') ? './jsonl-index-worker.ts' : './jsonl-index-worker.js';
  const worker = new Worker(new URL(file, import.meta.url), { workerData: { src, cacheFile, flags: flags.buffer, replies: port2 }, transferList: [port2], resourceLimits: ROW_THREAD_LIMITS });
  worker.unref();
  const stop = () => {
    Atomics.store(flags, INDEXER_CANCEL, 1);
    // The build hears it within a batch, removes its file and ends: then the next open starts afresh.
    // One past its rows goes on to finish the secondary indexes.
    for (let p = Atomics.load(flags, INDEXER_PHASE); p < PHASE_DONE && readIndexState(cacheFile)?.state === 'building'; p = Atomics.load(flags, INDEXER_PHASE))
      Atomics.wait(flags, INDEXER_PHASE, p, POLL_MS);
  };
  indexers.set(cacheFile, { stop, replies: port1 });
  for (;;) {
    const phase = Atomics.load(flags, INDEXER_PHASE);
    if (phase === PHASE_FAILED) {
      const err = receiveMessageOnPort(port1)?.message as WorkerError | undefined;
      indexers.delete(cacheFile);
      throw new LedgerError(err?.code ?? 'internal', err?.message ?? 'the index build failed', err?.file);
    }
    if (phase >= PHASE_ROWS) {
      // Progress is recorded after the rows it counts: once it is past zero, they are readable.
      const st = readIndexState(cacheFile);
      if (st && (st.indexedBytes > 0 || st.state !== 'building')) return { cacheFile, added: 0, warnings: [], rebuilt: true, build: st.build, building: st.state === 'building' };
    }
    if (ctl?.signal?.aborted) stop();
    Atomics.wait(flags, INDEXER_PHASE, phase, POLL_MS);
  }
}

/** Builds started by this thread, by cache file: Ledger.close stops an unfinished one (and waits for it to end). */
const indexers = new Map<string, { stop: () => void; replies: MessagePort }>();
export function stopIndexer(cacheFile: string): void {
  indexers.get(cacheFile)?.stop();
  indexers.delete(cacheFile);
}
/** The error that ended a build of this thread, if one did. */
export function indexerError(cacheFile: string): LedgerError | null {
  const replies = indexers.get(cacheFile)?.replies;
  const m = replies && (receiveMessageOnPort(replies)?.message as WorkerError | undefined);
  return m ? new LedgerError(m.code, m.message, m.file) : null;
}
export type WorkerError = { code: ErrorCode; message: string; file?: string };

export const INDEXER_PHASE = 0;
export const INDEXER_CANCEL = 1;
export const PHASE_ROWS = 1;
export const PHASE_DONE = 2;
export const PHASE_FAILED = 3;
