// The thread that builds a JSONL store's cache index while its opener reads the rows
// already committed (see startIndexer). It parses and merges; the bulk writer's own
// thread inserts: the two cores share the work.
import { workerData, type MessagePort } from 'node:worker_threads';
import { LedgerError } from '../../../shared/errors.ts';
import { INDEXER_CANCEL, INDEXER_PHASE, PHASE_DONE, PHASE_FAILED, PHASE_ROWS, type WorkerError } from './jsonl-indexer.ts';
import { importJsonl, type JsonlSource } from './jsonl-store.ts';

const flags = new Int32Array(workerData.flags as SharedArrayBuffer);
const replies = workerData.replies as MessagePort;
const setPhase = (p: number) => {
  Atomics.store(flags, INDEXER_PHASE, p);
  Atomics.notify(flags, INDEXER_PHASE);
};

try {
  importJsonl(workerData.src as JsonlSource, workerData.cacheFile as string, {
    signal: { get aborted() { return Atomics.load(flags, INDEXER_CANCEL) === 1; } },
    onProgress: (p) => {
      if (p.unit === 'bytes' && p.done > 0 && Atomics.load(flags, INDEXER_PHASE) === 0) setPhase(PHASE_ROWS);
    },
  }, { overwrite: true, cacheTables: true });
  setPhase(PHASE_DONE);
} catch (e) {
  const err = e instanceof LedgerError ? e : new LedgerError('internal', `indexing failed: ${(e as Error)?.message ?? String(e)}`);
  replies.postMessage({ code: err.code, message: err.message, file: err.file } satisfies WorkerError);
  setPhase(PHASE_FAILED);
}
