// Copies a ledger's database file and the committed part of its WAL for a full
// snapshot, in a child process. POSIX drops every lock a process holds on a file as
// soon as it closes any descriptor of that file, so the process that holds the
// snapshot's read transaction (and the app's other connections) must never open and
// close the ledger's files itself: https://sqlite.org/howtocorrupt.html, section 2.2.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { LedgerError, type ErrorCode } from '../../../shared/errors.ts';
import type { JobControl } from '../base/jobs.ts';
import { fsError } from '../base/sqlite.ts';

export interface CopyJob {
  db: string;
  dest: string;
  pageSize: number;
  /** The database's size in pages as the read transaction sees it. */
  pages: number;
  wal: boolean;
}

export interface CopyResult {
  /** Pages the copy must have once its WAL is replayed. */
  pages: number;
  /** WAL frames copied beside it (0: the database file alone is the copy). */
  frames: number;
}

type CopyMessage = { total: number } | { done: CopyResult } | { error: { code?: string; message: string; file: string } };

/**
 * The copy itself. It runs as the source text of `node -e`, so it is self-contained:
 * no imports, no names from outside, node modules from process.getBuiltinModule.
 *
 * With a WAL, the parent's read transaction stops checkpoints from writing back
 * frames past its own and stops the WAL from being restarted, so the frames
 * committed when the WAL index (the -shm file, https://sqlite.org/walformat.html)
 * is read here stay where they are. The database file is copied, then the WAL up
 * to those frames; opening the copy replays them, which also rewrites any page a
 * concurrent checkpoint was writing as it was read. When every committed frame is
 * already in the database file no checkpoint can change it, and the file alone is
 * the copy (the WAL may be restarted meanwhile, so it is not copied then).
 */
export function copyLedgerFiles(job: CopyJob, emit: (m: CopyMessage) => void): void {
  const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  const le = (process.getBuiltinModule('node:os') as typeof import('node:os')).endianness() === 'LE';
  const fail = (code: string, message: string, file: string) => Object.assign(new Error(message), { code, file });

  // The WAL index header: two equal 48-byte copies in the host's byte order, then nBackfill.
  // Reading stops before the lock bytes at 120, which Windows will not let us read.
  function walIndexHeader(file: string) {
    const buf = Buffer.alloc(100);
    const fd = fs.openSync(file, 'r');
    try {
      for (let attempt = 0; attempt < 200; attempt++) {
        if (fs.readSync(fd, buf, 0, 100, 0) === 100 && buf.subarray(0, 48).equals(buf.subarray(48, 96))) {
          const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
          let s1 = 0;
          let s2 = 0;
          for (let i = 0; i < 40; i += 8) {
            s1 = (s1 + u32(i) + s2) >>> 0;
            s2 = (s2 + u32(i + 4) + s1) >>> 0;
          }
          // Version 3007000, isInit set, and the header's own checksum over its first 40 bytes.
          if (u32(0) === 3007000 && buf[12] === 1 && s1 === u32(40) && s2 === u32(44))
            return { mxFrame: u32(16), nPage: u32(20), salt: Buffer.from(buf.subarray(32, 40)), nBackfill: u32(96) };
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // a writer is mid-update
      }
    } finally {
      fs.closeSync(fd);
    }
    throw fail('locked', 'cannot read the WAL index beside the ledger; try again', file);
  }

  // The kernel copies (copy_file_range where there is one); the result is then cut to what the snapshot holds.
  function copy(from: string, to: string, length: number): number {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    const size = fs.statSync(to).size;
    if (size > length) fs.truncateSync(to, length);
    return Math.min(size, length);
  }

  let frames = 0;
  let pages = job.pages;
  let salt: Buffer | undefined;
  if (job.wal) {
    const h = walIndexHeader(`${job.db}-shm`);
    if (h.mxFrame > h.nBackfill) [frames, pages, salt] = [h.mxFrame, h.nPage, h.salt];
  }
  const walBytes = frames ? 32 + frames * (24 + job.pageSize) : 0;
  // With frames to replay, the file may end early or be cut short by a checkpoint: the WAL holds those pages.
  const dbBytes = frames ? Math.min(fs.statSync(job.db).size, pages * job.pageSize) : pages * job.pageSize;
  emit({ total: dbBytes + walBytes });
  if (copy(job.db, job.dest, dbBytes) < dbBytes && !frames) throw fail('source_changed', 'the file got shorter while it was being copied', job.db);
  if (frames) {
    if (copy(`${job.db}-wal`, `${job.dest}-wal`, walBytes) < walBytes) throw fail('source_changed', 'the WAL got shorter while it was being copied', `${job.db}-wal`);
    const head = Buffer.alloc(24);
    const fd = fs.openSync(`${job.dest}-wal`, 'r');
    fs.readSync(fd, head, 0, 24, 0);
    fs.closeSync(fd);
    if (!head.subarray(16).equals(salt!)) throw fail('internal', 'snapshot check failed: the WAL changed generation while it was copied', job.db);
  }
  emit({ done: { pages, frames } });
}

const CHILD = `const emit = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
try {
  (${copyLedgerFiles.toString()})(JSON.parse(process.argv[1]), emit);
} catch (e) {
  emit({ error: { code: e.code, message: e.message, file: e.file ?? e.path ?? '' } });
  process.exitCode = 1;
}`;

const OWN_CODES: ReadonlySet<string> = new Set<ErrorCode>(['locked', 'source_changed', 'internal']);

/**
 * Runs the copy in a child process. Progress is the copy's size on disk, polled
 * (the kernel copies in one call); a cancel kills the child, which then rejects.
 */
export function runCopier(job: CopyJob, ctl: JobControl): Promise<CopyResult> {
  return new Promise((resolve, reject) => {
    // Under Electron, process.execPath is the app, which runs as plain Node with this variable.
    const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let total = 0;
    let result: CopyResult | undefined;
    let failure: LedgerError | undefined;
    let stderr = '';
    const size = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
    const report = () => {
      const done = Math.min(total, size(job.dest) + size(`${job.dest}-wal`));
      ctl.onProgress?.({ done: Math.ceil(done / job.pageSize), total: Math.ceil(total / job.pageSize), unit: 'pages' });
    };
    const poll = setInterval(() => {
      if (ctl.signal?.aborted) child.kill(); // the caller reports the cancel
      else if (total) report();
    }, 50);
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = JSON.parse(line) as CopyMessage;
        if ('total' in m) {
          total = m.total;
          report();
        } else if ('done' in m) result = m.done;
        else {
          const { code = '', message, file } = m.error;
          failure ??= OWN_CODES.has(code) ? new LedgerError(code as ErrorCode, message, file) : fsError({ code, message }, file);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (e) => (failure ??= new LedgerError('internal', `cannot start the copy: ${e.message}`, job.db)));
    child.on('close', () => {
      clearInterval(poll);
      if (failure) reject(failure);
      else if (result) resolve(result);
      else reject(new LedgerError('internal', `the copy stopped unexpectedly${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`, job.db));
    });
  });
}
