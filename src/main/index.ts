// Electron main process: window, native menu, dialogs, recent files, single
// instance. Thin by design: it checks each IPC message against the contract and
// its sender, then hands it to the engine host, which runs off this thread.
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeTheme, safeStorage, screen, session, shell, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorResponse, isJob, laneOf, validateRequest, validateShellRequest, type Method, type Push, type Request, type Response, type ShellArgs } from '../shared/contract.ts';
import { LedgerError } from '../shared/errors.ts';
import { EngineHost } from './host/host.ts';
import { restoredBounds } from './shell/bounds.ts';
import { pathFromArgv, SAMPLE, startupLedger } from './shell/launch.ts';
import { menuModel, type ItemId, type MenuNode } from './shell/menu-model.ts';
import { addRecent, loadSettings, saveSettings, type Settings } from './shell/settings.ts';
import { UrlSecrets } from './engine/pg/pg-secrets.ts';
import { isPgUrl } from './engine/pg/pg-url.ts';

// A second launch hands its path to the first (see 'second-instance') and quits before
// it starts anything of its own.
if (!app.requestSingleInstanceLock()) app.quit();
else main();

function main() {
  const userData = app.getPath('userData');
  // Saved mappings and rules live beside the settings; the engine host reads this.
  process.env.LEDGER_INSPECTOR_DATA ??= userData;
  const samplePath = path.join(userData, SAMPLE.file);
  let settings: Settings = loadSettings(userData);
  let win: BrowserWindow | null = null;
  let loaded = false;
  // macOS sends open-file (Finder, Dock, a file association) before ready and before the window can take it.
  const queued: string[] = [];
  // Caches go to the same folder the CLI uses (XDG cache, or LEDGER_INSPECTOR_CACHE).
  const host = new EngineHost();
  /** What the window last told us it shows. */
  let ui = { ledger: null as string | null, path: null as string | null, replay_offset: null as number | null };
  /** Jobs running now that write a file (the window's and the menu's), by job id. */
  const running = new Map<string, Promise<Response>>();
  let quitting = false;

  const exists = (p: string) => fs.existsSync(p);
  const save = (next: Settings) => saveSettings(userData, (settings = next));
  // Database passwords: sealed by the OS keychain where it is there, else kept for this session only.
  let secrets: UrlSecrets | null = null;
  const urlSecrets = () =>
    (secrets ??= new UrlSecrets(
      safeStorage.isEncryptionAvailable()
        ? {
            get: () => settings.secrets ?? {},
            set: (all) => save({ ...settings, secrets: all }),
            sealer: { seal: (s) => safeStorage.encryptString(s).toString('base64'), open: (s) => safeStorage.decryptString(Buffer.from(s, 'base64')) },
          }
        : null,
    ));

  function send(push: Push) {
    win?.webContents.send('ledger:push', push);
  }

  /** Asks the window to open a path; the open itself (and so the recent lists) happens when it succeeds. */
  function openPath(p: string, notice?: string) {
    if (!loaded) return void queued.push(p);
    send({ event: 'command', payload: { command: 'open', path: p, ...(notice ? { notice } : {}) } });
  }

  function opened(p: string) {
    save(addRecent(settings, p));
    app.addRecentDocument(p);
    updateMenu();
  }

  async function openSample(notice?: string) {
    if (!exists(samplePath)) {
      const res = await host.request({ id: 0, method: 'generate', args: { dest: samplePath, events: SAMPLE.events, seed: SAMPLE.seed } });
      if (!res.ok) return void dialog.showErrorBox('Ledger Inspector', `Could not create the sample ledger: ${res.error.message}`);
    }
    openPath(samplePath, notice);
  }

  /** Every engine call from main or the window; jobs that write are tracked so that quitting can cancel them. */
  function engine(req: Request): Promise<Response> {
    const job = req.job;
    const res = host.request(req);
    // The export lane's jobs write files: quitting must not cut them short unasked.
    if (job && laneOf(req.method as Method) === 'export') {
      running.set(job, res);
      void res.finally(() => running.delete(job));
    }
    return res;
  }

  async function runJob(method: 'snapshot' | 'exportJsonl' | 'importJsonl', args: Record<string, unknown>) {
    // The window shows the job's progress and offers cancel; it learns of it from the pushes.
    const res = await engine({ id: 0, method, args, job: crypto.randomUUID() });
    if (!res.ok && res.error.code !== 'cancelled') dialog.showErrorBox('Ledger Inspector', res.error.message);
    return res.ok;
  }

  async function chooseExportPath(kind: ShellArgs<'chooseExportPath'>['kind']): Promise<string | null> {
    if (!win) return null;
    if (kind === 'snapshot') {
      const r = await dialog.showSaveDialog(win, { defaultPath: 'snapshot.db', filters: [{ name: 'SQLite ledger', extensions: ['db'] }] });
      return r.canceled || !r.filePath ? null : r.filePath;
    }
    const r = await dialog.showOpenDialog(win, { title: 'Export JSONL into an empty folder', properties: ['openDirectory', 'createDirectory'] });
    return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
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
      case 'connect-postgres':
        return send({ event: 'command', payload: { command: 'connect' } });
      case 'export-snapshot':
      case 'export-snapshot-step': {
        if (!ui.ledger) return;
        const dest = await chooseExportPath('snapshot');
        if (!dest) return;
        const upTo = id === 'export-snapshot-step' && ui.replay_offset !== null ? { up_to_offset: ui.replay_offset } : {};
        await runJob('snapshot', { ledger: ui.ledger, dest, ...upTo });
        return;
      }
      case 'export-jsonl': {
        if (!ui.ledger) return;
        const dir = await chooseExportPath('jsonl');
        if (dir) await runJob('exportJsonl', { ledger: ui.ledger, dir });
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
        save({ ...settings, recent: [] });
        app.clearRecentDocuments();
        return updateMenu();
      case 'theme-light':
      case 'theme-dark':
      case 'theme-system': {
        const theme = id.slice('theme-'.length) as Settings['theme'];
        save({ ...settings, theme });
        nativeTheme.themeSource = theme;
        send({ event: 'command', payload: { command: 'theme', theme } });
        return updateMenu();
      }
      case 'toggle-detail':
        save({ ...settings, detailPane: !settings.detailPane });
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

  /**
   * Quitting (or closing the window) while a job runs asks first; yes cancels every job,
   * waits for each to end (the engine removes a cancelled job's partial file), then quits.
   */
  function holdQuit(e: { preventDefault(): void }): void {
    if (quitting || running.size === 0) return;
    e.preventDefault();
    const ask: Electron.MessageBoxSyncOptions = {
      type: 'question',
      buttons: ['Cancel the Job and Quit', 'Keep Working'],
      defaultId: 1,
      cancelId: 1,
      message: running.size === 1 ? 'A job is still running.' : `${running.size} jobs are still running.`,
      detail: 'Quitting cancels it and removes the file it was writing.',
    };
    const answer = win ? dialog.showMessageBoxSync(win, ask) : dialog.showMessageBoxSync(ask);
    if (answer !== 0) return;
    quitting = true;
    const jobs = [...running];
    for (const [job] of jobs) void host.request({ id: 0, method: 'cancel', args: { job } });
    void Promise.allSettled(jobs.map(([, res]) => res)).then(() => app.quit());
  }

  function createWindow(startup: ReturnType<typeof startupLedger>) {
    const bounds = restoredBounds(settings.bounds, screen.getAllDisplays().map((d) => d.workArea), { width: 1360, height: 860 });
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
    win.on('close', (e) => {
      holdQuit(e);
      if (win && !e.defaultPrevented) save({ ...settings, bounds: win.getNormalBounds(), maximized: win.isMaximized() });
    });
    win.on('closed', () => {
      win = null;
      loaded = false;
    });
    win.webContents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    win.webContents.on('will-navigate', (e) => e.preventDefault());
    win.webContents.once('did-finish-load', () => {
      loaded = true;
      send({ event: 'command', payload: { command: 'theme', theme: settings.theme } });
      if (!settings.detailPane) send({ event: 'command', payload: { command: 'toggle-detail' } });
      if (queued.length) openPath(queued.splice(0).at(-1)!);
      else if ('open' in startup) openPath(startup.open);
      else void openSample(startup.notice);
    });
    if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
    else void win.loadFile(path.join(import.meta.dirname, '../renderer/index.html'));
  }

  /** Only our own window's top frame may call main. */
  function checkSender(event: IpcMainInvokeEvent): BrowserWindow {
    if (!win || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame)
      throw new LedgerError('permission', 'request from an unknown frame refused');
    return win;
  }

  ipcMain.handle('ledger:call', async (event, raw: Request): Promise<Response> => {
    const id = typeof raw?.id === 'number' ? raw.id : 0;
    try {
      const w = checkSender(event);
      const req = validateRequest(raw);
      if (req.method === 'uiState') {
        const a = req.args as typeof ui;
        ui = { ledger: a.ledger, path: a.path, replay_offset: a.replay_offset };
        if (a.path) w.setTitle(`${path.basename(a.path)} — Ledger Inspector`);
        updateMenu();
      }
      const args = req.args as { path?: unknown };
      // A database URL reaches the engine with its password and the window, menus and recent list without it.
      const database = typeof args.path === 'string' && isPgUrl(args.path);
      if (database) urlSecrets().remember((args.path = urlSecrets().restore(args.path as string)));
      const res = await engine({ id, method: req.method, args: req.args, job: isJob(req.method) ? (req.job ?? crypto.randomUUID()) : undefined });
      if (req.method === 'open' && res.ok) opened(database ? (res.result as { path: string }).path : (req.args as { path: string }).path);
      return res;
    } catch (e) {
      return errorResponse(id, e);
    }
  });

  ipcMain.handle('shell:call', async (event, raw: Request): Promise<Response> => {
    const id = typeof raw?.id === 'number' ? raw.id : 0;
    try {
      checkSender(event);
      const req = validateShellRequest(raw);
      if (req.method === 'copyText') {
        clipboard.writeText((req.args as ShellArgs<'copyText'>).text);
        return { id, ok: true, result: null };
      }
      return { id, ok: true, result: await chooseExportPath((req.args as ShellArgs<'chooseExportPath'>).kind) };
    } catch (e) {
      return errorResponse(id, e);
    }
  });

  host.subscribe(send);

  app.on('open-file', (e, p) => {
    e.preventDefault();
    openPath(p);
  });

  app.on('second-instance', (_e, argv, workingDirectory) => {
    const p = pathFromArgv(argv, workingDirectory, app.isPackaged, exists);
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    if (p) openPath(p);
  });

  app.on('before-quit', holdQuit);

  void app.whenReady().then(() => {
    nativeTheme.themeSource = settings.theme;
    // The page gets no permission at all; the clipboard goes through main (shell:call copyText).
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    updateMenu();
    const given = queued.length ? null : pathFromArgv(process.argv, process.cwd(), app.isPackaged, exists);
    createWindow(startupLedger({ given, recent: settings.recent, sampleExists: exists(samplePath), exists }));
  });

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  app.on('window-all-closed', () => {
    void host.close();
    app.quit();
  });
}
