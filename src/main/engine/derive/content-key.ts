// What a cache is keyed on: something that changes with the content it was made
// from, not the id at one offset (a file replaced by one with the same first ids
// would pass that). Appends leave a key unchanged: it covers only what was read.
import crypto from 'node:crypto';
import type { LedgerReader } from '../read/reader.ts';

const SAMPLES = 16;

/**
 * A key for a ledger's events up to offset `upto`: the file's identity (a replaced
 * file is another inode; a rebuilt JSONL index another build), its schema, and the
 * rows at SAMPLES offsets spread over [first, upto], the last one included.
 */
export function contentKey(ledger: LedgerReader, upto: number): string {
  const h = crypto.createHash('sha256');
  h.update(ledger.identity).update('\0').update(ledger.schema);
  const first = ledger.page({ limit: 1 }).first_offset;
  if (first === null || first > upto) return h.digest('hex');
  const offsets = new Set<number>();
  for (let i = 0; i < SAMPLES; i++) offsets.add(first + Math.floor(((upto - first) * i) / (SAMPLES - 1)));
  for (const o of offsets) {
    const e = ledger.page({ after: o - 1, limit: 1, payload: 'full', query: { offset_to: upto } }).events[0];
    if (e) h.update(JSON.stringify([e.offset, e.id, e.run_id, e.seq, e.kind, e.time, e.payload]));
  }
  return h.digest('hex');
}
