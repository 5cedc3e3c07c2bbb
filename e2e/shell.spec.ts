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
import { ledgerOf } from './serve.ts';

test.describe.configure({ mode: 'serial' });

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
