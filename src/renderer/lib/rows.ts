// Rows of the event list, fetched in fixed windows and kept in a small LRU cache,
// so memory stays flat however far the list is scrolled.
import type { Client } from '../../shared/contract.ts';
import type { LedgerEvent, Query } from '../../shared/ledger.ts';

/** Rows fetched and kept together: small, so a jump asks for little more than the rows that show. */
export const WINDOW = 25;
const MAX_WINDOWS = 8;
/** The rows a new view asks for first: a screen's worth, and the sample its columns are fitted to. */
export const FIRST_ROWS = 100;

export class RowCache {
  private readonly windows = new Map<number, LedgerEvent[]>();
  /** The windows held before the ledger last grew: shown until their reloads land, never blanked. */
  private stale = new Map<number, LedgerEvent[]>();
  private readonly inflight = new Set<number>();
  private readonly client: Client;
  private readonly ledger: string;
  private readonly query: Query | undefined;
  private readonly onLoad: (total: number, exact: boolean) => void;
  private generation = 0;

  constructor(client: Client, ledger: string, query: Query | undefined, onLoad: (total: number, exact: boolean) => void) {
    this.client = client;
    this.ledger = ledger;
    this.query = query;
    this.onLoad = onLoad;
  }

  /** The row at a position, or while its window loads (the load is started), the row held there before the ledger grew, if any. */
  get(position: number): LedgerEvent | undefined {
    const w = Math.floor(position / WINDOW);
    const rows = this.windows.get(w);
    if (rows) {
      // Touch: most recently used last.
      this.windows.delete(w);
      this.windows.set(w, rows);
      return rows[position - w * WINDOW];
    }
    this.ensure(position, position);
    return this.stale.get(w)?.[position - w * WINDOW];
  }

  /**
   * Starts loading the rows first..last that are neither held nor on their way, one
   * request for each run of adjacent windows: a jump costs one round trip and one
   * render, not one per window with the engine answering them in turn.
   */
  ensure(first: number, last: number): void {
    const w1 = Math.floor(last / WINDOW);
    let from = -1;
    for (let w = Math.floor(first / WINDOW); w <= w1 + 1; w++) {
      const missing = w <= w1 && !this.windows.has(w) && !this.inflight.has(w);
      if (missing && from < 0) from = w;
      else if (!missing && from >= 0) {
        this.load(from, w - 1);
        from = -1;
      }
    }
  }

  private load(w0: number, w1: number): void {
    for (let w = w0; w <= w1; w++) this.inflight.add(w);
    const gen = this.generation;
    this.client
      .rows({ ledger: this.ledger, query: this.query, start: w0 * WINDOW, count: (w1 - w0 + 1) * WINDOW })
      .then((res) => {
        if (gen !== this.generation) return;
        for (let w = w0; w <= w1; w++) this.windows.set(w, res.events.slice((w - w0) * WINDOW, (w - w0 + 1) * WINDOW));
        while (this.windows.size > MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
        this.onLoad(res.total, res.exact);
      })
      .catch(() => {})
      .finally(() => {
        for (let w = w0; w <= w1; w++) this.inflight.delete(w);
      });
  }

  /** Holds rows already fetched from a window-aligned start (a short last window is the list's end). */
  seed(start: number, events: LedgerEvent[]): void {
    if (start % WINDOW !== 0) return;
    for (let i = 0; i < events.length && i < MAX_WINDOWS * WINDOW; i += WINDOW) this.windows.set((start + i) / WINDOW, events.slice(i, i + WINDOW));
  }

  /**
   * The ledger grew: every window is loaded again, and until each one lands the rows it
   * held stay on screen. Pushes come every 250 ms while a JSONL store is indexed; had they
   * blanked the list, its rows would have flickered to placeholders, or never shown.
   */
  invalidate(): void {
    this.generation++;
    this.stale = new Map([...this.stale, ...this.windows]);
    while (this.stale.size > MAX_WINDOWS) this.stale.delete(this.stale.keys().next().value!);
    this.windows.clear();
    this.inflight.clear();
  }

  get size(): number {
    return this.windows.size;
  }
}
