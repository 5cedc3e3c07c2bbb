// The window's state, one zustand store composed of slices: the list's view of the
// open ledger, runs and replay, jobs and exports, and the window's own UI. Each slice
// has one reset, which open and close both use. It knows the engine only through the
// contract's client.
import { createStore } from 'zustand/vanilla';
import type { Client } from '../../shared/contract.ts';
import { coalesced } from './coalesce.ts';
import { normaliseLayout } from './columns.ts';
import { FIRST_ROWS } from './rows.ts';
import { message, q, type StoreContext, type ViewHistory, type ViewState } from './store/context.ts';
import { createJobsSlice, type JobsSlice } from './store/jobs.ts';
import { createRunsSlice, type RunsSlice } from './store/runs.ts';
import { createUiSlice, DEFAULT_PANELS, layoutScope, type PanelLayout, type UiSlice } from './store/ui.ts';
import { createViewSlice, ledgerScope, rowsOf, type SavedView, type ViewSlice } from './store/view.ts';

export type { ViewState } from './store/context.ts';
export type { Job } from './store/jobs.ts';
export { folderOf } from './store/jobs.ts';
export type { Replay } from './store/runs.ts';
export { DEFAULT_PANELS, type Panel, type PanelLayout, type Theme } from './store/ui.ts';
export { decodeView, encodeView, type SavedView } from './store/view.ts';

export interface LedgerLifecycle {
  open(path: string): Promise<void>;
  close(): Promise<void>;
}

export type AppState = ViewSlice & RunsSlice & JobsSlice & UiSlice & LedgerLifecycle;
export type AppStore = ReturnType<typeof createAppStore>;

const REFRESH_MS = 700;
const numbers = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : []);
const savedViews = (v: unknown) =>
  (Array.isArray(v) ? v : []).filter((x): x is SavedView => !!x && typeof x.name === 'string' && !!x.view && typeof x.view.q === 'object');

