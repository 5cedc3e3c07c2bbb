// A stand-in for the `electron` module, for tests on machines without an Electron
// binary. It is NOT Electron: it implements only the main-process API that
// src/main/index.ts uses, so that the built out/main/index.js runs in plain Node.
// - BrowserWindow is a page of Debian's Chromium driven by Playwright. The real built
//   preload (out/preload/index.cjs) runs in every frame before the page's scripts,
//   with a `require('electron')` that offers only what a sandboxed preload gets
//   (contextBridge, ipcRenderer, webUtils); ipcRenderer.invoke reaches ipcMain's
//   handler with the calling frame as senderFrame, and webContents.send reaches the
//   top frame's listeners. Not emulated: the sandbox and context isolation
//   themselves (the preload shares the page's world), and Electron's file: handling
//   (Chromium gets --allow-file-access-from-files instead).
// - Menu keeps its template; a test clicks items by id. dialog answers what the test
//   queued (a cancel when nothing is queued) and records every call. session records
//   its permission handlers, clipboard keeps its text, screen reports what the test
//   set, app records recent documents and quit calls. app is ready when the test says.
// e2e/electron-stand-in/hooks.mjs resolves `electron` to this file.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../playwright.config.ts';

type Options = Record<string, unknown>;
type Handler = (event: object, ...args: unknown[]) => unknown;
type DialogMethod = 'showOpenDialog' | 'showSaveDialog' | 'showMessageBox' | 'showMessageBoxSync';
interface Display {
  workArea: { x: number; y: number; width: number; height: number };
}

/** A main-process event: preventDefault() as Electron's. */
const newEvent = () => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

/** What the test sets and reads. */
export const standIn = {
  userData: '',
  /** Another instance holds the single-instance lock. */
  lockTaken: false,
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] as Display[],
  clipboard: '',
  /** When set, clipboard.writeText throws it (as a locked clipboard does). */
  clipboardError: null as string | null,
  recentDocuments: [] as string[],
  quitCalls: 0,
  quitted: false,
  permissionRequestHandler: null as null | ((wc: unknown, permission: string, callback: (ok: boolean) => void, details: object) => void),
  permissionCheckHandler: null as null | ((wc: unknown, permission: string) => boolean),
  dialogCalls: [] as Array<{ method: DialogMethod; options: Options }>,
  answers: new Map<DialogMethod, unknown[]>(),
  errorBoxes: [] as string[],
  windows: [] as BrowserWindow[],
  browser: null as Browser | null,
  ready: () => {},

  /** Ends the last loaded main process (its window-all-closed closes its engine host) and forgets it. */
  async reset() {
    if (this.windows.length) app.emit('window-all-closed');
    for (const w of this.windows) await w.webContents.page?.close();
    handlers.clear();
    app.removeAllListeners();
    app.renew();
    Menu.current = null;
    Object.assign(this, {
      lockTaken: false,
      displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
      clipboard: '',
      clipboardError: null,
      recentDocuments: [],
      quitCalls: 0,
      quitted: false,
      permissionRequestHandler: null,
      permissionCheckHandler: null,
      dialogCalls: [],
      answers: new Map(),
      errorBoxes: [],
      windows: [],
    });
  },
  answer(method: DialogMethod, value: unknown) {
    this.answers.set(method, [...(this.answers.get(method) ?? []), value]);
  },
  async close() {
    await this.browser?.close();
    this.browser = null;
  },
};

