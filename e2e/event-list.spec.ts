// The event list in Debian's Chromium against serve mode, on a 1,000,000-event ledger.
import fs from 'node:fs';
import path from 'node:path';
import { DATA, expect, selectedOffset, shot, test } from './serve.ts';

test('the first rows show, with the first event selected and in the detail pane', async ({ app }) => {
  const first = app.locator('.row[data-position="0"]');
  await expect(first).toHaveAttribute('data-offset', '1');
  await expect(app.locator('.row[data-position="20"]')).toHaveAttribute('data-offset', '21');
  await expect(app.getByTestId('detail')).toContainText('offset 1');
  await expect(app.getByTestId('status')).toHaveText('1 / 1,000,000');
  await shot(app, '01-first-rows');
});

test('End reaches the last event, Home comes back', async ({ app }) => {
  await app.getByTestId('event-list').focus();
  await app.keyboard.press('End');
  await expect(app.getByTestId('status')).toHaveText('1,000,000 / 1,000,000');
  await expect(app.locator('.row[data-position="999999"]')).toHaveAttribute('data-offset', '1000000');
  expect(await selectedOffset(app)).toBe('1000000');
  await expect(app.getByTestId('detail')).toContainText('offset 1000000');
  await shot(app, '02-end');
  await app.keyboard.press('Home');
  await expect(app.locator('.row[data-position="0"]')).toHaveAttribute('data-offset', '1');
  await app.keyboard.press('PageDown');
  await app.keyboard.press('ArrowDown');
  const pos = Number(await app.locator('.row.selected').getAttribute('data-position'));
  expect(pos).toBeGreaterThan(20);
});

test('Ctrl+G lands on a given offset', async ({ app }) => {
  await app.keyboard.press('Control+g');
  await app.getByTestId('goto-input').fill('654321');
  await app.keyboard.press('Enter');
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', '654321');
  await expect(app.locator('.row.selected')).toBeInViewport();
  await expect(app.getByTestId('status')).toHaveText('654,321 / 1,000,000');
  await shot(app, '03-goto-offset');
});

test('selecting a row shows its whole payload as a JSON tree', async ({ app }) => {
  const row = app.locator('.row[data-position="7"]');
  await expect(row).toHaveAttribute('data-offset', '8');
  const preview = await row.locator('.c-payload').textContent();
  await row.click();
  await expect(app.getByTestId('detail')).toContainText('offset 8');
  const payload = JSON.parse(preview!.length < 240 ? preview! : '{}');
  for (const key of Object.keys(payload)) await expect(app.getByTestId('payload')).toContainText(key);
  await expect(app.getByTestId('payload')).toContainText(Object.keys(payload)[0] ?? '');
  await shot(app, '04-selected-payload');
});

test('an invalid file shows a clear error and leaves the open ledger usable', async ({ app }) => {
  fs.mkdirSync(DATA, { recursive: true });
  const bad = path.join(DATA, 'not-a-ledger.db');
  fs.writeFileSync(bad, 'these are notes, not a database\n'.repeat(200));
  await app.getByTestId('path-input').fill(bad);
  await app.getByRole('button', { name: 'Open' }).click();
  const error = app.getByTestId('error');
  await expect(error).toContainText(`Could not open ${bad}`);
  await expect(error).toContainText('not a SQLite database or JSONL ledger');
  await shot(app, '05-open-error');
  // Still browsing the ledger that was open.
  await app.locator('.row[data-position="3"]').click();
  await expect(app.getByTestId('detail')).toContainText('offset 4');
  const missing = path.join(DATA, 'no-such-file.db');
  await app.getByTestId('path-input').fill(missing);
  await app.getByRole('button', { name: 'Open' }).click();
  await expect(error).toContainText('no such file');
});
