// The window's own state: which side tab shows, the theme, dialogs and menus, the
// notice line, and the layout of columns and panels (kept per ledger layout).
import type { Args, LedgerInfo } from '../../../shared/contract.ts';
import type { MenuSpec } from '../../components/ContextMenu.tsx';
import { DEFAULT_LAYOUT, type ColumnLayout } from '../columns.ts';
import { message, type Slice, type StoreContext } from './context.ts';

export type Theme = 'light' | 'dark' | 'system';
export type Panel = 'event' | 'run' | 'replay';

/** The side panels: the runs panel can be hidden; widths the user dragged (null: fitted to the window). */
export interface PanelLayout {
  runsOpen: boolean;
  runsWidth: number | null;
  sideWidth: number | null;
}
export const DEFAULT_PANELS: PanelLayout = { runsOpen: true, runsWidth: null, sideWidth: null };

export const layoutScope = (info: LedgerInfo) => `layout:${info.layout}`;
/** Plain data objects are JSON; the contract checks it again on arrival. */
export const asJson = (v: object) => v as unknown as Args<'setPref'>['value'];

/** What belongs to the open ledger; the theme and whether the detail pane shows are the window's and stay. */
const UI_RESET = {
  panel: 'event' as Panel,
  gotoOpen: false,
  notice: null as string | null,
  contextMenu: null as MenuSpec | null,
  columns: DEFAULT_LAYOUT as ColumnLayout,
  panels: DEFAULT_PANELS,
};

export interface UiSlice {
  detailOpen: boolean;
  panel: Panel;
  theme: Theme;
  gotoOpen: boolean;
  notice: string | null;
  contextMenu: MenuSpec | null;
  columns: ColumnLayout;
  panels: PanelLayout;

  setPanel(panel: Panel): void;
  setTheme(theme: Theme): void;
  toggleDetail(): void;
  setGotoOpen(open: boolean): void;
  setNotice(text: string | null): void;
  setColumns(layout: ColumnLayout, save?: boolean): void;
  setPanels(panels: Partial<PanelLayout>, save?: boolean): void;
  openMenu(spec: MenuSpec): void;
  closeMenu(): void;
  /** Back to no ledger: used by open and close alike. */
  resetUi(): void;
}

export const createUiSlice =
  ({ client }: StoreContext): Slice<UiSlice> =>
  (set, get) => ({
    ...UI_RESET,
    detailOpen: true,
    theme: 'system',

    setPanel: (panel) => set({ panel, detailOpen: true }),
    setTheme: (theme) => set({ theme }),
    toggleDetail: () => set((s) => ({ detailOpen: !s.detailOpen })),
    setGotoOpen: (gotoOpen) => set({ gotoOpen }),
    setNotice: (notice) => set({ notice }),
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
    closeMenu: () => set({ contextMenu: null }),
    resetUi: () => set(UI_RESET),
  });
