// Following a ledger that another process keeps writing: new events in offset
// order, none twice (keyset after the last one seen), and a clear error when the
// file is replaced, cut short or deleted instead of silently going stale.
import fs from 'node:fs';
import { LedgerError } from '../../../shared/errors.ts';
import type { LedgerEvent, Query } from '../../../shared/ledger.ts';
import type { Ledger } from '../read/ledger.ts';

export interface FollowOptions {
  query?: Query;
  /** Follow from after this offset; default: the ledger's current end. */
  after?: number | null;
  intervalMs?: number;
  onEvents: (events: LedgerEvent[]) => void;
  onError: (error: LedgerError) => void;
}

interface Identity {
  ino: number;
  size: number;
}

export class Follower {
  private readonly ledger: Ledger;
  private readonly opts: FollowOptions;
  private last: number;
  private timer: NodeJS.Timeout | null = null;
  private identity: Identity | null;
  private stopped = false;

  constructor(ledger: Ledger, opts: FollowOptions) {
    this.ledger = ledger;
    this.opts = opts;
    this.last = opts.after ?? ledger.lastOffset() ?? Number.MIN_SAFE_INTEGER;
    this.identity = ledger.jsonl ? null : identityOf(ledger.file);
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

  /** One round: check the file is still the one we opened, then read what is new. */
  poll(): void {
    try {
      this.checkIdentity();
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

  private checkIdentity() {
    if (!this.identity) return;
    const now = identityOf(this.ledger.file);
    if (!now) throw new LedgerError('source_changed', 'the ledger was deleted while being followed', this.ledger.path);
    if (now.ino !== this.identity.ino) throw new LedgerError('source_changed', 'the ledger file was replaced by another file; reopen it', this.ledger.path);
    if (now.size < this.identity.size) throw new LedgerError('source_changed', 'the ledger file was cut short; reopen it', this.ledger.path);
    this.identity = now;
  }
}

function identityOf(file: string): Identity | null {
  try {
    const st = fs.statSync(file);
    return { ino: st.ino, size: st.size };
  } catch {
    return null;
  }
}
