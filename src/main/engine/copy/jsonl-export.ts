// Exporting a ledger (or a filtered selection) as a JSONL store: one file per run
// stream in the seed's line format, plus the columns that make a round trip exact.
import fs from 'node:fs';
import path from 'node:path';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { lineSeq, lineText, streamFileName } from '../format/jsonl-format.ts';
import type { LedgerReader } from '../read/reader.ts';
import { fsError } from '../base/sqlite.ts';
import { beginWrite, commitFolder } from '../base/atomic-write.ts';

const FLUSH_BYTES = 4 << 20;

/** Writes into a temporary folder renamed to `dir` at the end; `dir` must be new or empty. */
export function exportJsonl(ledger: LedgerReader, dir: string, query: unknown = {}, ctl?: JobControl): { events: number; files: number } {
  const dest = path.resolve(dir);
  const tmp = beginWrite(dest, { folder: true });
  try {
    fs.mkdirSync(tmp, { recursive: true });
  } catch (e) {
    throw fsError(e, tmp);
  }
  const total = ctl?.onProgress ? ledger.count(query) : 0;
  const progress = progressReporter(ctl, total, 'events');
  const pending = new Map<string, string[]>();
  const files = new Set<string>();
  let buffered = 0;
  let events = 0;
  const flush = () => {
    for (const [file, lines] of pending) fs.appendFileSync(path.join(tmp, file), lines.join(''));
    pending.clear();
    buffered = 0;
  };
  try {
    for (const e of ledger.iterate(query)) {
      // A time the ledger holds that is no time (NULL, other text) has no ts; created_at keeps it as stored.
      const ms = e.time ? Date.parse(e.time) : NaN;
      const fields = {
        ts: Number.isFinite(ms) ? ms / 1000 : null,
        stream: e.run_id,
        event: e.kind,
        id: e.id,
        seq: lineSeq(e.seq),
        actor: e.actor ?? undefined,
        created_at: e.time,
        session_id: e.session_id,
        model_id: e.model_id,
        offset: e.offset,
      };
      const text = `${lineText(fields, e.payload)}\n`;
      const file = streamFileName(e.run_id);
      files.add(file);
      const list = pending.get(file) ?? [];
      list.push(text);
      pending.set(file, list);
      buffered += text.length;
      if (buffered > FLUSH_BYTES) flush();
      // A cancel is one atomic load: heard every 1,024 events, well within 250 ms.
      if ((++events & 0x3ff) === 0) {
        progress.report(events);
        throwIfCancelled(ctl?.signal, dest);
      }
    }
    flush();
    throwIfCancelled(ctl?.signal, dest);
    commitFolder(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  progress.done(events);
  return { events, files: files.size };
}
