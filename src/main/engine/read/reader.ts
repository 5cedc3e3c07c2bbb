// What every store of events offers the rest of the engine: pages, single events,
// iteration, offsets and summaries. Projections, replay, tail, drift, search and
// copies use only this, so they work over a SQLite file, a JSONL store's index or a
// database server alike.
import type {
  FacetField,
  FacetValue,
  Histogram,
  IndexingState,
  Layout,
  LedgerEvent,
  LedgerStats,
  Mapping,
  MappingSource,
  Page,
  PageRequest,
  Query,
  RulesSource,
} from '../../../shared/ledger.ts';
import { LedgerError } from '../../../shared/errors.ts';
import type { Rules } from '../../../shared/projection.ts';
import type { JobControl } from '../base/jobs.ts';
import type { ReadDb } from '../base/sqlite.ts';
import type { Source } from '../layout/layouts.ts';
import type { FtsUse } from './query.ts';

/** What a store is: its layout and what it can do. */
export interface StoreShape {
  layout: Layout;
  appendable: boolean;
  hasSeq: boolean;
  /** Offsets with gaps by design: positions are never taken to map to offsets by arithmetic. */
  sparse?: boolean;
  how: MappingSource;
  mapping: Mapping | null;
}

/** The table of stored runs and node-runs a ledger keeps beside its events (for drift). */
export interface StoredState {
  file: string;
  runs: Array<Record<string, unknown>>;
  nodeRuns: Array<Record<string, unknown>>;
  close(): void;
}

export interface LedgerReader {
  /** The path or URL the user opened: what errors name. */
  readonly path: string;
  readonly shape: StoreShape;
  /** What caches made from this store are keyed on besides its rows: the store's identity (a replaced file is another)... */
  readonly identity: string;
  /** ...and its table definitions (not its indexes, which a JSONL index gains after its rows). */
  readonly schema: string;
  /** Where caches of this store live. */
  readonly cacheDir: string;
  /** Which columns mean what (a fold under another mapping is another fold). */
  readonly mappingKey: string;
  /** The projection rules every fold of this ledger follows, and where they came from. */
  readonly rules: Rules;
  readonly rulesSource: RulesSource;
  warnings: string[];

  /** Checks a query against this store (fields it has), or says what is wrong. */
  parseQuery(raw: unknown): Query;
  /** One keyset page of events in ledger order. */
  page(req?: PageRequest, fts?: FtsUse): Page;
  /** The whole event at an offset, or null. */
  event(offset: number): LedgerEvent | null;
  /** Every matching event in ledger order, full payloads, without holding them all. */
  iterate(query?: unknown, fromOffset?: number): Iterable<LedgerEvent>;
  /** The offsets of matching events in ledger order: a view's position index. */
  iterateOffsets(query?: unknown, after?: number, fts?: FtsUse, limit?: number): Iterable<number>;
  /** The highest offset now in the store (cheap). */
  lastOffset(): number | null;
  /**
   * Distinct values with counts, most frequent first. A store may answer with estimates
   * (marked) where counting is slow, a big PostgreSQL table's planner statistics;
   * `exact` asks for counts regardless.
   */
  facets(field: FacetField, query?: unknown, limit?: number, opts?: { exact?: boolean }): FacetValue[];
  /** How many events match; with a job control it reports progress and hears a cancel. */
  count(query?: unknown, ctl?: JobControl): number;
  histogram(query?: unknown, buckets?: number): Histogram;
  /** The first offset whose time is at or after `iso`. */
  seekTime(iso: string): number | null;
  stats(): LedgerStats;

  /** How far the store's indexing has got, or null once complete (or never needed). */
  indexing(): IndexingState | null;
  /** Blocks until the index has every row; at once when it has. */
  waitIndexed(ctl?: JobControl): void;
  /**
   * Takes in what the store gained since the last look, and checks it is still the
   * store that was opened (throws `source_changed` if it was replaced, cut or deleted).
   * Returns how many events were taken in where the store counts them.
   */
  refresh(ctl?: JobControl): number;
  /**
   * Calls `onChange` soon after the store may have gained events (a watch on a file's
   * folder), so a follower need not wait for its next poll. Returns the stop, or null
   * where the store cannot be watched (then polling alone serves).
   */
  watch(onChange: () => void): (() => void) | null;
  /** The runs/node_runs tables the ledger keeps beside its events, or null where it keeps none. */
  storedState(): StoredState | null;
  /**
   * For stores read from a SQLite file: that file, its read connection and its
   * columns, for what works on the file itself (snapshots, the text index), and a check
   * that the file is still the one opened (it throws where it was replaced, cut short or
   * deleted since). Null for others.
   */
  readonly sqlite: { file: string; db: ReadDb; source: Source; checkFile: () => void } | null;
  close(): void;
}

/** The SQLite file behind a reader, for work done on the file itself; a clear error for other stores. */
export function sqliteOf(reader: LedgerReader, what: string): NonNullable<LedgerReader['sqlite']> {
  if (!reader.sqlite) throw new LedgerError('invalid_argument', `${what} works on ledgers read from a SQLite file or JSONL store; this one is ${reader.shape.layout}`, reader.path);
  return reader.sqlite;
}
