// Listings of any length: events are read a page at a time and written as they
// come, so output starts at once and memory stays flat, whether the listing is
// fifty events or every event of a ledger.
import type { LedgerEvent, Page } from '../../shared/ledger.ts';
import { eventLine } from './output.ts';
import { Sink } from './sink.ts';

/** How a listing is written: aligned lines, one JSON document, or one JSON object a line. */
export type Format = 'human' | 'json' | 'jsonl';

export const formatOf = (o: { json?: boolean; jsonl?: boolean }): Format => (o.jsonl ? 'jsonl' : o.json ? 'json' : 'human');

/** Rows read per page: within the contract's page limit, big enough that paging costs little. */
const PAGE = 2000;

type Fetch = (req: { after?: number; before?: number; from_end?: boolean; limit: number }) => Page;

/** The events of successive forward pages after `after`: a pager as an iterable. */
export function* pagesOf(fetch: Fetch, after?: number): Generator<LedgerEvent> {
  for (;;) {
    const page = fetch({ after, limit: PAGE });
    yield* page.events;
    if (!page.has_more || page.last_offset === null) return;
    after = page.last_offset;
  }
}

export interface ListOptions {
  /** How many events at most; Infinity for all. */
  limit: number;
  after?: number;
  /** The events that end before this offset (or the last ones, with `last`): read backwards, held, then written. */
  before?: number;
  last?: boolean;
  /** More fields for the JSON document, asked for at its end (a search: whether it used the index). */
  extra?: () => Record<string, unknown>;
  /** Whether a listing cut short says how to read on (tail's first lines do not: it reads on itself). */
  hint?: boolean;
}

/**
 * Writes events in `format`: forward from `after` as `forward` yields them (one at a
 * time, so what is written is garbage at once and memory stays flat), or the
 * backward selection through `fetch`. Returns the last offset written.
 */
export async function listEvents(forward: (after?: number) => Iterable<LedgerEvent> | AsyncIterable<LedgerEvent>, fetch: Fetch, opts: ListOptions, format: Format): Promise<number | null> {
  const sink = new Sink();
  let count = 0;
  let first: number | null = null;
  let last: number | null = null;
  /** Queues an event; true when the output should be flushed. */
  const write = (e: LedgerEvent) => {
    first ??= e.offset;
    last = e.offset;
    const text = format === 'human' ? eventLine(e) : format === 'json' && count ? `,${JSON.stringify(e)}` : JSON.stringify(e);
    count++;
    return sink.line(text);
  };
  if (format === 'json') sink.line('{"events":[');
  let hasMore = false;
  const backward = opts.before !== undefined || !!opts.last;
  if (backward) {
    // Backward pages arrive newest first; they are written in ledger order.
    const pages: LedgerEvent[][] = [];
    let before = opts.before;
    for (let left = opts.limit; left > 0; ) {
      const page = fetch({ before, from_end: before === undefined ? true : undefined, limit: Math.min(PAGE, left) });
      pages.unshift(page.events);
      left -= page.events.length;
      hasMore = page.has_more;
      if (!page.has_more || page.first_offset === null) break;
      before = page.first_offset;
    }
    for (const events of pages) for (const e of events) if (write(e)) await sink.flush();
  } else {
    const src = forward(opts.after);
    // An async source (a JSONL store still being indexed) waits between its events without blocking signals.
    const it: Iterator<LedgerEvent> | AsyncIterator<LedgerEvent> = Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (count === opts.limit) {
          hasMore = true;
          break;
        }
        if (write(r.value)) await sink.flush();
      }
    } finally {
      await it.return?.(); // ends the statement under it
    }
  }
  if (format === 'json') sink.line(`],${JSON.stringify({ first_offset: first, last_offset: last, has_more: hasMore, ...opts.extra?.() }).slice(1)}`);
  await sink.flush(true);
  if (format === 'human' && hasMore && last !== null && opts.hint !== false)
    console.error(backward ? `… more before offset ${first} (use --before ${first})` : `… more after offset ${last} (use --after ${last}, or --all)`);
  return last;
}

/** Writes a list of records (runs, node-runs) in `format`, through the same chunked output. */
export async function listRecords<T>(records: Iterable<T>, format: Format, human: (r: T) => string, header?: string): Promise<void> {
  const sink = new Sink();
  if (format === 'human' && header) sink.line(header);
  if (format === 'json') sink.line('[');
  let n = 0;
  for (const r of records) {
    const full = sink.line(format === 'human' ? human(r) : `${format === 'json' && n ? ',' : ''}${JSON.stringify(r)}`);
    n++;
    if (full) await sink.flush();
  }
  if (format === 'json') sink.line(']');
  await sink.flush(true);
}
