// Following a ledger that another process keeps writing: new events in offset
// order, none twice (keyset after the last one seen), and a clear error when the
// file is replaced, cut short or deleted instead of silently going stale.
// The store's watch (a file watch on the ledger's folder) polls as soon as a commit
// touches it; the interval poll stays for stores and file systems that report no changes.
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

const INTERVAL_MS = 100;
/** However many changes the watch reports, polls are at least this far apart. */
const MIN_GAP_MS = 5;

export class Follower {
  private readonly ledger: LedgerReader;
  private readonly opts: FollowOptions;
  private last: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private unwatch: (() => void) | null = null;
  private lastPoll = -Infinity;

  constructor(ledger: LedgerReader, opts: FollowOptions) {
    this.ledger = ledger;
    this.opts = opts;
    this.last = opts.after ?? ledger.lastOffset() ?? Number.MIN_SAFE_INTEGER;
  }

  start(): this {
    this.unwatch = this.ledger.watch(() => this.schedule(Math.max(0, this.lastPoll + MIN_GAP_MS - performance.now())));
    this.schedule(this.opts.intervalMs ?? INTERVAL_MS);
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
    this.unwatch = null;
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), ms);
  }

  /** One round: the store checks it is still the one opened and takes in what it gained; then read what is new. */
  poll(): void {
    this.lastPoll = performance.now();
    try {
      this.ledger.refresh();
      for (;;) {
        const page = this.ledger.page({ query: this.opts.query ?? {}, after: this.last, limit: 1000, payload: 'preview' });
        if (!page.events.length) break;
        this.last = page.last_offset!;
        this.opts.onEvents(page.events);
        if (!page.has_more) break;
      }
      this.schedule(this.opts.intervalMs ?? INTERVAL_MS);
    } catch (e) {
      this.stop();
      const err = e instanceof LedgerError ? e : new LedgerError('internal', (e as Error).message, this.ledger.path);
      this.opts.onError(err.code === 'not_found' ? new LedgerError('source_changed', 'the ledger was deleted while being followed', this.ledger.path) : err);
    }
  }
}
