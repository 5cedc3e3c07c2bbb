// Following a ledger that another process keeps writing: new events in offset
// order, none twice (keyset after the last one seen), and a clear error when the
// file is replaced, cut short or deleted instead of silently going stale.
// A watch on the ledger's folder polls as soon as a commit touches the file; the
// interval poll stays for file systems that report no changes (network mounts).
import fs from 'node:fs';
import path from 'node:path';
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

const INTERVAL_MS = 100;
/** However many changes the watch reports, polls are at least this far apart. */
const MIN_GAP_MS = 5;

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
  private watcher: fs.FSWatcher | null = null;
  private lastPoll = -Infinity;

  constructor(ledger: Ledger, opts: FollowOptions) {
    this.ledger = ledger;
    this.opts = opts;
    this.last = opts.after ?? ledger.lastOffset() ?? Number.MIN_SAFE_INTEGER;
    this.identity = ledger.jsonl ? null : identityOf(ledger.file);
  }

  start(): this {
    this.watch();
    this.schedule(this.opts.intervalMs ?? INTERVAL_MS);
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), ms);
  }

  /** Watches the folder for the ledger's file and its -wal (SQLite), or the JSONL store's files. */
  private watch(): void {
    try {
      const target = this.ledger.jsonl?.root ?? this.ledger.file;
      const folder = this.ledger.jsonl && fs.statSync(target).isDirectory() ? target : path.dirname(target);
      const name = folder === target ? null : path.basename(target);
      this.watcher = fs.watch(folder, { persistent: false }, (_change, file) => {
        // Only the ledger's own files: the reads of a poll must not set off the next one.
        const ours = !file || (name ? file === name || file === `${name}-wal` : /\.(jsonl|ndjson)$/.test(file));
        if (ours) this.schedule(Math.max(0, this.lastPoll + MIN_GAP_MS - performance.now()));
      });
      // Watching is only a shortcut: where it fails (no inotify watches left), the interval poll carries on.
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null;
    }
  }

  /** One round: check the file is still the one we opened, then read what is new. */
  poll(): void {
    this.lastPoll = performance.now();
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
      this.schedule(this.opts.intervalMs ?? INTERVAL_MS);
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
