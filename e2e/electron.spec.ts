// The desktop app itself, where an Electron binary is present: launch with a
// ledger on the command line, and export a snapshot from the menu.
import { _electron as electron, expect, test } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { electronBinary } from '../scripts/electron-binary.ts';
import { ledgerOf } from './serve.ts';

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