class App extends EventEmitter {
  isPackaged = false;
  private readyPromise!: Promise<void>;
  constructor() {
    super();
    this.renew();
  }
  renew() {
    this.readyPromise = new Promise<void>((resolve) => {
      standIn.ready = () => {
        resolve();
        this.emit('ready');
      };
    });
  }
  whenReady() {
    return this.readyPromise;
  }
  requestSingleInstanceLock() {
    return !standIn.lockTaken;
  }
  getPath(name: string) {
    if (name !== 'userData') throw new Error(`stand-in: no path "${name}"`);
    return standIn.userData;
  }
  getVersion() {
    return '0.0.0-stand-in';
  }
  addRecentDocument(p: string) {
    standIn.recentDocuments.push(p);
  }
  clearRecentDocuments() {
    standIn.recentDocuments = [];
  }
  /** As Electron: before-quit may be prevented, then each window's close may be. */
  quit() {
    standIn.quitCalls++;
    const e = newEvent();
    this.emit('before-quit', e);
    if (e.defaultPrevented) return;
    for (const w of [...standIn.windows]) if (!w.close()) return;
    standIn.quitted = true;
    this.emit('quit');
  }
  exit() {
    standIn.quitted = true;
  }
}
export const app = new App();

const handlers = new Map<string, Handler>();
export const ipcMain = {
  handle(channel: string, fn: Handler) {
    handlers.set(channel, fn);
  },
};

/** The init script: a sandboxed preload's `require('electron')`, then the preload itself. */
function bootstrap(preload: string): string {
  return `(() => {
  const listeners = new Map();
  Object.defineProperty(window, '__standInDeliver', { value: (channel, payload) => { for (const l of listeners.get(channel) ?? []) l({}, payload); } });
  const electron = {
    contextBridge: { exposeInMainWorld: (name, api) => Object.defineProperty(window, name, { value: Object.freeze(api) }) },
    ipcRenderer: {
      invoke: (channel, arg) => window.__standInInvoke(channel, arg),
      on: (channel, l) => listeners.set(channel, new Set([...(listeners.get(channel) ?? []), l])),
      off: (channel, l) => listeners.get(channel)?.delete(l),
    },
    webUtils: { getPathForFile: (file) => file.path ?? '' },
  };
  const require = (id) => { if (id === 'electron') return electron; throw new Error('a sandboxed preload cannot require ' + id); };
  const module = { exports: {} };
  (function (require, module, exports) {
${preload}
  })(require, module, module.exports);
})();`;
}

class WebContents extends EventEmitter {
  page: Page | null = null;
  /** The top frame as main sees it; any other frame is another object. */
  readonly mainFrame = { top: true };
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  private readonly win: BrowserWindow;
  constructor(win: BrowserWindow) {
    super();
    this.win = win;
  }

  async load(url: string) {
    standIn.browser ??= await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--allow-file-access-from-files'] });
    const page = (this.page = await standIn.browser.newPage());
    await page.exposeBinding('__standInInvoke', ({ frame }: { frame: Frame }, channel: string, arg: unknown) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return handler({ sender: this, senderFrame: frame === page.mainFrame() ? this.mainFrame : { top: false, url: frame.url() } }, arg);
    });
    const preload = (this.win.options.webPreferences as { preload: string }).preload;
    await page.addInitScript({ content: bootstrap(fs.readFileSync(preload, 'utf8')) });
    await page.goto(url);
    this.emit('did-finish-load');
    this.win.emit('ready-to-show');
  }

  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
    void this.page?.evaluate(([c, p]) => (window as unknown as { __standInDeliver: (c: unknown, p: unknown) => void }).__standInDeliver(c, p), [channel, payload] as const).catch(() => {});
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
}

export class BrowserWindow extends EventEmitter {
  readonly webContents: WebContents;
  title = '';
  visible = false;
  maximized = false;
  minimized = false;
  focused = false;
  readonly options: Options;
  constructor(options: Options) {
    super();
    this.options = options;
    this.webContents = new WebContents(this);
    standIn.windows.push(this);
    this.title = String(options.title ?? '');
  }
  loadFile(file: string) {
    return this.webContents.load(pathToFileURL(file).href);
  }
  loadURL(url: string) {
    return this.webContents.load(url);
  }
  show() {
    this.visible = true;
  }
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.minimized = false;
  }
  focus() {
    this.focused = true;
  }
  getNormalBounds() {
    const { x = 0, y = 0, width, height } = this.options as { x?: number; y?: number; width: number; height: number };
    return { x, y, width, height };
  }
  setTitle(t: string) {
    this.title = t;
  }
  getTitle() {
    return this.title;
  }
  /** False when a close listener prevented it. */
  close(): boolean {
    const e = newEvent();
    this.emit('close', e);
    if (e.defaultPrevented) return false;
    void this.webContents.page?.close();
    standIn.windows = standIn.windows.filter((w) => w !== this);
    this.emit('closed');
    if (!standIn.windows.length) app.emit('window-all-closed');
    return true;
  }
}

