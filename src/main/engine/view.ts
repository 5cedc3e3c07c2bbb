// A view of a ledger (all events, or a filter) as numbered rows, for a list that
// can jump anywhere. Positions map to offsets by arithmetic when the offsets are
// dense (the usual AUTOINCREMENT ledger), else through an array of the matching
// offsets, built once and extended as the ledger grows.
import type { LedgerEvent, Query } from '../../shared/ledger.ts';
import type { Ledger } from './ledger.ts';

export class View {
  private readonly ledger: Ledger;
  private readonly query: Query;
  /** Dense and unfiltered: position p is offset lo + p. */
  private dense: { lo: number; total: number } | null = null;
  private offsets: Float64Array = new Float64Array(0);
  private size = 0;
  private lastSeen: number | null = null;

  constructor(ledger: Ledger, query: Query = {}) {
    this.ledger = ledger;
    this.query = ledger.parseQuery(query);
    this.refresh();
  }

  /** Takes in events appended since the last call. */
  refresh(): void {
    const last = this.ledger.lastOffset();
    if (last === this.lastSeen) return;
    const unfiltered = Object.keys(this.query).length === 0;
    if (unfiltered && last !== null && this.lastSeen === null) {
      const total = this.ledger.count();
      const lo = this.ledger.page({ limit: 1 }).first_offset!;
      if (last - lo + 1 === total) this.dense = { lo, total };
    } else if (this.dense && last !== null && this.lastSeen !== null) {
      // Only the new range is counted: still dense if it has no gaps.
      const added = this.ledger.count({ offset_from: this.lastSeen + 1 });
      if (added === last - this.lastSeen) this.dense.total += added;
      else this.dense = null;
    }
    if (this.dense) {
      this.lastSeen = last;
      return;
    }
    this.extend();
    this.lastSeen = last;
  }

  private extend(): void {
    const after = this.size ? this.offsets[this.size - 1]! : undefined;
    for (const e of this.ledger.iterateOffsets(this.query, after)) {
      if (this.size === this.offsets.length) {
        const bigger = new Float64Array(Math.max(1024, this.offsets.length * 2));
        bigger.set(this.offsets);
        this.offsets = bigger;
      }
      this.offsets[this.size++] = e;
    }
  }

  get total(): number {
    return this.dense ? this.dense.total : this.size;
  }

  private offsetAt(p: number): number {
    return this.dense ? this.dense.lo + p : this.offsets[p]!;
  }

  /** Rows [start, start + count) with payload previews. */
  rows(start: number, count: number): LedgerEvent[] {
    const total = this.total;
    if (start >= total) return [];
    const n = Math.min(count, total - start);
    return this.ledger.page({
      query: { ...this.query, offset_from: this.offsetAt(start), offset_to: this.offsetAt(start + n - 1) },
      limit: n,
    }).events;
  }

  /** The position of the first row at or after an offset (total when none). */
  positionOf(offset: number): number {
    if (this.dense) return Math.max(0, Math.min(this.dense.total, offset - this.dense.lo));
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
