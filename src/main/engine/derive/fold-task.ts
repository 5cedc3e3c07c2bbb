// What a fold thread is given and gives back, and the loop that folds rows, on
// either side of foldInParallel (fold-partition.ts). Kept apart so that a thread
// loads only this, SQLite and the rules (see fold-worker.ts), and starts sooner.
import type { MessagePort } from 'node:worker_threads';
import type { ErrorCode } from '../../../shared/errors.ts';
import { applyEvent, emptyRun, type FoldEvent, type LedgerRules, type Rules, type RunState } from '../../../shared/projection.ts';

/** What a fold thread is given: the SQLite file, the query of its range, and the rules. */
export interface FoldTask {
  file: string;
  sql: string;
  params: unknown[];
  rules: LedgerRules | null;
  /** Its slot in `progress`, where it notes the last offset it folded. */
  slot: number;
  /** Shared: [FINISHED] threads finished, [STARTED] threads started. */
  flags: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  replies: MessagePort;
}
export type FoldReply = { states: Map<string, RunState> } | { error: { code: ErrorCode; message: string; file?: string } };
export const FINISHED = 0;
export const STARTED = 1;

/** Folds rows into `states` (by run id, in the order runs first appear); `onEvent` hears every 65,536th offset (progress, cancel). */
export function foldRows(rows: Iterable<FoldEvent>, states: Map<string, RunState>, rules: Rules, onEvent: (offset: number) => void): void {
  let n = 0;
  for (const e of rows) {
    let s = states.get(e.run_id);
    if (!s) {
      s = emptyRun(e);
      states.set(e.run_id, s);
    }
    applyEvent(s, e, rules);
    if ((++n & 0xffff) === 0) onEvent(e.offset);
  }
}
