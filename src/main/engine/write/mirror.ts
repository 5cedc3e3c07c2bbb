// A JSONL store kept as a ledger's mirror: each appended event also goes to
// `<dir>/<run_id>.jsonl`. The mirror and the ledger must agree, so the batch's
// stream files are opened before anything is written (a name too long, a file
// where the folder should be: an error, nothing written), and the lines are
// written inside the ledger's transaction, then taken back if the commit fails.
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import { streamFileName } from '../format/jsonl-format.ts';
import { fsError } from '../base/sqlite.ts';

interface Target {
  file: string;
  fd: number;
  /** The file's length before this batch: where an undo cuts it back to. */
  size: number;
}

export class MirrorBatch {
  private readonly targets = new Map<string, Target>();
  private written = false;

  private constructor() {}

  /** Opens (or creates) the stream file of every run in the batch, or throws naming the one that cannot be. */
  static open(dir: string, runs: Iterable<string>): MirrorBatch {
    const batch = new MirrorBatch();
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw mirrorError(e, dir);
    }
    try {
      for (const run of new Set(runs)) {
        const file = path.join(dir, streamFileName(run));
        let fd: number;
        try {
          fd = fs.openSync(file, 'a');
        } catch (e) {
          throw mirrorError(e, file);
        }
        batch.targets.set(run, { file, fd, size: fs.fstatSync(fd).size });
      }
    } catch (e) {
      batch.close();
      throw e;
    }
    return batch;
  }

  /** Appends the lines, one write per stream file; on a failed write, the files are cut back before the error goes on. */
  write(lines: Array<{ stream: string; text: string }>): void {
    const byRun = new Map<string, string[]>();
    for (const l of lines) {
      const list = byRun.get(l.stream) ?? [];
      list.push(l.text);
      byRun.set(l.stream, list);
    }
    this.written = true;
    for (const [run, list] of byRun) {
      const t = this.targets.get(run)!;
      try {
        // A write can be short (the disk filling up): the rest goes again, and fails if it must.
        const bytes = Buffer.from(`${list.join('\n')}\n`);
        for (let done = 0; done < bytes.length; ) done += fs.writeSync(t.fd, bytes, done);
      } catch (e) {
        this.undo();
        throw mirrorError(e, t.file);
      }
    }
  }

  /** Cuts every stream file back to its length before this batch. */
  undo(): void {
    if (!this.written) return;
    for (const t of this.targets.values()) fs.ftruncateSync(t.fd, t.size);
    this.written = false;
  }

  close(): void {
    for (const t of this.targets.values()) fs.closeSync(t.fd);
    this.targets.clear();
  }
}

function mirrorError(e: unknown, file: string): LedgerError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENAMETOOLONG' ? 'the file name is too long for this file system'
    : code === 'ENOTDIR' || code === 'EEXIST' ? 'a file stands where the mirror folder should be'
    : code === 'EISDIR' ? 'a folder stands where the stream file should be'
    : code === 'ENOSPC' ? 'the disk is full'
    : null;
  if (!why) return fsError(e, file);
  return new LedgerError('invalid_argument', `the mirror cannot take this batch, so nothing was appended: ${why}`, file);
}
