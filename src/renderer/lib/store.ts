// The window's state: the open ledger, the filter and its rows, the selection and
// detail, runs and replay, live follow, jobs and errors. It knows the engine only
// through the contract's client.
import { createStore } from 'zustand/vanilla';
import { RemoteError, type Args, type Client, type LedgerInfo } from '../../shared/contract.ts';
import type { FacetValue, Histogram, LedgerEvent, Query } from '../../shared/ledger.ts';
import type { ReplayPosition, RunDetail, RunProjection } from '../../shared/projection.ts';
import type { MenuSpec } from '../components/ContextMenu.tsx';
import { DEFAULT_LAYOUT, normaliseLayout, type ColumnLayout } from './columns.ts';
import { RowCache, WINDOW } from './rows.ts';

export interface Job {
  id: string;
  method: string;
  done: number;
  total: number;
  unit: string;
}

export type Theme = 'light' | 'dark' | 'system';
export type Panel = 'event' | 'run' | 'replay';

export interface Replay {
  id: string;
  runId: string;
  steps: number;
  at: ReplayPosition | null;
  /** The step asked for last: quick key presses count from it, not from the step shown. */
  target: number;
  playing: boolean;
  /** Steps per second while playing. */
  speed: number;
}

/** The side panels: the runs panel can be hidden; widths the user dragged (null: fitted to the window). */
export interface PanelLayout {
  runsOpen: boolean;
  runsWidth: number | null;
  sideWidth: number | null;
}
export const DEFAULT_PANELS: PanelLayout = { runsOpen: true, runsWidth: null, sideWidth: null };

export interface SavedView {
  name: string;
  view: ViewState;
}

export interface AppState {
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
  detailOpen: boolean;
  panel: Panel;
  facets: Partial<Record<'kind' | 'run_id' | 'actor', FacetValue[]>>;
  histogram: Histogram | null;
  /** The facets and histogram of the current filter are still being counted (the old ones stay shown). */
  summariesLoading: boolean;
  runs: RunProjection[] | null;
  /** Runs whose rebuilt state differs from the ledger's stored tables: run_id -> differences. */
  driftRuns: Record<string, number> | null;
  runDetail: RunDetail | null;
  replay: Replay | null;
  follow: boolean;
  theme: Theme;
  jobs: Record<string, Job>;
  gotoOpen: boolean;
  exportOpen: boolean;
  notice: string | null;
  rows: RowCache | null;
  /** True from a new filter until its first rows arrive: the old rows stay on screen, marked. */
  updating: boolean;
  /** Rows from the start and the end of the ledger: for fitting columns and hiding empty ones. */
  sample: LedgerEvent[];
  columns: ColumnLayout;
  panels: PanelLayout;
  contextMenu: MenuSpec | null;
  /** Following, but held where the user went: how many events arrived since. */
  followPaused: boolean;
  newSincePause: number;
  /** Offsets of marked events, kept per ledger in the app's data folder. */
  bookmarks: number[];
  /** Named views of this ledger, kept in the app's data folder. */
  views: SavedView[];
  /** The filter and place before a replay took the list over, given back when it closes. */
  beforeReplay: { query: Query; offset: number | null } | null;

