// What identifies a file's content cheaply: its inode (a replaced file is another), and
// a sampled hash of its bytes (a file rewritten in place is other content).
import crypto from 'node:crypto';
import fs from 'node:fs';

const CHUNK = 4096;

/** The identity of a file as stored: a file replaced by rename (generate --force, an editor's save) is another inode. */
export function fileIdentity(file: string): string {
  const st = fs.statSync(file);
  return `${st.dev}:${st.ino}`;
}

/**
 * A hash of a file's first `upto` bytes, sampled: chunks at its start, its end and
 * between. Tells a file rewritten in place (same inode, other lines) from one that
 * only grew, without reading it all. `held`: a descriptor of the file already open
 * (left open).
 */
export function sampleHash(file: string, upto: number, held?: number): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = held ?? fs.openSync(file, 'r');
  try {
    const starts = new Set([0, Math.floor(upto / 3), Math.floor((2 * upto) / 3), Math.max(0, upto - CHUNK)]);
    for (const at of starts) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, upto - at), at);
      h.update(buf.subarray(0, n));
    }
  } finally {
    if (held === undefined) fs.closeSync(fd);
  }
  return h.digest('hex').slice(0, 32);
}
