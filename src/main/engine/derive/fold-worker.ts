// The thread side of foldInParallel: loads, then folds the range of the runs it is sent
// from a read connection of its own and replies with the states (or the error), then
// counts itself finished, so the caller never waits forever. It loads little: SQLite,
// the rules, the fold.
import { workerData } from 'node:worker_threads';
import { LedgerError } from '../../../shared/errors.ts';
import { compileRules, type RunState } from '../../../shared/projection.ts';
import { loadSqlite, openReadOnly, sqliteError } from '../base/sqlite.ts';
import { FINISHED, foldTable, STARTED, type FoldRange, type FoldReply, type FoldTask } from './fold-task.ts';

const task = workerData as FoldTask;
const flags = new Int32Array(task.flags);
const progress = new Float64Array(task.progress);
const bump = (slot: number) => {
  Atomics.add(flags, slot, 1);
  Atomics.notify(flags, slot);
};
// Started once SQLite is loaded: the caller ends a thread only after that (see loadSqlite).
loadSqlite();
bump(STARTED);
task.replies.once('message', ({ queries }: FoldRange) => {
  let reply: FoldReply;
  try {
    const db = openReadOnly(task.file);
    try {
      const states = new Map<string, RunState>();
      foldTable(db, queries, states, compileRules(task.rules), (offset) => (progress[task.slot] = offset));
      reply = { states };
    } finally {
      db.close();
    }
  } catch (e) {
    const known = sqliteError(e, task.file);
    const err = known instanceof LedgerError ? known : new LedgerError('internal', `a fold thread failed: ${(e as Error)?.message ?? String(e)}`, task.file);
    reply = { error: { code: err.code, message: err.message, file: err.file } };
  }
  progress[task.slot] = Infinity;
  task.replies.postMessage(reply);
  bump(FINISHED);
});
