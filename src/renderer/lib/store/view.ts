// The list's view of the open ledger: the filter and its rows, counts and summaries,
// the selection and its detail, following the tail, bookmarks and saved views.
import type { Client, LedgerInfo } from '../../../shared/contract.ts';
import type { FacetValue, Histogram, LedgerEvent, Query } from '../../../shared/ledger.ts';
import { queryRefusal } from '../query-check.ts';
import { FIRST_ROWS, RowCache } from '../rows.ts';
import { message, q, type Slice, type StoreContext, type ViewState } from './context.ts';
import { asJson } from './ui.ts';

export interface SavedView {
  name: string;
  view: ViewState;
}

export const encodeView = (v: ViewState) => `#${encodeURIComponent(JSON.stringify(v))}`;
export function decodeView(hash: string): ViewState | null {
  try {
    const v = JSON.parse(decodeURIComponent(hash.replace(/^#/, '')));
    return v && typeof v === 'object' && v.q && typeof v.q === 'object' ? (v as ViewState) : null;
  } catch {
    return null;
  }
}

/** Facet counts for a field ignore the filter's own condition on that field. */
type FacetMenu = 'kind' | 'run_id' | 'actor';
/** Values each filter menu lists. */
const FACET_LIMITS: Record<FacetMenu, number> = { kind: 200, run_id: 200, actor: 100 };

function without(query: Query, field: FacetMenu): Query {
  const c = { ...query };
  if (field === 'kind') {
    delete c.kinds;
    delete c.exclude_kinds;
  } else if (field === 'run_id') delete c.runs;
  else delete c.actors;
  return c;
}

export const ledgerScope = (info: LedgerInfo) => `ledger:${info.path}`;

/** The list's rows of a filter, in windows; each arrival bumps the version so the list re-renders. */
export const rowsOf = (client: Client, info: LedgerInfo, query: Query, set: Parameters<Slice<ViewSlice>>[0]) =>
  new RowCache(client, info.ledger, q(query), (total, exact) => {
    set((s) => ({ rowsVersion: s.rowsVersion + 1, total, exact }));
  });

const VIEW_RESET = {
  info: null as LedgerInfo | null,
  opening: null as string | null,
  error: null as ViewSlice['error'],
  query: {} as Query,
  total: 0,
  exact: true,
  rowsVersion: 0,
  selected: null as number | null,
  detail: null as LedgerEvent | null,
  facets: {} as ViewSlice['facets'],
  histogram: null as Histogram | null,
  histogramLoading: false,
  rows: null as RowCache | null,
  updating: false,
  sample: [] as LedgerEvent[],
  follow: false,
  followPaused: false,
  newSincePause: 0,
  bookmarks: [] as number[],
  views: [] as SavedView[],
};

export interface ViewSlice {
  info: LedgerInfo | null;
  opening: string | null;
  /** The last failed open; `code` tells an unrecognised file (which the mapping editor can map) from others. */
  error: { message: string; path: string | null; code?: string } | null;
  query: Query;
  total: number;
  /** False while the filter's rows are still being counted: total is an estimate. */
  exact: boolean;
  /** Bumped when rows arrive, so the list re-renders. */
  rowsVersion: number;
  selected: number | null;
  detail: LedgerEvent | null;
  facets: Partial<Record<FacetMenu, FacetValue[]>>;
  histogram: Histogram | null;
  /** The histogram of the current filter is still being counted (the old one stays shown, dimmed). */
  histogramLoading: boolean;
  rows: RowCache | null;
  /** True from a new filter until its first rows arrive: the old rows stay on screen, marked. */
  updating: boolean;
  /** Rows from the start and the end of the ledger: for fitting columns and hiding empty ones. */
  sample: LedgerEvent[];
  follow: boolean;
  /** Following, but held where the user went: how many events arrived since. */
  followPaused: boolean;
  newSincePause: number;
  /** Offsets of marked events, kept per ledger in the app's data folder. */
  bookmarks: number[];
  /** Named views of this ledger, kept in the app's data folder. */
  views: SavedView[];

  setQuery(query: Query, opts?: { history?: 'push' | 'none'; select?: number }): Promise<void>;
  select(position: number | null): void;
  goToOffset(offset: number): Promise<number | null>;
  /** The last row of the view, found even while its total is an estimate. */
  selectLast(): Promise<void>;
  /** Facets and histogram of the current filter; asked separately, so the list never waits on them. */
  refreshSummaries(): Promise<void>;
  setFollow(on: boolean): Promise<void>;
  /** The user moved away from the tail while following: hold the place. */
  pauseFollow(): void;
  resumeFollow(): void;
  toggleBookmark(offset: number): void;
  /** Selects the next (1) or previous (-1) bookmark from the selected event, in the current view. */
  nextBookmark(dir: 1 | -1): Promise<void>;
  saveView(name: string): void;
  deleteView(name: string): void;
  /** Applies a view (a saved one, or with push false the URL's): its filter, place, panel and replay step. */
  applyView(view: ViewState, opts?: { push?: boolean }): Promise<void>;
  /** The event with its whole stored payload (list rows carry a preview). */
  fullEvent(e: LedgerEvent): Promise<LedgerEvent>;
  /** Back to no ledger (a detail still loading is dropped): used by open and close alike. */
  resetView(): void;
}

export const createViewSlice =
  ({ client, history, view }: StoreContext): Slice<ViewSlice> =>
  (set, get) => {
    let detailRequest = 0;
    /** Ledgers whose full-text index this window has had built. */
    const indexed = new Set<string>();
    /** The ledger and filter the shown facets are of, and the one whose exact counts are being made (one at a time). */
    let facetsOf: string | null = null;
    let countingFor: string | null = null;
    const saveOwn = (key: 'bookmarks' | 'views', value: number[] | SavedView[]) => {
      const info = get().info;
      if (info) client.setPref({ scope: ledgerScope(info), key, value: asJson(value) }).catch((e) => set({ notice: message(e) }));
    };

    return {
      ...VIEW_RESET,

      setQuery(query, opts = {}) {
        const info = get().info;
        if (!info) return Promise.resolve();
        // A filter the engine's rules refuse (a URL's, a saved view's) is never taken as the
        // filter shown: the list, its chips and the history stay on the last valid one.
        const refused = queryRefusal(query);
        if (refused) {
          set({ notice: `Filter not applied: ${refused}` });
          return Promise.resolve();
        }
        // The old rows and counts stay until the new first rows are here: no "0 matching" flash.
        set({ query, updating: true });
        if (opts.history !== 'none') history?.push(view({ q: query }));
        void get().refreshSummaries();
        // The first text filter builds the full-text index in the background; until then filters scan.
        if (query.text && [...query.text].length >= 3 && !indexed.has(info.ledger)) {
          indexed.add(info.ledger);
          client.indexText({ ledger: info.ledger }, { job: crypto.randomUUID() }).catch(() => indexed.delete(info.ledger));
        }
        // The first window tells the total; select once it is known.
        return client
          .rows({ ledger: info.ledger, query: q(query), start: 0, count: FIRST_ROWS })
          .then((r) => {
            if (get().query !== query) return;
            const rows = rowsOf(client, info, query, set);
            rows.seed(0, r.events);
            set((s) => ({ rows, total: r.total, exact: r.exact, updating: false, selected: null, detail: null, rowsVersion: s.rowsVersion + 1 }));
            if (r.total) get().select(Math.min(opts.select ?? 0, r.total - 1));
          })
          .catch((e) => {
            if (get().query === query) set({ notice: message(e), updating: false });
          });
      },

      select(position) {
        const { info, rows, total, query } = get();
        if (position === null || !info || !rows || total === 0) return set({ selected: null, detail: null });
        const p = Math.max(0, Math.min(total - 1, position));
        set({ selected: p });
        const request = ++detailRequest;
        const load = async () => {
          let row = rows.get(p);
          if (!row) row = (await client.rows({ ledger: info.ledger, query: q(query), start: p, count: 1 })).events[0];
          if (!row) return;
          const full = await client.event({ ledger: info.ledger, offset: row.offset });
          if (request === detailRequest) {
            set({ detail: full });
            history?.replace(view({ o: row.offset }));
          }
        };
        load().catch((e) => set({ notice: message(e) }));
      },

      async goToOffset(offset) {
        const { info, query } = get();
        if (!info) return null;
        const { position, offset: found } = await client.locate({ ledger: info.ledger, query: q(query), offset });
        const where = Object.keys(query).length ? ' in this filter' : '';
        if (found === null) {
          set({ notice: `No event at or after offset ${offset}${where}` });
          return null;
        }
        if (found !== offset) set({ notice: `No event at offset ${offset}${where}; showing the next one, ${found}` });
        get().select(position);
        return position;
      },

      async selectLast() {
        const { info, query, exact, total } = get();
        if (!info || !total) return;
        if (exact) return get().select(total - 1);
        // The total is still an estimate: find the real last match and number it.
        const page = await client.page({ ledger: info.ledger, request: { query, from_end: true, limit: 1 } });
        if (page.last_offset === null) return;
        const { position, offset } = await client.locate({ ledger: info.ledger, query: q(query), offset: page.last_offset });
        if (offset === null || get().query !== query) return;
        if (position + 1 > get().total) set({ total: position + 1 });
        get().select(position);
      },

      async refreshSummaries() {
        const { info, query } = get();
        if (!info) return;
        const ledger = info.ledger;
        set({ histogramLoading: true });
        const current = () => get().info?.ledger === ledger && get().query === query;
        // The histogram is asked for first and shown when it comes: the background worker takes
        // calls in order, and behind three facet counts of a big ledger it came seconds later.
        const histogram = client.histogram({ ledger, query, buckets: 160 }).catch(() => null);
        void histogram.then((h) => current() && set({ histogram: h, histogramLoading: false }));
        const facets = (field: FacetMenu, exact?: boolean) => client.facets({ ledger, field, query: without(query, field), limit: FACET_LIMITS[field], exact });
        const [kind, run_id, actor] = await Promise.all([facets('kind'), facets('run_id'), facets('actor')]).catch(() => [undefined, undefined, undefined] as const);
        await histogram;
        if (!current()) return;
        // The planner's estimates (a big PostgreSQL table) are shown first; the counts replace them
        // when the background lane has them. Refreshed while followed, counts already shown for this
        // filter stay until newer ones come, and only one round of counting runs at a time.
        const key = `${ledger}\n${JSON.stringify(query)}`;
        const fresh: ViewSlice['facets'] = { kind, run_id, actor };
        const estimated = (['kind', 'run_id', 'actor'] as const).filter((f) => fresh[f]?.some((v) => v.estimate));
        const shown = get().facets;
        if (facetsOf === key) for (const f of estimated) if (shown[f] && !shown[f].some((v) => v.estimate)) fresh[f] = shown[f];
        facetsOf = key;
        set({ facets: fresh });
        if (!estimated.length || countingFor === key) return;
        countingFor = key;
        const exact = await Promise.all(estimated.map((f) => facets(f, true))).catch(() => null);
        if (countingFor === key) countingFor = null;
        if (exact && current()) set({ facets: { ...get().facets, ...Object.fromEntries(estimated.map((f, i) => [f, exact[i]])) } });
      },

      async setFollow(on) {
        const info = get().info;
        if (!info) return;
        set({ follow: on, followPaused: false, newSincePause: 0 });
        try {
          await client.follow({ ledger: info.ledger, follow: on });
        } catch (e) {
          return set({ follow: false, notice: message(e) });
        }
        if (on && get().total) get().select(get().total - 1);
      },
      pauseFollow() {
        if (get().follow && !get().followPaused) set({ followPaused: true, newSincePause: 0 });
      },
      resumeFollow() {
        set({ followPaused: false, newSincePause: 0 });
        if (get().total) get().select(get().total - 1);
      },

      toggleBookmark(offset) {
        if (!get().info) return;
        const cur = get().bookmarks;
        const bookmarks = cur.includes(offset) ? cur.filter((o) => o !== offset) : [...cur, offset].sort((a, b) => a - b);
        set({ bookmarks });
        saveOwn('bookmarks', bookmarks);
      },
      async nextBookmark(dir) {
        const { bookmarks, detail, query, selected, rows } = get();
        // From the selected row (its full detail may still be loading).
        const at = (selected !== null ? rows?.get(selected)?.offset : undefined) ?? detail?.offset ?? (dir === 1 ? -Infinity : Infinity);
        const list = dir === 1 ? bookmarks.filter((o) => o > at) : bookmarks.filter((o) => o < at).reverse();
        const info = get().info;
        if (!info) return;
        // The next mark that is in the current view.
        for (const o of list) {
          const { position, offset } = await client.locate({ ledger: info.ledger, query: q(query), offset: o });
          if (offset === o) return get().select(position);
        }
        set({ notice: `No ${dir === 1 ? 'later' : 'earlier'} bookmark${Object.keys(query).length ? ' in this filter' : ''}` });
      },
      saveView(name) {
        if (!get().info || !name.trim()) return;
        const v = view({ o: get().detail?.offset });
        const views = [...get().views.filter((x) => x.name !== name.trim()), { name: name.trim(), view: v }];
        set({ views });
        saveOwn('views', views);
      },
      deleteView(name) {
        if (!get().info) return;
        const views = get().views.filter((x) => x.name !== name);
        set({ views });
        saveOwn('views', views);
      },
      async applyView(v, { push = true } = {}) {
        if (Object.keys(v.q).length || Object.keys(get().query).length) await get().setQuery(v.q, { history: push ? 'push' : 'none' });
        if (v.r) await get().openReplay(v.r, { step: v.s });
        else if (v.o !== undefined) await get().goToOffset(v.o);
        else if (get().total) get().select(0);
        if (v.panel && v.panel !== 'replay' && !v.r) set({ panel: v.panel });
      },
      async fullEvent(e) {
        const info = get().info;
        if (!e.truncated || !info) return e;
        return (await client.event({ ledger: info.ledger, offset: e.offset })) ?? e;
      },

      resetView() {
        detailRequest++;
        set(VIEW_RESET);
      },
    };
  };
