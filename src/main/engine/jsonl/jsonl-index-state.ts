// What a JSONL store's cache index says of itself while it is built and after: its
// build, its builder's process, how far it got. Readers, followers and the next
// opener decide from it whether to read, wait, finish or rebuild.
import Database from 'better-sqlite3';
import { throwIfCancelled, type JobControl } from '../base/jobs.ts';
import type { DB } from '../base/sqlite.ts';

/** 3: payloads kept as written, and the index built in place with its state. */
export const INDEX_VERSION = '3';
export const SET_INDEXED = "UPDATE jsonl_meta SET value = ? WHERE key = 'indexed_bytes'";
export const SET_STATE = "UPDATE jsonl_meta SET value = ? WHERE key = 'state'";

export interface IndexState {
  /** Rows still coming in; all rows in (secondary indexes being built); all done. */
  state: 'building' | 'rows' | 'complete';
  build: string;
  pid: number;
  indexedBytes: number;
  totalBytes: number;
}

/** What a cache index says of itself; null when there is none, or it cannot be read (then it is rebuilt). */
export function readIndexState(cacheFile: string, db?: DB): IndexState | null {
  let own: DB | undefined;
  try {
    own = db ? undefined : new Database(cacheFile, { readonly: true, fileMustExist: true });
    const m = Object.fromEntries(((db ?? own)!.prepare('SELECT key, value FROM jsonl_meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    if (m.version !== INDEX_VERSION || !m.build) return null;
    const state = m.state === 'complete' || m.state === 'rows' ? m.state : 'building';
    return { state, build: m.build, pid: Number(m.pid), indexedBytes: Number(m.indexed_bytes), totalBytes: Number(m.total_bytes) };
  } catch {
    return null;
  } finally {
    own?.close();
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const POLL_MS = 25;
export const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Blocks until the index another thread or process is building has all its rows, reporting its progress. */
export function waitForIndex(cacheFile: string, ctl?: JobControl): IndexState | null {
  for (;;) {
    const st = readIndexState(cacheFile);
    if (!st || st.state !== 'building' || !isAlive(st.pid)) return st;
    ctl?.onProgress?.({ done: st.indexedBytes, total: st.totalBytes, unit: 'bytes' });
    throwIfCancelled(ctl?.signal, cacheFile);
    sleep(POLL_MS);
  }
}