  open(path: string): Promise<void>;
  close(): Promise<void>;
  setQuery(query: Query, opts?: { history?: 'push' | 'none'; select?: number }): Promise<void>;
  select(position: number | null): void;
  goToOffset(offset: number): Promise<number | null>;
  loadRuns(): Promise<void>;
  selectRun(runId: string): Promise<void>;
  openReplay(runId: string, opts?: { step?: number }): Promise<void>;
  replayTo(step: number): Promise<void>;
  replayFind(target: { kind?: string; failure?: boolean; node?: string }, dir: 1 | -1): Promise<void>;
  setPlaying(playing: boolean): void;
  setSpeed(speed: number): void;
  closeReplay(): void;
  setFollow(on: boolean): Promise<void>;
  /** A destination as the engine will write it: absolute, ~ expanded, relative to the ledger's folder. */
  resolveDest(path: string): Promise<{ path: string }>;
  /** Runs an export; resolves to null when it is written, else the reason (the dialog shows it). */
  runExport(kind: 'snapshot' | 'jsonl', scope: 'all' | 'filter' | 'replay', dest: string): Promise<string | null>;
  setPanel(panel: Panel): void;
  setTheme(theme: Theme): void;
  toggleDetail(): void;
  setGotoOpen(open: boolean): void;
  setExportOpen(open: boolean): void;
  setNotice(text: string | null): void;
  cancelJob(id: string): void;
  /** The last row of the view, found even while its total is an estimate. */
  selectLast(): Promise<void>;
  setColumns(layout: ColumnLayout, save?: boolean): void;
  setPanels(panels: Partial<PanelLayout>, save?: boolean): void;
  openMenu(spec: MenuSpec): void;
  toggleBookmark(offset: number): void;
  /** Selects the next (1) or previous (-1) bookmark from the selected event, in the current view. */
  nextBookmark(dir: 1 | -1): Promise<void>;
  saveView(name: string): void;
  deleteView(name: string): void;
  applyView(view: ViewState): Promise<void>;
  /** The event with its whole stored payload (list rows carry a preview). */
  fullEvent(e: LedgerEvent): Promise<LedgerEvent>;
  closeMenu(): void;
  /** The user moved away from the tail while following: hold the place. */
  pauseFollow(): void;
  resumeFollow(): void;
}

export type AppStore = ReturnType<typeof createAppStore>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const isCancelled = (e: unknown) => e instanceof RemoteError && e.code === 'cancelled';
const REFRESH_MS = 700;

/** The view state a URL keeps: the ledger, the filter, the selected offset, the panel and replay step. */
export interface ViewState {
  q: Query;
  o?: number;
  /** The ledger's path. */
  p?: string;
  panel?: Panel;
  /** The run replayed and its step. */
  r?: string;
  s?: number;
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
function without(q: Query, field: 'kind' | 'run_id' | 'actor'): Query {
  const c = { ...q };
  if (field === 'kind') {
    delete c.kinds;
    delete c.exclude_kinds;
  } else if (field === 'run_id') delete c.runs;
  else delete c.actors;
  return c;
}

/** The folder of a ledger's path: relative destinations are taken from it. */
export const folderOf = (p: string) => p.replace(/[\\/][^\\/]*$/, '') || '/';

const layoutScope = (info: LedgerInfo) => `layout:${info.layout}`;
const ledgerScope = (info: LedgerInfo) => `ledger:${info.path}`;
const numbers = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : []);
const savedViews = (v: unknown) =>
  (Array.isArray(v) ? v : []).filter((x): x is SavedView => !!x && typeof x.name === 'string' && !!x.view && typeof x.view.q === 'object');
/** Plain data objects are JSON; the contract checks it again on arrival. */
const asJson = (v: object) => v as unknown as Args<'setPref'>['value'];

