// The Connect to PostgreSQL dialog's state: the URL typed, the database's tables as
// the engine scored them (the chooser), and connecting, which opens URL?table=T as
// any path is opened. The password, if typed, goes to the engine and never into what
// the window keeps (the ledger's path comes back without it).
import { createStore } from 'zustand/vanilla';
import type { Client } from '../../shared/contract.ts';
import type { TableGuess } from '../../shared/ledger.ts';
import type { AppStore } from './store.ts';

export interface ConnectState {
  shown: boolean;
  url: string;
  /** Typed into its own masked field; '' leaves it to the URL, PGPASSWORD or ~/.pgpass. */
  password: string;
  /** The tables of the database at `url`, best guess first; null until listed. */
  tables: TableGuess[] | null;
  table: string | null;
  error: string | null;
  busy: boolean;
  show(): void;
  hide(): void;
  setUrl(url: string): void;
  setPassword(password: string): void;
  setTable(table: string): void;
  listTables(): Promise<void>;
  connect(): Promise<void>;
}

export type ConnectStore = ReturnType<typeof createConnectStore>;

export const isDatabaseUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s.trim());

/** The URL with the password typed apart and the table chosen (?table=). */
export function connectionUrl(url: string, password: string, table: string | null): string {
  if (!table && !password) return url.trim();
  const u = new URL(url.trim());
  if (password) u.password = password;
  if (table) u.searchParams.set('table', table);
  return u.toString();
}

export function createConnectStore(client: Client, app: AppStore) {
  const store = createStore<ConnectState>()((set, get) => ({
    shown: false,
    url: '',
    password: '',
    tables: null,
    table: null,
    error: null,
    busy: false,
    show: () => set({ shown: true, error: null }),
    hide: () => set({ shown: false, busy: false, password: '', url: get().url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1@') }),
    setUrl: (url) => set({ url, tables: null, table: null, error: null }),
    setPassword: (password) => set({ password, tables: null, error: null }),
    setTable: (table) => set({ table }),
    listTables: async () => {
      const { url, password } = get();
      if (!isDatabaseUrl(url)) return set({ error: 'a database URL starts with postgres:// or postgresql://' });
      set({ busy: true, error: null });
      try {
        const tables = await client.tables({ path: connectionUrl(url, password, null) });
        const best = tables.find((t) => t.confident) ?? tables.find((t) => t.mapping);
        set({ tables, table: best?.table ?? tables[0]?.table ?? null, busy: false });
      } catch (e) {
        set({ error: (e as Error).message, busy: false, tables: null });
      }
    },
    connect: async () => {
      const { url, password, table } = get();
      set({ busy: true, error: null });
      await app.getState().open(connectionUrl(url, password, table));
      const failed = app.getState().error;
      if (failed) set({ busy: false, error: failed.message });
      else get().hide();
    },
  }));
  client.on('command', (c) => {
    if (c.command === 'connect') store.getState().show();
  });
  return store;
}
