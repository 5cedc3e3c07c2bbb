// The mapping editor's state: a file's tables as the detector scored them, the draft
// mapping (table, each role's column, time format) and the ledger's own rules, with a
// live preview of the rows and runs the draft gives. Saving stores both for the file
// (in the app's data folder, through the engine) and reopens it with them.
import { createStore } from 'zustand/vanilla';
import type { Client, MappingPreview } from '../../shared/contract.ts';
import type { Mapping, TableGuess } from '../../shared/ledger.ts';
import type { LedgerRules } from '../../shared/projection.ts';
import type { AppStore } from './store.ts';

/** The roles a column can take, in the editor's order; the first three are required. */
export const ROLES = ['order', 'run', 'kind', 'time', 'payload', 'id', 'seq', 'actor', 'session', 'model', 'node'] as const;
export type Role = (typeof ROLES)[number];
export const REQUIRED: ReadonlySet<Role> = new Set(['order', 'run', 'kind']);

export interface MappingEditorState {
  /** The file being mapped; null while the editor is closed. */
  path: string | null;
  /** Only the ledger's own rules are edited: the file is read in its own (named) layout. */
  rulesOnly: boolean;
  tables: TableGuess[];
  draft: Mapping | null;
  /** The ledger's own rules as JSON text ('' for none). */
  rulesText: string;
  preview: MappingPreview | null;
  /** Why the draft gives no preview (or the rules do not parse), in the engine's words. */
  problem: string | null;
  saving: boolean;

  /** Opens the editor on a file: its mapping and rules, or with rulesOnly just the rules. */
  start(path: string, opts?: { rulesOnly?: boolean }): Promise<void>;
  setTable(table: string): void;
  setRole(role: Role, column: string | null): void;
  setTimeFormat(format: NonNullable<Mapping['time_format']>): void;
  setRulesText(text: string): void;
  save(): Promise<void>;
  close(): void;
}

export type MappingStore = ReturnType<typeof createMappingStore>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const PREVIEW_DELAY_MS = 200;

/** A table's starting draft: the detector's guess, else its first column as the order. */
const draftFor = (t: TableGuess): Mapping => t.mapping ?? { table: t.table, order: 'rowid', run: t.columns[0] ?? '', kind: t.columns[1] ?? t.columns[0] ?? '' };

function parseRules(text: string): { rules?: LedgerRules; problem?: string } {
  if (!text.trim()) return {};
  try {
    return { rules: JSON.parse(text) as LedgerRules };
  } catch (e) {
    return { problem: `the rules are not JSON: ${message(e)}` };
  }
}

export function createMappingStore(client: Client, app: AppStore) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let asked = 0;
  const store = createStore<MappingEditorState>()((set, get) => {
    /** Asks for the draft's preview shortly after the last change; older answers are dropped. */
    const refresh = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(async () => {
        const { path, draft, rulesText, rulesOnly } = get();
        if (!path || (!draft && !rulesOnly)) return;
        const { rules, problem } = parseRules(rulesText);
        if (problem) return set({ problem, preview: null });
        const n = ++asked;
        try {
          const preview = await client.previewMapping({ path, ...(draft && { mapping: draft }), ...(rules && { rules }) });
          if (n === asked) set({ preview, problem: null });
        } catch (e) {
          if (n === asked) set({ preview: null, problem: message(e) });
        }
      }, PREVIEW_DELAY_MS);
    };

    return {
      path: null,
      rulesOnly: false,
      tables: [],
      draft: null,
      rulesText: '',
      preview: null,
      problem: null,
      saving: false,

      async start(path, opts = {}) {
        const rulesOnly = opts.rulesOnly === true;
        set({ path, rulesOnly, tables: [], draft: null, preview: null, problem: null, rulesText: '' });
        try {
          const info = app.getState().info;
          const current = info?.path === path ? info : null;
          // A layout's own rules are where a user starts from; saved or given ones are theirs.
          const rules = current?.rules.rules;
          if (rulesOnly) {
            set({ rulesText: rules ? JSON.stringify(rules, null, 2) : '' });
            return refresh();
          }
          const tables = await client.tables({ path });
          const draft = current?.mapping.mapping ?? (tables[0] ? draftFor(tables[0]) : null);
          set({ tables, draft, rulesText: rules ? JSON.stringify(rules, null, 2) : '' });
          if (!draft) set({ problem: 'the file has no tables' });
          refresh();
        } catch (e) {
          set({ problem: message(e) });
        }
      },

      setTable(table) {
        const t = get().tables.find((x) => x.table === table);
        if (!t) return;
        set({ draft: draftFor(t) });
        refresh();
      },

      setRole(role, column) {
        const d = get().draft;
        if (!d) return;
        const next = { ...d } as Record<string, unknown>;
        if (column === null) delete next[role];
        else next[role] = column;
        if (role === 'time' && column === null) delete next.time_format;
        set({ draft: next as Mapping });
        refresh();
      },

      setTimeFormat(format) {
        const d = get().draft;
        if (!d) return;
        set({ draft: { ...d, time_format: format } });
        refresh();
      },

      setRulesText(rulesText) {
        set({ rulesText });
        refresh();
      },

      async save() {
        const { path, draft, rulesText, rulesOnly } = get();
        if (!path || (!draft && !rulesOnly)) return;
        const { rules, problem } = parseRules(rulesText);
        if (problem) return set({ problem });
        set({ saving: true });
        try {
          await client.saveMapping({ path, mapping: draft, rules: rules ?? null });
          get().close();
          await app.getState().open(path);
        } catch (e) {
          set({ problem: message(e) });
        } finally {
          set({ saving: false });
        }
      },

      close() {
        if (timer) clearTimeout(timer);
        asked++;
        set({ path: null, rulesOnly: false, tables: [], draft: null, preview: null, problem: null });
      },
    };
  });
  return store;
}
