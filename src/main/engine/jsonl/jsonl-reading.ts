// What reading a JSONL store adds to reading its cache index: how far the index's
// build has got, waiting for it, and taking in what the files gained.
import fs from 'node:fs';
import { LedgerError } from '../../../shared/errors.ts';
import type { IndexingState } from '../../../shared/ledger.ts';
import type { JobControl } from '../base/jobs.ts';
import type { ReadDb } from '../base/sqlite.ts';
import type { SqliteReader, StoreHooks } from '../read/sqlite-reader.ts';
import { readIndexState, waitForIndex } from './jsonl-index-state.ts';
import { indexerError, stopIndexer } from './jsonl-indexer.ts';
import { describeJsonl, storedWarnings, syncJsonlIndex, type JsonlSource } from './jsonl-store.ts';

export function jsonlHooks(src: JsonlSource, cacheFile: string, db: ReadDb, build: string, building: boolean): StoreHooks {
  /** Still being built: its rows keep coming in by themselves. */
  let stillBuilding = building;
  const indexing = (reader: SqliteReader): IndexingState | null => {
    if (!stillBuilding) return null;
    const st = readIndexState(cacheFile, db);
    if (!fs.existsSync(cacheFile) || !st || st.build !== build)
      throw indexerError(cacheFile) ?? new LedgerError('source_changed', 'the indexing of the JSONL store stopped (cancelled, or its files changed); reopen it', reader.path);
    if (st.state !== 'building') {
      stillBuilding = false;
      reader.warnings = storedWarnings(cacheFile, db);
      return null;
    }
    const events = reader.lastOffset() ?? 0;
    const fraction = st.totalBytes ? Math.min(1, st.indexedBytes / st.totalBytes) : 1;
    return { percent: Math.min(99, Math.floor(fraction * 100)), indexed_events: events, estimated_events: fraction > 0 ? Math.round(events / fraction) : events };
  };
  return {
    watched: src.root,
    stateDb: src.stateDb,
    indexing,
    waitIndexed(reader, ctl?: JobControl) {
      if (!stillBuilding) return;
      waitForIndex(cacheFile, ctl);
      // Complete, or stopped: indexing() says which.
      if (indexing(reader)) throw new LedgerError('source_changed', 'the indexing of the JSONL store stopped before it finished; reopen it', reader.path);
    },
    refresh(reader, ctl?: JobControl) {
      // While the index is built, its builder takes in what the files gain.
      if (indexing(reader)) return 0;
      const res = syncJsonlIndex(describeJsonl(src.root), reader.cacheDir, ctl);
      if (res.rebuilt) throw new LedgerError('source_changed', 'the JSONL store was replaced or cut short; reopen it', reader.path);
      reader.warnings = res.warnings;
      return res.added;
    },
    close() {
      if (stillBuilding) stopIndexer(cacheFile);
    },
  };
}
