// Rows of the event list, fetched in fixed windows and kept in a small LRU cache,
// so memory stays flat however far the list is scrolled.
import type { Client } from '../../shared/contract.ts';
import type { LedgerEvent, Query } from '../../shared/ledger.ts';

export const WINDOW = 100;
const MAX_WINDOWS = 8;

export class RowCache {
  private readonly windows = new Map<number, LedgerEvent[]>();
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

  /** The row at a position, or undefined while its window loads (the load is started). */
  get(position: number): LedgerEvent | undefined {
    const w = Math.floor(position / WINDOW);
    const rows = this.windows.get(w);
    if (rows) {
      // Touch: most recently used last.
      this.windows.delete(w);
      this.windows.set(w, rows);
      return rows[position - w * WINDOW];
    }
    this.load(w);
    return undefined;
  }

  private load(w: number): void {
    if (this.inflight.has(w)) return;
    this.inflight.add(w);
    const gen = this.generation;
    this.client
      .rows({ ledger: this.ledger, query: this.query, start: w * WINDOW, count: WINDOW })
      .then((res) => {
        if (gen !== this.generation) return;
        this.windows.set(w, res.events);
        while (this.windows.size > MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
        this.onLoad(res.total, res.exact);
      })
      .catch(() => {})
      .finally(() => this.inflight.delete(w));
  }

  /** Holds rows already fetched for a window-aligned start. */
  seed(start: number, events: LedgerEvent[]): void {
    if (start % WINDOW === 0 && events.length) this.windows.set(start / WINDOW, events.slice(0, WINDOW));
  }

  /** Forgets everything: the ledger grew or changed. */
  invalidate(): void {
    this.generation++;
    this.windows.clear();
    this.inflight.clear();
  }

  get size(): number {
    return this.windows.size;
  }
}