export function createAppStore(client: Client, history?: { push(v: ViewState): void; replace(v: ViewState): void }, initialView?: ViewState | null) {
  /** The view a reload or new tab asked for, applied once its ledger is open. */
  let pendingView = initialView ?? null;
  let playTimer: ReturnType<typeof setInterval> | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  let detailRequest = 0;
  /** Jobs this window started: it reports their outcome itself. */
  const ownJobs = new Set<string>();
  /** Ledgers whose full-text index this window has had built. */
  const indexed = new Set<string>();

  const store = createStore<AppState>()((set, get) => {
    const reportUi = () => {
      const { info, replay, jobs } = get();
      const offset = replay?.at?.event?.offset ?? null;
      client.uiState({ ledger: info?.ledger ?? null, path: info?.path ?? null, layout: info?.layout ?? null, replay_offset: offset, jobs: Object.keys(jobs).length }).catch(() => {});
    };

    const view = (extra: Partial<ViewState> = {}): ViewState => {
      const { info, query, replay, panel } = get();
      return { p: info?.path, q: query, panel, ...(replay ? { r: replay.runId, s: replay.target } : {}), ...extra };
    };
    const q = (query: Query) => (Object.keys(query).length ? query : undefined);

    const newRows = (info: LedgerInfo, query: Query) =>
      new RowCache(client, info.ledger, Object.keys(query).length ? query : undefined, (total, exact) => {
        set((s) => ({ rowsVersion: s.rowsVersion + 1, total, exact }));
      });

    return {
      info: null,
      opening: null,
      error: null,
      query: {},
      total: 0,
      exact: true,
      rowsVersion: 0,
      selected: null,
      detail: null,
      detailOpen: true,
      panel: 'event',
      facets: {},
      histogram: null,
      summariesLoading: false,
      runs: null,
      driftRuns: null,
      runDetail: null,
      replay: null,
      follow: false,
      theme: 'system',
      jobs: {},
      gotoOpen: false,
      exportOpen: false,
      notice: null,
      rows: null,
      updating: false,
      sample: [],
      columns: DEFAULT_LAYOUT,
      panels: DEFAULT_PANELS,
      contextMenu: null,
      followPaused: false,
      newSincePause: 0,
      beforeReplay: null,
      bookmarks: [],
      views: [],

      async open(path) {
        set({ opening: path, error: null });
        try {
          const info = await client.open({ path });
          const previous = get().info;
          if (previous) await client.close({ ledger: previous.ledger }).catch(() => {});
          get().setPlaying(false);
          const [prefs, own, head, tail] = await Promise.all([
            client
              .prefs({ scope: layoutScope(info) })
              .then((p) => p ?? {})
              .catch(() => ({}) as Record<string, unknown>),
            client
              .prefs({ scope: ledgerScope(info) })
              .then((p) => p ?? {})
              .catch(() => ({}) as Record<string, unknown>),
            client.rows({ ledger: info.ledger, start: 0, count: WINDOW }).catch(() => null),
            client.rows({ ledger: info.ledger, start: Math.max(0, info.events - WINDOW), count: WINDOW }).catch(() => null),
          ]);
          const panels = { ...DEFAULT_PANELS, ...((prefs.panels as Partial<PanelLayout> | undefined) ?? {}) };
          // Notices belong to the ledger that raised them.
          set({ info, query: {}, rows: newRows(info, {}), total: info.events, selected: null, detail: null, opening: null, rowsVersion: 0, runs: null, driftRuns: null, runDetail: null, replay: null, follow: false, followPaused: false, newSincePause: 0, panel: 'event', facets: {}, histogram: null, notice: null, updating: false, beforeReplay: null, sample: [...(head?.events ?? []), ...(tail?.events ?? [])], columns: normaliseLayout(prefs.columns), panels, bookmarks: numbers(own.bookmarks), views: savedViews(own.views) });
          if (info.warnings.length) set({ notice: `${info.warnings.length} warning(s) while reading: ${info.warnings[0]}` });
          // The whole-ledger work starts first: it runs on the other worker while the view settles.
          void get().loadRuns();
          const asked = pendingView && (!pendingView.p || pendingView.p === info.path) ? pendingView : null;
          pendingView = null;
          if (!asked || !Object.keys(asked.q).length) void refreshSummaries();
          if (asked) await restoreView(asked);
          else if (info.events) get().select(0);
          reportUi();
        } catch (e) {
          // The ledger that was open stays open: a bad file costs nothing.
          set({ error: { message: message(e), path, code: (e as { code?: string }).code }, opening: null });
        }
      },

      async close() {
        const info = get().info;
        if (!info) return;
        get().setPlaying(false);
        set({ info: null, rows: null, total: 0, selected: null, detail: null, runs: null, runDetail: null, replay: null, facets: {}, histogram: null, follow: false });
        await client.close({ ledger: info.ledger }).catch(() => {});
        reportUi();
      },

      setQuery(query, opts = {}) {
        const info = get().info;
        if (!info) return Promise.resolve();
        // The old rows and counts stay until the new first rows are here: no "0 matching" flash.
        set({ query, updating: true });
        if (opts.history !== 'none') history?.push(view({ q: query }));
        void refreshSummaries();
        // The first text filter builds the full-text index in the background; until then filters scan.
        if (query.text && [...query.text].length >= 3 && !indexed.has(info.ledger)) {
          indexed.add(info.ledger);
          client.indexText({ ledger: info.ledger }, { job: crypto.randomUUID() }).catch(() => indexed.delete(info.ledger));
        }
        // The first window tells the total; select once it is known.
        return client
          .rows({ ledger: info.ledger, query: q(query), start: 0, count: WINDOW })
          .then((r) => {
            if (get().query !== query) return;
            const rows = newRows(info, query);
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
          if (!row) row = (await client.rows({ ledger: info.ledger, query: Object.keys(query).length ? query : undefined, start: p, count: 1 })).events[0];
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
        const { position, offset: found } = await client.locate({ ledger: info.ledger, query: Object.keys(query).length ? query : undefined, offset });
        if (found === null) {
          set({ notice: `No event at or after offset ${offset}${Object.keys(query).length ? ' in this filter' : ''}` });
          return null;
        }
        if (found !== offset) set({ notice: `No event at offset ${offset}${Object.keys(query).length ? ' in this filter' : ''}; showing the next one, ${found}` });
        get().select(position);
        return position;
      },

      async loadRuns() {
        const info = get().info;
        if (!info) return;
        try {
          const runs = await client.runs({ ledger: info.ledger });
          if (get().info?.ledger === info.ledger) set({ runs });
          const drift = await client.drift({ ledger: info.ledger });
          const driftRuns: Record<string, number> = {};
          for (const d of drift ?? []) driftRuns[d.run_id] = (driftRuns[d.run_id] ?? 0) + 1;
          if (get().info?.ledger === info.ledger) set({ driftRuns: drift ? driftRuns : null });
        } catch (e) {
          if (!isCancelled(e)) set({ notice: `runs: ${message(e)}` });
        }
      },

      async selectRun(runId) {
        const info = get().info;
        if (!info) return;
        try {
          const runDetail = await client.run({ ledger: info.ledger, run_id: runId });
          set({ runDetail, panel: 'run', detailOpen: true });
        } catch (e) {
          set({ notice: message(e) });
        }
      },

      async openReplay(runId, opts) {
        const info = get().info;
        if (!info) return;
        get().setPlaying(false);
        try {
          const { replay, steps } = await client.replayOpen({ ledger: info.ledger, run_id: runId });
          const before = get().beforeReplay ?? { query: get().query, offset: get().detail?.offset ?? null };
          set({ replay: { id: replay, runId, steps, at: null, target: 0, playing: false, speed: 4 }, panel: 'replay', detailOpen: true, beforeReplay: before });
          // The list shows the run being replayed, so each step's event is in it.
          if (JSON.stringify(get().query) !== JSON.stringify({ runs: [runId] })) await get().setQuery({ runs: [runId] });
          await get().replayTo(opts?.step ?? 0);
        } catch (e) {
          set({ notice: message(e) });
        }
      },

      async replayTo(step) {
        const r = get().replay;
        const info = get().info;
        if (!r || !info) return;
        const k = Math.max(0, Math.min(r.steps, step));
        set({ replay: { ...r, target: k } });
        const at = await client.replayAt({ replay: r.id, step: k });
        // Answers to steps asked for before the latest one are stale.
        const now = get().replay;
        if (now?.id !== r.id || now.target !== k) return;
        set({ replay: { ...now, at } });
        if (at.event) {
          const { query } = get();
          const { position, offset } = await client.locate({ ledger: info.ledger, query: Object.keys(query).length ? query : undefined, offset: at.event.offset });
          if (offset === at.event.offset) get().select(position);
        }
        reportUi();
      },

      async replayFind(target, dir) {
        const r = get().replay;
        if (!r) return;
        const from = r.target;
        const step = await client.replayFind({ replay: r.id, from, dir, ...target });
        if (step === null) set({ notice: `No ${dir === 1 ? 'later' : 'earlier'} ${target.failure ? 'failure' : target.kind ?? target.node ?? 'match'} in this run` });
        else await get().replayTo(step);
      },

      setPlaying(playing) {
        if (playTimer) clearInterval(playTimer);
        playTimer = null;
        const r = get().replay;
        if (!r) return;
        set({ replay: { ...r, playing } });
        if (!playing) return;
        playTimer = setInterval(() => {
          const cur = get().replay;
          if (!cur || !cur.playing) return;
          const next = cur.target + 1;
          if (next > cur.steps) return get().setPlaying(false);
          void get().replayTo(next);
        }, 1000 / r.speed);
      },

      setSpeed(speed) {
        const r = get().replay;
        if (!r) return;
        set({ replay: { ...r, speed } });
        if (r.playing) get().setPlaying(true);
      },

      closeReplay() {
        get().setPlaying(false);
        const before = get().beforeReplay;
        set({ replay: null, beforeReplay: null, panel: get().runDetail ? 'run' : 'event' });
        if (before) {
          void get()
            .setQuery(before.query)
            .then(() => (before.offset === null ? undefined : get().goToOffset(before.offset)));
        }
        reportUi();
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

      resolveDest(path) {
        const info = get().info;
        return client.resolvePath({ path, base: info ? folderOf(info.path) : undefined });
      },

      async runExport(kind, scope, dest) {
        const { info, query, replay } = get();
        if (!info) return 'no ledger is open';
        const job = crypto.randomUUID();
        ownJobs.add(job);
        set((s) => ({ jobs: { ...s.jobs, [job]: { id: job, method: kind === 'snapshot' ? 'snapshot' : 'exportJsonl', done: 0, total: 0, unit: '' } } }));
        try {
          if (kind === 'jsonl') await client.exportJsonl({ ledger: info.ledger, dir: dest, query: scope === 'filter' ? query : undefined }, { job });
          else if (scope === 'replay' && replay?.at?.event) await client.snapshot({ ledger: info.ledger, dest, up_to_offset: replay.at.event.offset }, { job });
          else await client.snapshot({ ledger: info.ledger, dest, runs: scope === 'filter' ? query.runs : undefined }, { job });
          const marks = get().bookmarks;
          if (kind === 'jsonl' && marks.length) {
            const side = `${dest.replace(/[\\/]+$/, '')}.bookmarks.json`;
            await client.saveBookmarks({ ledger: info.ledger, dest: side, offsets: marks });
            set({ notice: `Exported to ${dest}; bookmarks in ${side}` });
          } else set({ notice: `Exported to ${dest}` });
          return null;
        } catch (e) {
          if (isCancelled(e)) set({ notice: 'Export cancelled; nothing was written' });
          return isCancelled(e) ? 'Export cancelled; nothing was written' : `Export failed: ${message(e)}`;
        }
      },

      setPanel: (panel) => set({ panel, detailOpen: true }),
      setTheme: (theme) => set({ theme }),
      toggleDetail: () => set((s) => ({ detailOpen: !s.detailOpen })),
      setGotoOpen: (gotoOpen) => set({ gotoOpen }),
      setExportOpen: (exportOpen) => set({ exportOpen }),
      setNotice: (notice) => set({ notice }),
      cancelJob: (id) => void client.cancel({ job: id }).catch(() => {}),

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

      setColumns(columns, save = true) {
        set({ columns });
        const info = get().info;
        if (save && info) client.setPref({ scope: layoutScope(info), key: 'columns', value: asJson(columns) }).catch((e) => set({ notice: message(e) }));
      },
      setPanels(p, save = true) {
        const panels = { ...get().panels, ...p };
        set({ panels });
        const info = get().info;
        if (save && info) client.setPref({ scope: layoutScope(info), key: 'panels', value: asJson(panels) }).catch((e) => set({ notice: message(e) }));
      },
      openMenu: (contextMenu) => set({ contextMenu }),

      toggleBookmark(offset) {
        const info = get().info;
        if (!info) return;
        const cur = get().bookmarks;
        const bookmarks = cur.includes(offset) ? cur.filter((o) => o !== offset) : [...cur, offset].sort((a, b) => a - b);
        set({ bookmarks });
        client.setPref({ scope: ledgerScope(info), key: 'bookmarks', value: bookmarks }).catch((e) => set({ notice: message(e) }));
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
        const info = get().info;
        if (!info || !name.trim()) return;
        const v = view({ o: get().detail?.offset });
        const views = [...get().views.filter((x) => x.name !== name.trim()), { name: name.trim(), view: v }];
        set({ views });
        client.setPref({ scope: ledgerScope(info), key: 'views', value: asJson(views) }).catch((e) => set({ notice: message(e) }));
      },
      deleteView(name) {
        const info = get().info;
        if (!info) return;
        const views = get().views.filter((x) => x.name !== name);
        set({ views });
        client.setPref({ scope: ledgerScope(info), key: 'views', value: asJson(views) }).catch((e) => set({ notice: message(e) }));
      },
      applyView: (v) => restoreView(v, true),
      async fullEvent(e) {
        const info = get().info;
        if (!e.truncated || !info) return e;
        return (await client.event({ ledger: info.ledger, offset: e.offset })) ?? e;
      },
      closeMenu: () => set({ contextMenu: null }),
      pauseFollow() {
        if (get().follow && !get().followPaused) set({ followPaused: true, newSincePause: 0 });
      },
      resumeFollow() {
        set({ followPaused: false, newSincePause: 0 });
        if (get().total) get().select(get().total - 1);
      },
    };

    /** Applies a view from the URL: its filter, place, panel and replay step. */
    async function restoreView(v: ViewState, push = false) {
      if (Object.keys(v.q).length || Object.keys(get().query).length) await get().setQuery(v.q, { history: push ? 'push' : 'none' });
      if (v.r) await get().openReplay(v.r, { step: v.s });
      else if (v.o !== undefined) await get().goToOffset(v.o);
      else if (get().total) get().select(0);
      if (v.panel && v.panel !== 'replay' && !v.r) set({ panel: v.panel });
    }
  });

  client.on('progress', (p) => store.setState((s) => ({ jobs: { ...s.jobs, [p.job]: { id: p.job, method: p.method, done: p.done, total: p.total, unit: p.unit } } })));
  client.on('jobDone', (d) =>
    store.setState((s) => {
      const jobs = { ...s.jobs };
      delete jobs[d.job];
      // A failed open has its own banner; this window's exports report their own outcome.
      const quiet = d.ok || d.method === 'open' || ownJobs.delete(d.job);
      const notice = quiet ? s.notice : d.code === 'cancelled' ? `${d.method} cancelled; nothing was written` : `${d.method} failed: ${d.error}`;
      return { jobs, notice };
    }),
  );
  client.on('command', (c) => {
    const s = store.getState();
    if (c.command === 'open') void s.open(c.path).then(() => c.notice && store.setState({ notice: c.notice }));
    else if (c.command === 'close') void s.close();
    else if (c.command === 'theme') s.setTheme(c.theme);
    else if (c.command === 'toggle-detail') s.toggleDetail();
  });
  // The ledger grew (followed, or a JSONL store being indexed): new rows, counts and summaries, keeping the user's place.
  function grew(t: { ledger: string; last_offset: number | null; added?: number }) {
    const s = store.getState();
    if (s.info?.ledger !== t.ledger) return;
    s.rows?.invalidate();
    client
      .rows({ ledger: t.ledger, query: Object.keys(s.query).length ? s.query : undefined, start: Math.max(0, s.total - 1), count: 1 })
      .then((r) => {
        store.setState((x) => ({ total: r.total, exact: r.exact, rowsVersion: x.rowsVersion + 1, info: x.info && { ...x.info, events: Math.max(x.info.events, r.total), last_offset: t.last_offset } }));
        const now = store.getState();
        if (now.follow && now.followPaused) store.setState((x) => ({ newSincePause: x.newSincePause + (t.added ?? 0) }));
        else if (now.follow) now.select(r.total - 1);
      })
      .catch(() => {});
    if (!refreshTimer)
      refreshTimer = setTimeout(() => {
        refreshTimer = null;
        void refreshSummaries();
        void store.getState().loadRuns();
      }, REFRESH_MS);
  }
  client.on('tail', grew);
  client.on('indexing', (i) => {
    if (store.getState().info?.ledger !== i.ledger) return;
    store.setState((x) => ({ info: x.info && { ...x.info, indexing: i.state } }));
    grew(i);
  });
  client.on('tailError', (e) => store.setState({ follow: false, notice: e.message }));

  /** Facets and histogram of the current filter; asked separately, so the list never waits on them. */
  async function refreshSummaries() {
    const { info, query } = store.getState();
    if (!info) return;
    const ledger = info.ledger;
    store.setState({ summariesLoading: true });
    const [kind, run_id, actor, histogram] = await Promise.all([
      client.facets({ ledger, field: 'kind', query: without(query, 'kind'), limit: 200 }),
      client.facets({ ledger, field: 'run_id', query: without(query, 'run_id'), limit: 200 }),
      client.facets({ ledger, field: 'actor', query: without(query, 'actor'), limit: 100 }),
      client.histogram({ ledger, query, buckets: 160 }),
    ]).catch(() => [undefined, undefined, undefined, null] as const);
    const now = store.getState();
    if (now.info?.ledger === ledger && now.query === query) store.setState({ facets: { kind, run_id, actor }, histogram, summariesLoading: false });
  }

  return store;
}
