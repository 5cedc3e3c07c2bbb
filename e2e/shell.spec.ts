// The built Electron main process and preload, run against the Electron stand-in
// (e2e/electron-stand-in: a page of Chromium for the window, the real preload in it,
// dialogs that answer as each test says). What needs a real Electron binary is in
// e2e/electron.spec.ts.
import { expect, test, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMain } from './electron-stand-in/load.ts';
import { ledgerOf, startServe } from './serve.ts';

const argv = process.argv;
test.afterAll(async () => {
  // The last main process loaded ends, with its engine host, and the stand-in's Chromium closes.
  const { standIn } = await import('./electron-stand-in/electron.ts');
  await standIn.reset();
  await standIn.close();
  process.argv = argv;
});

const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'li-shell-'));
const A = ledgerOf(20_000, 5);
const B = ledgerOf(3_000, 9);

async function page(s: Awaited<ReturnType<typeof loadMain>>): Promise<Page> {
  await expect.poll(() => s.windows[0]?.webContents.page ?? null).not.toBeNull();
  return s.windows[0]!.webContents.page!;
}
const menu = async () => (await import('./electron-stand-in/electron.ts')).Menu.current!;

test('a first launch with a relative path opens it, in a window locked down, and the menu follows the window', async () => {
  const userData = fresh();
  const s = await loadMain((s) => (s.userData = userData), [path.relative(process.cwd(), A)]);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('20,000 events');
  const win = s.windows[0]!;
  expect(win.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
  expect(win.title).toBe(`${path.basename(A)} — Ledger Inspector`);
  expect(s.recentDocuments).toEqual([A]);
  // Every permission is refused; the clipboard goes through main instead.
  const asked = await new Promise((resolve) => s.permissionRequestHandler!(null, 'clipboard-sanitized-write', resolve, {}));
  expect(asked).toBe(false);
  expect(s.permissionCheckHandler!(null, 'clipboard-read')).toBe(false);
  const m = await menu();
  expect(m.getMenuItemById('export-snapshot')!.enabled).toBe(true);
  expect(m.getMenuItemById('export-snapshot-step')!.enabled).toBe(false);
  m.click('close');
  await expect(p.getByTestId('ledger-meta')).toHaveCount(0);
  await expect.poll(async () => (await menu()).getMenuItemById('export-snapshot')!.enabled).toBe(false);
  expect((await menu()).click('export-snapshot')).toBe(false);
});

test('the menu exports a snapshot through the save dialog, Copy as JSON reaches the clipboard, other frames are refused', async () => {
  const s = await loadMain((s) => (s.userData = fresh()), [A]);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('20,000 events');

  const dest = path.join(fresh(), 'snap.db');
  s.answer('showSaveDialog', { canceled: false, filePath: dest });
  expect((await menu()).click('export-snapshot')).toBe(true);
  await expect.poll(() => s.dialogCalls.map((c) => c.method)).toEqual(['showSaveDialog']);
  await expect.poll(() => fs.existsSync(dest), { timeout: 60_000 }).toBe(true);
  await expect.poll(() => new Database(dest, { readonly: true }).prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 20_000 });
  expect(s.errorBoxes).toEqual([]);

  await p.getByRole('button', { name: 'Copy as JSON' }).click();
  await expect(p.getByRole('button', { name: 'Copied' })).toBeVisible();
  const copied = JSON.parse(s.clipboard) as { offset: number; kind: string };
  await expect(p.getByTestId('detail')).toContainText(`offset ${copied.offset}`);
  s.clipboardError = 'the clipboard is locked';
  await p.getByRole('button', { name: 'Copy as JSON' }).click();
  await expect(p.getByRole('button', { name: 'Copy failed' })).toBeVisible();
  s.clipboardError = null;

  // A frame inside the window, given the same bridge, is refused by main for both channels.
  const refused = await p.evaluate(async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = '<p>inner</p>';
    document.body.append(frame);
    await new Promise((r) => frame.addEventListener('load', r));
    const bridge = (frame.contentWindow as unknown as { ledgerInspector: { request: (r: object) => Promise<unknown>; shell: (r: object) => Promise<unknown> } }).ledgerInspector;
    return [await bridge.request({ id: 7, method: 'generate', args: { dest: '/tmp/x.db', events: 10 } }), await bridge.shell({ id: 8, method: 'copyText', args: { text: 'x' } })];
  });
  expect(refused).toEqual([
    { id: 7, ok: false, error: { code: 'permission', message: 'request from an unknown frame refused' } },
    { id: 8, ok: false, error: { code: 'permission', message: 'request from an unknown frame refused' } },
  ]);
  expect(s.clipboard).not.toBe('x');
});

test('the export dialog’s Browse… opens the native save dialog and fills in its path', async () => {
  const s = await loadMain((s) => (s.userData = fresh()), [A]);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('20,000 events');
  await p.getByTestId('export-open').click();
  const chosen = path.join(fresh(), 'chosen.db');
  s.answer('showSaveDialog', { canceled: false, filePath: chosen });
  await p.getByTestId('export-browse').click();
  await expect(p.getByTestId('export-dest')).toHaveValue(chosen);
  // A cancelled dialog leaves the path as it was.
  await p.getByTestId('export-browse').click();
  await expect.poll(() => s.dialogCalls.length).toBe(2);
  await expect(p.getByTestId('export-dest')).toHaveValue(chosen);
  await p.getByTestId('export-go').click();
  await expect.poll(() => fs.existsSync(chosen), { timeout: 60_000 }).toBe(true);
});