export function createAppStore(client: Client, history?: ViewHistory, initialView?: ViewState | null) {
  /** The view a reload or new tab asked for, applied once its ledger is open. */
  let pendingView = initialView ?? null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  const store = createStore<AppState>()((set, get, api) => {
    const ctx: StoreContext = {
      client,
      history,
      view(extra = {}) {
        const { info, query, replay, panel } = get();
        return { p: info?.path, q: query, panel, ...(replay ? { r: replay.runId, s: replay.target } : {}), ...extra };
      },
      reportUi() {
        const { info, replay, jobs } = get();
        const offset = replay?.at?.event?.offset ?? null;
        client.uiState({ ledger: info?.ledger ?? null, path: info?.path ?? null, layout: info?.layout ?? null, replay_offset: offset, jobs: Object.keys(jobs).length }).catch(() => {});
      },
    };
    /** Every slice back to no ledger: the one place open and close forget a ledger. */
    const reset = () => {
      const s = get();
      s.resetView();
      s.resetRuns();
      s.resetJobs();
      s.resetUi();
    };
    const prefsOf = (scope: string) =>
      client
        .prefs({ scope })
        .then((p) => p ?? {})
        .catch(() => ({}) as Record<string, unknown>);

    return {
      ...createViewSlice(ctx)(set, get, api),
      ...createRunsSlice(ctx)(set, get, api),
      ...createJobsSlice(ctx)(set, get, api),
      ...createUiSlice(ctx)(set, get, api),

      async open(path) {
        set({ opening: path, error: null });
        try {
          const info = await client.open({ path });
          const previous = get().info;
          if (previous) await client.close({ ledger: previous.ledger }).catch(() => {});
          const [prefs, own, head, tail] = await Promise.all([
            prefsOf(layoutScope(info)),
            prefsOf(ledgerScope(info)),
            client.rows({ ledger: info.ledger, start: 0, count: FIRST_ROWS }).catch(() => null),
            client.rows({ ledger: info.ledger, start: Math.max(0, info.events - FIRST_ROWS), count: FIRST_ROWS }).catch(() => null),
          ]);
          const panels = { ...DEFAULT_PANELS, ...((prefs.panels as Partial<PanelLayout> | undefined) ?? {}) };
          // The previous ledger stays on screen until this one's first rows are here.
          reset();
          const rows = rowsOf(client, info, {}, set);
          if (head) rows.seed(0, head.events);
          set({ info, rows, total: info.events, sample: [...(head?.events ?? []), ...(tail?.events ?? [])], columns: normaliseLayout(prefs.columns), panels, bookmarks: numbers(own.bookmarks), views: savedViews(own.views) });
          if (info.warnings.length) set({ notice: `${info.warnings.length} warning(s) while reading: ${info.warnings[0]}` });
          // The whole-ledger work starts first: it runs on the other worker while the view settles.
          void get().loadRuns();
          const asked = pendingView && (!pendingView.p || pendingView.p === info.path) ? pendingView : null;
          pendingView = null;
          if (!asked || !Object.keys(asked.q).length) void get().refreshSummaries();
          if (asked) await get().applyView(asked, { push: false });
          else if (info.events) get().select(0);
          ctx.reportUi();
        } catch (e) {
          // The ledger that was open stays open: a bad file costs nothing.
          set({ error: { message: message(e), path, code: (e as { code?: string }).code }, opening: null });
        }
      },

      async close() {
        const info = get().info;
        if (!info) return;
        reset();
        await client.close({ ledger: info.ledger }).catch(() => {});
        ctx.reportUi();
      },
    };
  });

  client.on('command', (c) => {
    const s = store.getState();
    if (c.command === 'open') void s.open(c.path).then(() => c.notice && store.setState({ notice: c.notice }));
    else if (c.command === 'close') void s.close();
    else if (c.command === 'theme') s.setTheme(c.theme);
    else if (c.command === 'toggle-detail') s.toggleDetail();
  });
  // The ledger grew (followed, or a JSONL store being indexed): new rows, counts and summaries, keeping the user's place.
  // The pushes since the last count of the total, which the next count takes in.
  let grown: { ledger: string; last_offset: number | null; added: number } | null = null;
  const countTotal = coalesced(async () => {
    const t = grown;
    grown = null;
    const s = store.getState();
    if (!t || s.info?.ledger !== t.ledger) return;
    const r = await client.rows({ ledger: t.ledger, query: q(s.query), start: Math.max(0, s.total - 1), count: 1 });
    store.setState((x) => ({ total: r.total, exact: r.exact, rowsVersion: x.rowsVersion + 1, info: x.info && { ...x.info, events: Math.max(x.info.events, r.total), last_offset: t.last_offset } }));
    const now = store.getState();
    if (now.follow && now.followPaused) store.setState((x) => ({ newSincePause: x.newSincePause + t.added }));
    else if (now.follow) now.select(r.total - 1);
  });
  const refreshGrown = coalesced(() => Promise.all([store.getState().refreshSummaries(), store.getState().loadRuns()]));
  function grew(t: { ledger: string; last_offset: number | null; added?: number }) {
    const s = store.getState();
    if (s.info?.ledger !== t.ledger) return;
    s.rows?.invalidate();
    grown = { ledger: t.ledger, last_offset: t.last_offset, added: (grown?.ledger === t.ledger ? grown.added : 0) + (t.added ?? 0) };
    countTotal();
    if (!refreshTimer)
      refreshTimer = setTimeout(() => {
        refreshTimer = null;
        refreshGrown();
      }, REFRESH_MS);
  }
  client.on('tail', grew);
  client.on('indexing', (i) => {
    if (store.getState().info?.ledger !== i.ledger) return;
    store.setState((x) => ({ info: x.info && { ...x.info, indexing: i.state } }));
    grew(i);
  });
  client.on('tailError', (e) => {
    if (store.getState().info?.ledger === e.ledger) store.setState({ follow: false, notice: e.message });
  });

  return store;
}