interface Template {
  id?: string;
  label?: string;
  role?: string;
  enabled?: boolean;
  accelerator?: string;
  click?: () => void;
  submenu?: Template[];
}

export class Menu {
  static current: Menu | null = null;
  readonly template: Template[];
  constructor(template: Template[]) {
    this.template = template;
  }
  static buildFromTemplate(template: Template[]) {
    return new Menu(template);
  }
  static setApplicationMenu(m: Menu) {
    Menu.current = m;
  }
  static getApplicationMenu() {
    return Menu.current;
  }
  getMenuItemById(id: string): Template | null {
    const find = (items: Template[]): Template | null => {
      for (const i of items) {
        if (i.id === id) return i;
        const inner = i.submenu && find(i.submenu);
        if (inner) return inner;
      }
      return null;
    };
    return find(this.template);
  }
  /** Clicks an item as a user would: only when it is enabled. */
  click(id: string): boolean {
    const item = this.getMenuItemById(id);
    if (!item) throw new Error(`stand-in: no menu item "${id}"`);
    if (item.enabled === false) return false;
    item.click?.();
    return true;
  }
}

const CANCELLED: Record<DialogMethod, (o: Options) => unknown> = {
  showOpenDialog: () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: () => ({ canceled: true }),
  showMessageBox: (o) => ({ response: o.cancelId ?? 0 }),
  showMessageBoxSync: (o) => o.cancelId ?? 0,
};
function answer(method: DialogMethod, args: unknown[]) {
  const options = (args.at(-1) ?? {}) as Options;
  standIn.dialogCalls.push({ method, options });
  const queued = standIn.answers.get(method);
  return queued?.length ? queued.shift() : CANCELLED[method](options);
}
export const dialog = {
  showOpenDialog: async (...a: unknown[]) => answer('showOpenDialog', a),
  showSaveDialog: async (...a: unknown[]) => answer('showSaveDialog', a),
  showMessageBox: async (...a: unknown[]) => answer('showMessageBox', a),
  showMessageBoxSync: (...a: unknown[]) => answer('showMessageBoxSync', a),
  showErrorBox: (title: string, content: string) => void standIn.errorBoxes.push(`${title}: ${content}`),
};

export const nativeTheme = { themeSource: 'system', shouldUseDarkColors: false };
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (h: typeof standIn.permissionRequestHandler) => void (standIn.permissionRequestHandler = h),
    setPermissionCheckHandler: (h: typeof standIn.permissionCheckHandler) => void (standIn.permissionCheckHandler = h),
  },
};
export const shell = { openExternal: async () => {} };
export const clipboard = {
  writeText: (t: string) => {
    if (standIn.clipboardError) throw new Error(standIn.clipboardError);
    standIn.clipboard = t;
  },
  readText: () => standIn.clipboard,
};
export const screen = {
  getAllDisplays: () => standIn.displays,
  getPrimaryDisplay: () => standIn.displays[0],
};

/** As on a machine without a keychain: the shell then keeps database passwords for the session only. */
export const safeStorage = {
  isEncryptionAvailable: () => false,
  encryptString: (): Buffer => {
    throw new Error('encryption is not available');
  },
  decryptString: (): string => {
    throw new Error('encryption is not available');
  },
};
export default { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeTheme, safeStorage, screen, session, shell };
