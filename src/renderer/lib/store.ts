// The window's state: the open ledger, the list's rows and selection, the detail
// pane, running jobs and errors. It knows the engine only through the contract's client.
import { createStore } from 'zustand/vanilla';
import type { Client, LedgerInfo } from '../../shared/contract.ts';
import type { LedgerEvent } from '../../shared/ledger.ts';
import { RowCache } from './rows.ts';

export interface Job {
  id: string;
  method: string;
  done: number;
  total: number;
  unit: string;
}

export type Theme = 'light' | 'dark' | 'system';

export interface AppState {
  info: LedgerInfo | null;
  opening: string | null;
  error: { message: string; path: string | null } | null;
  total: number;
  /** Bumped when rows arrive, so the list re-renders. */
  rowsVersion: number;
  selected: number | null;
  detail: LedgerEvent | null;
  detailOpen: boolean;
  theme: Theme;
  jobs: Record<string, Job>;
  gotoOpen: boolean;
  notice: string | null;
  rows: RowCache | null;

  open(path: string): Promise<void>;
  close(): Promise<void>;
  select(position: number | null): void;
  goToOffset(offset: number): Promise<number | null>;
  setTheme(theme: Theme): void;
  toggleDetail(): void;
  setGotoOpen(open: boolean): void;
  setNotice(text: string | null): void;
  cancelJob(id: string): void;
}

export type AppStore = ReturnType<typeof createAppStore>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function createAppStore(client: Client) {
  const store = createStore<AppState>()((set, get) => {
    const reportUi = () => {
      const info = get().info;
      client.uiState({ ledger: info?.ledger ?? null, path: info?.path ?? null, layout: info?.layout ?? null, replay_offset: null, jobs: Object.keys(get().jobs).length }).catch(() => {});
    };
    let detailRequest = 0;
    return {
      info: null,
      opening: null,
      error: null,
      total: 0,
      rowsVersion: 0,
      selected: null,
      detail: null,
      detailOpen: true,
      theme: 'system',
      jobs: {},
      gotoOpen: false,
      notice: null,
      rows: null,

      async open(path) {
        set({ opening: path, error: null });
        try {
          const info = await client.open({ path });
          const previous = get().info;
          if (previous) await client.close({ ledger: previous.ledger }).catch(() => {});
          const rows = new RowCache(client, info.ledger, undefined, (total) => set((s) => ({ rowsVersion: s.rowsVersion + 1, total })));
          set({ info, rows, total: info.events, selected: info.events ? 0 : null, detail: null, opening: null, rowsVersion: 0 });
          if (info.events) get().select(0);
          if (info.warnings.length) set({ notice: `${info.warnings.length} warning(s) while reading: ${info.warnings[0]}` });
          reportUi();
        } catch (e) {
          // The ledger that was open stays open: a bad file costs nothing.
          set({ error: { message: message(e), path }, opening: null });
        }
      },

      async close() {
        const info = get().info;
        if (!info) return;
        set({ info: null, rows: null, total: 0, selected: null, detail: null });
        await client.close({ ledger: info.ledger }).catch(() => {});
        reportUi();
      },

      select(position) {
        const { info, rows, total } = get();
        if (position === null || !info || !rows || total === 0) return set({ selected: null, detail: null });
        const p = Math.max(0, Math.min(total - 1, position));
        set({ selected: p });
        const request = ++detailRequest;
        const load = async () => {
          let row = rows.get(p);
          if (!row) row = (await client.rows({ ledger: info.ledger, start: p, count: 1 })).events[0];
          if (!row) return;
          const full = await client.event({ ledger: info.ledger, offset: row.offset });
          if (request === detailRequest) set({ detail: full });
        };
        load().catch((e) => set({ notice: message(e) }));
      },

      async goToOffset(offset) {
        const info = get().info;
        if (!info) return null;
        const { position, offset: found } = await client.locate({ ledger: info.ledger, offset });
        if (found === null) {
          set({ notice: `No event at or after offset ${offset}` });
          return null;
        }
        if (found !== offset) set({ notice: `No event at offset ${offset}; showing the next one, ${found}` });
        get().select(position);
        return position;
      },

      setTheme: (theme) => set({ theme }),
      toggleDetail: () => set((s) => ({ detailOpen: !s.detailOpen })),
      setGotoOpen: (gotoOpen) => set({ gotoOpen }),
      setNotice: (notice) => set({ notice }),
      cancelJob: (id) => void client.cancel({ job: id }).catch(() => {}),
    };
  });

  client.on('progress', (p) => store.setState((s) => ({ jobs: { ...s.jobs, [p.job]: { id: p.job, method: p.method, done: p.done, total: p.total, unit: p.unit } } })));
  client.on('jobDone', (d) =>
    store.setState((s) => {
      const jobs = { ...s.jobs };
      delete jobs[d.job];
      // A failed open has its own banner.
      const quiet = d.ok || d.method === 'open';
      const notice = quiet ? s.notice : d.error?.startsWith('cancelled') ? `${d.method} cancelled; nothing was written` : `${d.method} failed: ${d.error}`;
      return { jobs, notice };
    }),
  );
  client.on('command', (c) => {
    const s = store.getState();
    if (c.command === 'open') void s.open(c.path);
    else if (c.command === 'close') void s.close();
    else if (c.command === 'theme') s.setTheme(c.theme);
    else if (c.command === 'toggle-detail') s.toggleDetail();
  });
  return store;
}
