// Electron main process: window, native menu, dialogs, recent files, single
// instance. Thin by design: it checks each IPC message against the contract and
// its sender, then hands it to the engine host, which runs off this thread.
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, session, shell, type MenuItemConstructorOptions } from 'electron';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { validateRequest, type Push, type Request, type Response } from '../shared/contract.ts';
import { LedgerError } from '../shared/errors.ts';
import { EngineHost } from './host/host.ts';
import { menuModel, type ItemId, type MenuNode } from './shell/menu-model.ts';
import { addRecent, loadSettings, saveSettings, type Settings } from './shell/settings.ts';

// A second launch hands its path to the first (see 'second-instance') and leaves at once.
if (!app.requestSingleInstanceLock()) app.exit(0);

const userData = app.getPath('userData');
// Saved mappings and rules live beside the settings; the engine host reads this.
process.env.LEDGER_INSPECTOR_DATA ??= userData;
let settings: Settings = loadSettings(userData);
let win: BrowserWindow | null = null;
// Caches go to the same folder the CLI uses (XDG cache, or LEDGER_INSPECTOR_CACHE).
const host = new EngineHost();
/** What the window last told us it shows. */
let ui = { ledger: null as string | null, path: null as string | null, replay_offset: null as number | null };

const SAMPLE = path.join(userData, 'sample-ledger.db');

/** The first path-like argument after the app's own. */
function pathFromArgv(argv: string[]): string | null {
  const args = argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'));
  const p = args.at(-1);
  return p && fs.existsSync(p) ? path.resolve(p) : null;
}

function send(push: Push) {
  win?.webContents.send('ledger:push', push);
}

function openPath(p: string) {
  settings = addRecent(settings, p);
  saveSettings(userData, settings);
  send({ event: 'command', payload: { command: 'open', path: p } });
  updateMenu();
}

async function openSample() {
  if (!fs.existsSync(SAMPLE)) {
    const res = await host.request({ id: 0, method: 'generate', args: { dest: SAMPLE, events: 200_000, seed: 7 } });
    if (!res.ok) return void dialog.showErrorBox('Ledger Inspector', `Could not create the sample ledger: ${res.error.message}`);
  }
  openPath(SAMPLE);
}

async function runJob(method: 'snapshot' | 'exportJsonl' | 'importJsonl', args: Record<string, unknown>) {
  // The window shows the job's progress and offers cancel; it learns of it from the pushes.
  const res = await host.request({ id: 0, method, args, job: crypto.randomUUID() });
  if (!res.ok && res.error.code !== 'cancelled') dialog.showErrorBox('Ledger Inspector', res.error.message);
  return res.ok;
}

async function onMenu(id: string) {
  if (!win) return;
  if (id.startsWith('recent:')) return openPath(id.slice('recent:'.length));
  switch (id as ItemId) {
    case 'open-ledger': {
      const r = await dialog.showOpenDialog(win, { properties: ['openFile'], filters: [{ name: 'Ledgers', extensions: ['db', 'sqlite', 'sqlite3', 'jsonl', 'ndjson'] }, { name: 'All files', extensions: ['*'] }] });
      if (!r.canceled && r.filePaths[0]) openPath(r.filePaths[0]);
      return;
    }
    case 'open-jsonl': {
      const r = await dialog.showOpenDialog(win, { properties: ['openDirectory'] });
      if (!r.canceled && r.filePaths[0]) openPath(r.filePaths[0]);
      return;
    }
    case 'open-sample':
      return openSample();
    case 'export-snapshot':
    case 'export-snapshot-step': {
      if (!ui.ledger) return;
      const r = await dialog.showSaveDialog(win, { defaultPath: 'snapshot.db', filters: [{ name: 'SQLite ledger', extensions: ['db'] }] });
      if (r.canceled || !r.filePath) return;
      const upTo = id === 'export-snapshot-step' && ui.replay_offset !== null ? { up_to_offset: ui.replay_offset } : {};
      await runJob('snapshot', { ledger: ui.ledger, dest: r.filePath, ...upTo });
      return;
    }
    case 'export-jsonl': {
      if (!ui.ledger) return;
      const r = await dialog.showOpenDialog(win, { title: 'Export JSONL into an empty folder', properties: ['openDirectory', 'createDirectory'] });
      if (!r.canceled && r.filePaths[0]) await runJob('exportJsonl', { ledger: ui.ledger, dir: r.filePaths[0] });
      return;
    }
    case 'import-jsonl': {
      const src = await dialog.showOpenDialog(win, { title: 'JSONL folder to import', properties: ['openDirectory'] });
      if (src.canceled || !src.filePaths[0]) return;
      const dest = await dialog.showSaveDialog(win, { title: 'New ledger', defaultPath: 'imported.db' });
      if (dest.canceled || !dest.filePath) return;
      if (await runJob('importJsonl', { src: src.filePaths[0], dest: dest.filePath })) openPath(dest.filePath);
      return;
    }
    case 'close':
      return send({ event: 'command', payload: { command: 'close' } });
    case 'clear-recent':
      settings = { ...settings, recent: [] };
      saveSettings(userData, settings);
      return updateMenu();
    case 'theme-light':
    case 'theme-dark':
    case 'theme-system': {
      const theme = id.slice('theme-'.length) as Settings['theme'];
      settings = { ...settings, theme };
      nativeTheme.themeSource = theme;
      saveSettings(userData, settings);
      send({ event: 'command', payload: { command: 'theme', theme } });
      return updateMenu();
    }
    case 'toggle-detail':
      settings = { ...settings, detailPane: !settings.detailPane };
      saveSettings(userData, settings);
      send({ event: 'command', payload: { command: 'toggle-detail' } });
      return updateMenu();
    case 'about':
      return void dialog.showMessageBox(win, { message: 'Ledger Inspector', detail: `Version ${app.getVersion()}\nBrowse, project, replay and follow append-only event ledgers.` });
  }
}

