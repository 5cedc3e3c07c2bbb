// A view of a ledger (all events, or a filter) as numbered rows, for a list that
// can jump anywhere. Unfiltered, positions are taken to map to offsets by
// arithmetic (the usual gap-free AUTOINCREMENT ledger), so no count(*) stands
// before the first rows; every window read checks that, and the first gap seen
// switches the view to an array of the matching offsets, which is also how a
// filter's rows are numbered. The array is built lazily, a chunk of matches at a
// time, only as far as the rows asked for (plus a chunk): until it reaches the
// ledger's end the total is an estimate from the density of matches so far.
import type { LedgerEvent, Query } from '../../../shared/ledger.ts';
import type { LedgerReader } from './reader.ts';
import type { FtsUse } from './query.ts';

/** Resolves a text condition to the full-text index when it is ready. */
export type TextIndexUse = (text: string) => FtsUse | null;

/** Matches read per step of building a filter's index. */
const CHUNK = 50_000;

export class View {
  private readonly ledger: LedgerReader;
  private readonly query: Query;
  private readonly textIndex: TextIndexUse | undefined;
  /** Dense and unfiltered: position p is offset lo + p. */
  private dense: { lo: number; total: number } | null = null;
  private offsets: Float64Array = new Float64Array(0);
  private size = 0;
  private lastSeen: number | null = null;
  /** The offsets array holds every match up to lastSeen. */
  private complete = false;
  private lo: number | null = null;

  constructor(ledger: LedgerReader, query: Query = {}, textIndex?: TextIndexUse) {
    this.ledger = ledger;
    this.query = ledger.parseQuery(query);
    this.textIndex = textIndex;
    this.refresh();
  }

  /** Takes in events appended since the last call. */
  refresh(): void {
    const last = this.ledger.lastOffset();
    if (last === this.lastSeen) return;
    const unfiltered = Object.keys(this.query).length === 0;
    this.lo ??= this.ledger.page({ limit: 1 }).first_offset;
    if (unfiltered && !this.ledger.shape.sparse && last !== null && this.lastSeen === null) this.dense = { lo: this.lo!, total: last - this.lo! + 1 };
    else if (this.dense && last !== null) this.dense.total = last - this.dense.lo + 1;
    this.lastSeen = last;
    // New events past a finished index are taken in; an unfinished one gets there on demand.
    if (!this.dense && this.complete) this.complete = false;
    if (!this.dense) this.extendTo(this.size + 1);
  }

  /** A gap was seen: number the rows through the offsets array from now on. */
  private undense(): void {
    this.dense = null;
    this.extendTo(1);
  }

  private fts(): FtsUse | undefined {
    return (this.query.text && this.textIndex?.(this.query.text)) || undefined;
  }

  /** Reads matches until `want` of them are known (or all are), plus one chunk ahead. */
  private extendTo(want: number, untilOffset = -Infinity): void {
    while (!this.complete && (this.size < want + CHUNK || this.offsets[this.size - 1]! < untilOffset)) {
      const before = this.size;
      const after = this.size ? this.offsets[this.size - 1]! : undefined;
      for (const e of this.ledger.iterateOffsets(this.query, after, this.fts(), CHUNK)) {
        if (this.size === this.offsets.length) {
          const bigger = new Float64Array(Math.max(1024, this.offsets.length * 2));
          bigger.set(this.offsets);
          this.offsets = bigger;
        }
        this.offsets[this.size++] = e;
      }
      if (this.size - before < CHUNK) this.complete = true;
    }
  }

  /** Whether total is a count rather than an estimate. */
  get exact(): boolean {
    return this.dense !== null || this.complete;
  }

  get total(): number {
    if (this.dense) return this.dense.total;
    if (this.complete || !this.size || this.lo === null || this.lastSeen === null) return this.size;
    // Matches so far per offset scanned, carried over the offsets not yet read.
    const scanned = this.offsets[this.size - 1]! - this.lo + 1;
    const rest = this.lastSeen - this.offsets[this.size - 1]!;
    return this.size + Math.max(1, Math.round((this.size / scanned) * rest));
  }

  private offsetAt(p: number): number {
    return this.dense ? this.dense.lo + p : this.offsets[p]!;
  }

  /** Rows [start, start + count) with payload previews. */
  rows(start: number, count: number): LedgerEvent[] {
    if (!this.dense) this.extendTo(start + count);
    const total = this.dense ? this.dense.total : this.size;
    if (start >= total) return [];
    const n = Math.min(count, total - start);
    const events = this.ledger.page(
      { query: { ...this.query, offset_from: this.offsetAt(start), offset_to: this.offsetAt(start + n - 1) }, limit: n },
      this.fts(),
    ).events;
    if (this.dense && events.length < n) {
      this.undense();
      return this.rows(start, count);
    }
    return events;
  }

  /** The position of the first row at or after an offset (total when none). */
  positionOf(offset: number): number {
    if (this.dense) return Math.max(0, Math.min(this.dense.total, offset - this.dense.lo));
    this.extendTo(0, offset);
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
