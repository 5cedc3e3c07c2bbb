// Following a ledger that another process keeps writing: new events in offset
// order, none twice (keyset after the last one seen), and a clear error when the
// file is replaced, cut short or deleted instead of silently going stale.
import { LedgerError } from '../../../shared/errors.ts';
import type { LedgerEvent, Query } from '../../../shared/ledger.ts';
import type { LedgerReader } from '../read/reader.ts';

export interface FollowOptions {
  query?: Query;
  /** Follow from after this offset; default: the ledger's current end. */
  after?: number | null;
  intervalMs?: number;
  onEvents: (events: LedgerEvent[]) => void;
  onError: (error: LedgerError) => void;
}

export class Follower {
  private readonly ledger: LedgerReader;
  private readonly opts: FollowOptions;
  private last: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(ledger: LedgerReader, opts: FollowOptions) {
    this.ledger = ledger;
    this.opts = opts;
    this.last = opts.after ?? ledger.lastOffset() ?? Number.MIN_SAFE_INTEGER;
  }

  start(): this {
    this.schedule();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule() {
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), this.opts.intervalMs ?? 100);
  }

  /** One round: the store checks it is still the one opened and takes in what it gained; then read what is new. */
  poll(): void {
    try {
      this.ledger.refresh();
      for (;;) {
        const page = this.ledger.page({ query: this.opts.query ?? {}, after: this.last, limit: 1000, payload: 'preview' });
        if (!page.events.length) break;
        this.last = page.last_offset!;
        this.opts.onEvents(page.events);
        if (!page.has_more) break;
      }
      this.schedule();
    } catch (e) {
      this.stop();
      const err = e instanceof LedgerError ? e : new LedgerError('internal', (e as Error).message, this.ledger.path);
      this.opts.onError(err.code === 'not_found' ? new LedgerError('source_changed', 'the ledger was deleted while being followed', this.ledger.path) : err);
    }
  }
}
