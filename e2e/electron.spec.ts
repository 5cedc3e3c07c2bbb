// The desktop app itself, where an Electron binary is present (skipped elsewhere; the same
// scenarios run everywhere against the Electron stand-in in e2e/shell.spec.ts).
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { electronBinary } from '../scripts/electron-binary.ts';
import { ledgerOf } from './serve.ts';

const binary = electronBinary();
const ROOT = path.resolve(import.meta.dirname, '..');
const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'li-electron-'));
const A = ledgerOf(20_000, 5);
const B = ledgerOf(3_000, 9);

test.skip(!binary, 'skipped: no Electron binary on this machine (npm start downloads it where there is internet)');

/** The app with its own user-data folder, run from `cwd` with the user's arguments. */
function launch(args: string[], cwd = ROOT, userData = fresh()): Promise<ElectronApplication> {
  return electron.launch({ executablePath: binary!, args: [ROOT, `--user-data-dir=${userData}`, ...args], cwd });
}

test('a relative path on the command line opens, in a locked-down window; the menu follows the window', async () => {
  const app = await launch([path.basename(A)], path.dirname(A));
  const win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('20,000 events');
  // No Node in the page, only the bridge (the options themselves are asserted against the stand-in).
  expect(await win.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process, typeof window.ledgerInspector?.request])).toEqual(['undefined', 'undefined', 'function']);
  const enabled = () => app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.getMenuItemById('export-snapshot')!.enabled);
  expect(await enabled()).toBe(true);
  await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.getMenuItemById('close')!.click());
  await expect(win.getByTestId('ledger-meta')).toHaveCount(0);
  await expect.poll(enabled).toBe(false);
  await app.close();
});

test('exports a snapshot from the menu, Browse… fills the path, Copy as JSON reaches the clipboard', async () => {
  const app = await launch([A]);
  const win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('20,000 events');
  const dest = path.join(fresh(), 'snap.db');
  const answerSave = (target: string) =>
    app.evaluate(({ dialog }, target) => {
      dialog.showSaveDialog = (async () => ({ canceled: false, filePath: target })) as typeof dialog.showSaveDialog;
    }, target);
  await answerSave(dest);
  await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.getMenuItemById('export-snapshot')!.click());
  await expect.poll(() => fs.existsSync(dest), { timeout: 60_000 }).toBe(true);

  const chosen = path.join(fresh(), 'chosen.db');
  await answerSave(chosen);
  await win.getByTestId('export-open').click();
  await win.getByTestId('export-browse').click();
  await expect(win.getByTestId('export-dest')).toHaveValue(chosen);
  await win.getByRole('button', { name: 'Close' }).click();

  await win.getByRole('button', { name: 'Copy as JSON' }).click();
  await expect(win.getByRole('button', { name: 'Copied' })).toBeVisible();
  const copied = JSON.parse(await app.evaluate(({ clipboard }) => clipboard.readText())) as { offset: number };
  await expect(win.getByTestId('detail')).toContainText(`offset ${copied.offset}`);
  await app.close();
});

test('second-instance and open-file open the right absolute path', async () => {
  const app = await launch([A]);
  const win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('20,000 events');
  await app.evaluate(({ app }, b) => app.emit('second-instance', {}, ['electron', '.', b.name], b.dir), { name: path.basename(B), dir: path.dirname(B) });
  await expect(win.getByTestId('ledger-meta')).toContainText('3,000 events');
  await app.evaluate(({ app }, a) => app.emit('open-file', { preventDefault() {} }, a), A);
  await expect(win.getByTestId('ledger-meta')).toContainText('20,000 events');
  await app.close();
});

test('the first launch opens the sample with a welcome; the next reopens the last ledger', async () => {
  const userData = fresh();
  let app = await launch([], ROOT, userData);
  let win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('200,000 events', { timeout: 90_000 });
  await expect(win.locator('.notice')).toContainText('Welcome to Ledger Inspector');
  await app.close();
  fs.writeFileSync(path.join(userData, 'settings.json'), JSON.stringify({ recent: [B] }));
  app = await launch([], ROOT, userData);
  win = await app.firstWindow();
  await expect(win.getByTestId('ledger-meta')).toContainText('3,000 events');
  await app.close();
});