test('a second launch’s path is resolved against its own working directory', async () => {
  const s = await loadMain((s) => (s.userData = fresh()), [A]);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('20,000 events');
  const { app } = await import('./electron-stand-in/electron.ts');
  s.windows[0]!.minimized = true;
  app.emit('second-instance', {}, ['/usr/bin/electron', '/somewhere/app', path.basename(B)], path.dirname(B));
  await expect(p.getByTestId('ledger-meta')).toContainText('3,000 events');
  expect(s.windows[0]!.minimized).toBe(false);
  expect(s.recentDocuments).toEqual([A, B]);
});

test('a file opened from Finder before the app is ready is opened once the window has loaded', async () => {
  const s = await loadMain((s) => (s.userData = fresh()), [A]);
  const { app } = await import('./electron-stand-in/electron.ts');
  const e = { defaultPrevented: false, preventDefault: () => (e.defaultPrevented = true) };
  app.emit('open-file', e, B);
  expect(e.defaultPrevented).toBe(true);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('3,000 events');
  expect(s.recentDocuments).toEqual([B]);
});

test('a launch without a path reopens the last ledger, on the display it was on if that is still there', async () => {
  const userData = fresh();
  fs.writeFileSync(path.join(userData, 'settings.json'), JSON.stringify({ recent: [B, A], bounds: { x: 2500, y: 200, width: 1000, height: 700 } }));
  const s = await loadMain((s) => {
    s.userData = userData;
    s.displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }]; // the second monitor is gone
  });
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('3,000 events');
  expect(s.windows[0]!.options).toMatchObject({ width: 1000, height: 700 });
  expect(s.windows[0]!.options.x).toBeUndefined();
});

test('the first launch opens the sample ledger with a welcome', async () => {
  const userData = fresh();
  const s = await loadMain((s) => (s.userData = userData));
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('200,000 events', { timeout: 90_000 });
  await expect(p.locator('.notice')).toContainText('Welcome to Ledger Inspector');
  await expect(p.locator('.notice')).toContainText('Open Ledger');
  expect(s.recentDocuments).toEqual([path.join(userData, 'sample-ledger.db')]);
});

test('quitting while a job runs asks; keeping on changes nothing, quitting cancels the job and leaves no partial file', async () => {
  const s = await loadMain((s) => (s.userData = fresh()), [B]);
  s.ready();
  const p = await page(s);
  await expect(p.getByTestId('ledger-meta')).toContainText('3,000 events');
  const dir = fresh();
  const dest = path.join(dir, 'big.db');
  // A job the window started: a ledger far too big to be finished by the time we quit.
  // (Its answer never reaches the page, which closes as the app quits; the engine's jobDone push does.)
  void p.evaluate((dest) => (window as unknown as { ledgerInspector: { request: (r: object) => Promise<unknown> } }).ledgerInspector.request({ id: 99, method: 'generate', args: { dest, events: 50_000_000 }, job: 'big-job' }), dest).catch(() => {});
  const wc = s.windows[0]!.webContents;
  await expect.poll(() => fs.readdirSync(dir).length).toBeGreaterThan(0);
  const { app } = await import('./electron-stand-in/electron.ts');

  s.answer('showMessageBoxSync', 1); // Keep Working
  app.quit();
  expect(s.dialogCalls.at(-1)).toMatchObject({ method: 'showMessageBoxSync', options: { message: 'A job is still running.' } });
  expect(s.quitted).toBe(false);
  expect(s.windows).toHaveLength(1);

  s.answer('showMessageBoxSync', 0); // Cancel the Job and Quit
  app.quit();
  await expect.poll(() => s.quitted).toBe(true);
  const done = wc.sent.map((m) => m.payload as { event: string; payload: { job?: string } }).find((m) => m.event === 'jobDone' && m.payload.job === 'big-job');
  expect(done?.payload).toMatchObject({ ok: false, error: expect.stringMatching(/^cancelled/) });
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('a second instance quits at the single-instance lock before starting an engine host', async () => {
  const wt = (await import('node:worker_threads')).default; // the exports object, which named imports follow once synced
  const { syncBuiltinESMExports } = await import('node:module');
  const Real = wt.Worker;
  let started = 0;
  // Counts engine workers started meanwhile (the host starts two).
  (wt as { Worker: typeof Real }).Worker = class extends Real {
    constructor(...a: ConstructorParameters<typeof Real>) {
      super(...a);
      started++;
    }
  };
  syncBuiltinESMExports();
  try {
    const s = await loadMain((s) => {
      s.userData = fresh();
      s.lockTaken = true;
    }, [A]);
    s.ready();
    expect(started).toBe(0);
    expect(s.quitCalls).toBe(1);
    const { app } = await import('./electron-stand-in/electron.ts');
    await app.whenReady(); // anything waiting for ready has run
    expect(s.windows).toEqual([]);
  } finally {
    (wt as { Worker: typeof Real }).Worker = Real;
    syncBuiltinESMExports();
  }
});

test('in a browser tab (serve mode) the export dialog has no Browse… and Copy as JSON uses the page’s clipboard', async ({ page, context }) => {
  const served = await startServe(B);
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(served.url).origin });
    await page.goto(served.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('3,000 events');
    await page.getByRole('button', { name: 'Copy as JSON' }).click();
    await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as { offset: number };
    await expect(page.getByTestId('detail')).toContainText(`offset ${copied.offset}`);
    await page.getByTestId('export-open').click();
    await expect(page.getByTestId('export-dest')).toBeVisible();
    await expect(page.getByTestId('export-browse')).toHaveCount(0);
  } finally {
    served.stop();
  }
});
