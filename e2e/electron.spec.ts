// The desktop app itself, where an Electron binary is present: launch with a
// ledger on the command line, and export a snapshot from the menu.
import { _electron as electron, expect, test } from '@playwright/test';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ledgerOf } from './serve.ts';

/** The installed Electron binary, found without require('electron'), which would try to download one. */
function electronBinary(): string | null {
  const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = path.join(dir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const exe = path.join(dir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(exe) ? exe : null;
}

const binary = electronBinary();

test('launches, opens a ledger from the command line and exports a snapshot from the menu', async () => {
  test.skip(!binary, 'skipped: no Electron binary on this machine (npm start downloads it where there is internet)');
  const file = ledgerOf(20_000, 5);
  const dest = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'li-electron-')), 'snap.db');
  const app = await electron.launch({ executablePath: binary!, args: [path.resolve(import.meta.dirname, '..'), file] });
  const win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('20,000 events');
  await app.evaluate(({ dialog }, target) => {
    dialog.showSaveDialog = (async () => ({ canceled: false, filePath: target })) as typeof dialog.showSaveDialog;
  }, dest);
  await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.getMenuItemById('export-snapshot')!.click());
  await expect.poll(() => fs.existsSync(dest), { timeout: 30_000 }).toBe(true);
  await app.close();
});