function toTemplate(nodes: MenuNode[]): MenuItemConstructorOptions[] {
  return nodes.map((n): MenuItemConstructorOptions => {
    if (n.type === 'separator') return { type: 'separator' };
    if (n.type === 'role') return { role: n.role };
    if (n.type === 'submenu') return { label: n.label, enabled: n.enabled ?? true, submenu: toTemplate(n.items) };
    return { id: n.id, label: n.label, accelerator: n.accelerator, enabled: n.enabled, type: n.kind, checked: n.checked, click: () => void onMenu(n.id) };
  });
}

function updateMenu() {
  const model = menuModel(
    { ledgerOpen: ui.ledger !== null, replayStep: ui.replay_offset !== null, recent: settings.recent, theme: settings.theme, detailPane: settings.detailPane },
    process.platform,
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(toTemplate(model)));
}

function createWindow(initial: string | null) {
  const bounds = settings.bounds ?? { width: 1360, height: 860 };
  win = new BrowserWindow({
    ...bounds,
    minWidth: 720,
    minHeight: 420,
    show: false,
    title: 'Ledger Inspector',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (settings.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  const remember = () => {
    if (!win) return;
    settings = { ...settings, bounds: win.getNormalBounds(), maximized: win.isMaximized() };
    saveSettings(userData, settings);
  };
  win.on('close', remember);
  win.on('closed', () => (win = null));
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.once('did-finish-load', () => {
    send({ event: 'command', payload: { command: 'theme', theme: settings.theme } });
    if (!settings.detailPane) send({ event: 'command', payload: { command: 'toggle-detail' } });
    if (initial) openPath(initial);
    else void openSample();
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(import.meta.dirname, '../renderer/index.html'));
}

ipcMain.handle('ledger:call', async (event, raw: Request): Promise<Response> => {
  const id = typeof raw?.id === 'number' ? raw.id : 0;
  try {
    // Only our own window's top frame may call the engine.
    if (!win || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame)
      throw new LedgerError('permission', 'request from an unknown frame refused');
    const req = validateRequest(raw);
    if (req.method === 'uiState') {
      const a = req.args as typeof ui;
      ui = { ledger: a.ledger, path: a.path, replay_offset: a.replay_offset };
      if (a.path) win.setTitle(`${path.basename(a.path)} — Ledger Inspector`);
      updateMenu();
    }
    return await host.request({ id, method: req.method, args: req.args, job: req.job });
  } catch (e) {
    const err = e instanceof LedgerError ? e : new LedgerError('internal', (e as Error).message);
    return { id, ok: false, error: { code: err.code, message: err.message } };
  }
});

host.subscribe(send);

app.on('second-instance', (_e, argv) => {
  const p = pathFromArgv(argv);
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
  if (p) openPath(p);
});

app.whenReady().then(() => {
  nativeTheme.themeSource = settings.theme;
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  updateMenu();
  createWindow(pathFromArgv(process.argv));
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});
app.on('window-all-closed', () => {
  void host.close();
  app.quit();
});
