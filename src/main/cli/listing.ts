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
const PAGE = 5000;

export interface ListOptions {
  /** How many events at most; Infinity for all. */
  limit: number;
  after?: number;
  /** The page that ends before this offset (or the last page, with `last`): read backwards, held, then written. */
  before?: number;
  last?: boolean;
}

/** Writes the events a pager gives, forward from `after` (or the backward page), in `format`; returns the last offset written. */
export async function listEvents(
  fetch: (req: { after?: number; before?: number; from_end?: boolean; limit: number }) => Page,
  opts: ListOptions,
  format: Format,
): Promise<number | null> {
  const sink = new Sink();
  let count = 0;
  let first: number | null = null;
  let last: number | null = null;
  const write = (e: LedgerEvent) => {
    if (format === 'jsonl') sink.line(JSON.stringify(e));
    else if (format === 'json') sink.line(`${count ? ',' : ''}${JSON.stringify(e)}`);
    else sink.line(eventLine(e));
    first ??= e.offset;
    last = e.offset;
    count++;
  };
  if (format === 'json') sink.line('{"events":[');
  let hasMore = false;
  // Whatever else a page says (a search: whether it used the index) goes in the JSON document too.
  let extra = '';
  const take = (page: Page) => {
    const { events: _e, first_offset: _f, last_offset: _l, has_more, ...rest } = page;
    hasMore = has_more;
    extra = Object.keys(rest).length ? `,${JSON.stringify(rest).slice(1, -1)}` : '';
    return page;
  };
  if (opts.before !== undefined || opts.last) {
    // Backward pages arrive newest first; they are written in ledger order.
    const pages: LedgerEvent[][] = [];
    let before = opts.before;
    for (let left = opts.limit; left > 0; ) {
      const page = take(fetch({ before, from_end: before === undefined ? true : undefined, limit: Math.min(PAGE, left) }));
      pages.unshift(page.events);
      left -= page.events.length;
      if (!page.has_more || page.first_offset === null) break;
      before = page.first_offset;
    }
    for (const events of pages) events.forEach(write);
  } else {
    let after = opts.after;
    for (let left = opts.limit; left > 0; ) {
      const page = take(fetch({ after, limit: Math.min(PAGE, left) }));
      page.events.forEach(write);
      await sink.flush();
      left -= page.events.length;
      if (!page.has_more || page.last_offset === null) break;
      after = page.last_offset;
    }
  }
  if (format === 'json') sink.line(`],"first_offset":${first},"last_offset":${last},"has_more":${hasMore}${extra}}`);
  await sink.flush(true);
  if (format === 'human' && hasMore && last !== null) console.error(`… more after offset ${last} (use --after ${last}, or --all)`);
  return last;
}

/** Writes a list of records (runs, node-runs) in `format`, through the same chunked output. */
export async function listRecords<T>(records: Iterable<T>, format: Format, human: (r: T) => string, header?: string): Promise<void> {
  const sink = new Sink();
  if (format === 'human' && header) sink.line(header);
  if (format === 'json') sink.line('[');
  let n = 0;
  for (const r of records) {
    if (format === 'human') sink.line(human(r));
    else sink.line(`${format === 'json' && n ? ',' : ''}${JSON.stringify(r)}`);
    n++;
    await sink.flush();
  }
  if (format === 'json') sink.line(']');
  await sink.flush(true);
}
