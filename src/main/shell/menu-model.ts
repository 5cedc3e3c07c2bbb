// The native menu as data: which items exist, their accelerators, and when each
// applies. Pure, so the enablement rules are tested without Electron.

export interface MenuState {
  ledgerOpen: boolean;
  /** The window is replaying a run and has a current step. */
  replayStep: boolean;
  recent: string[];
  theme: 'light' | 'dark' | 'system';
  detailPane: boolean;
}

export type ItemId =
  | 'open-ledger'
  | 'open-jsonl'
  | 'open-sample'
  | 'connect-postgres'
  | 'export-snapshot'
  | 'export-snapshot-step'
  | 'export-jsonl'
  | 'import-jsonl'
  | 'close'
  | 'clear-recent'
  | 'theme-light'
  | 'theme-dark'
  | 'theme-system'
  | 'toggle-detail'
  | 'about';

export type MenuNode =
  | { type: 'item'; id: ItemId | `recent:${string}`; label: string; accelerator?: string; enabled: boolean; checked?: boolean; kind?: 'radio' | 'checkbox' }
  | { type: 'separator' }
  | { type: 'submenu'; label: string; enabled?: boolean; items: MenuNode[] }
  | { type: 'role'; role: 'editMenu' | 'windowMenu' | 'appMenu' | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'quit' };

const sep: MenuNode = { type: 'separator' };

export function menuModel(s: MenuState, platform: NodeJS.Platform): MenuNode[] {
  const mac = platform === 'darwin';
  const item = (id: ItemId, label: string, enabled: boolean, accelerator?: string): MenuNode => ({ type: 'item', id, label, enabled, accelerator });
  const file: MenuNode = {
    type: 'submenu',
    label: '&File',
    items: [
      item('open-ledger', 'Open Ledger…', true, 'CmdOrCtrl+O'),
      item('open-jsonl', 'Open JSONL Folder…', true, 'CmdOrCtrl+Shift+O'),
      {
        type: 'submenu',
        label: 'Open Recent',
        enabled: s.recent.length > 0,
        items: [
          ...s.recent.map((p): MenuNode => ({ type: 'item', id: `recent:${p}`, label: p, enabled: true })),
          sep,
          item('clear-recent', 'Clear Recent', s.recent.length > 0),
        ],
      },
      item('open-sample', 'Open Sample Ledger', true),
      item('connect-postgres', 'Connect to PostgreSQL…', true),
      sep,
      item('export-snapshot', 'Export Snapshot…', s.ledgerOpen, 'CmdOrCtrl+Shift+S'),
      item('export-snapshot-step', 'Export Snapshot up to Replay Step…', s.ledgerOpen && s.replayStep),
      item('export-jsonl', 'Export JSONL…', s.ledgerOpen, 'CmdOrCtrl+Shift+E'),
      item('import-jsonl', 'Import JSONL…', true, 'CmdOrCtrl+I'),
      sep,
      item('close', 'Close', s.ledgerOpen, 'CmdOrCtrl+W'),
      ...(mac ? [] : [sep, { type: 'role', role: 'quit' } as MenuNode]),
    ],
  };
  const radio = (id: ItemId, label: string, on: boolean): MenuNode => ({ type: 'item', id, label, enabled: true, checked: on, kind: 'radio' });
  const view: MenuNode = {
    type: 'submenu',
    label: '&View',
    items: [
      { type: 'submenu', label: 'Theme', items: [radio('theme-system', 'System', s.theme === 'system'), radio('theme-light', 'Light', s.theme === 'light'), radio('theme-dark', 'Dark', s.theme === 'dark')] },
      { type: 'submenu', label: 'Panels', items: [{ type: 'item', id: 'toggle-detail', label: 'Event Detail', enabled: true, checked: s.detailPane, kind: 'checkbox', accelerator: 'CmdOrCtrl+D' }] },
      sep,
      { type: 'role', role: 'resetZoom' },
      { type: 'role', role: 'zoomIn' },
      { type: 'role', role: 'zoomOut' },
      sep,
      { type: 'role', role: 'togglefullscreen' },
      { type: 'role', role: 'toggleDevTools' },
    ],
  };
  const help: MenuNode = { type: 'submenu', label: '&Help', items: [item('about', 'About Ledger Inspector', true)] };
  return [...(mac ? [{ type: 'role', role: 'appMenu' } as MenuNode] : []), file, { type: 'role', role: 'editMenu' }, view, ...(mac ? [{ type: 'role', role: 'windowMenu' } as MenuNode] : []), help];
}
