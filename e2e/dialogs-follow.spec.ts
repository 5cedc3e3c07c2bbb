// Dialogs trap focus, close on Escape and show their errors inside; paths show
// absolute with ~ expanded; a failed open keeps the ledger and its path; follow
// holds the place when the user looks back; the view comes back from the URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CANONICAL_TABLE } from '../src/main/engine/format/schema.ts';
import { cli, DATA, expect, shots, startServe, test } from './serve.ts';


test('the export dialog traps focus, shows the absolute path with ~ expanded, shows errors inside, closes on Escape', async ({ app, served }) => {
  await app.getByTestId('export-open').click();
  const dialog = app.getByTestId('export-dialog');
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  await expect(app.getByTestId('export-dest')).toBeFocused();
  // Tab goes round inside the dialog, never out of it.
  for (let i = 0; i < 12; i++) {
    await app.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await app.getByTestId('export-dest').fill('~/li-export-test.db');
  await expect(app.getByTestId('export-resolved')).toHaveText(`Writes ${path.join(os.homedir(), 'li-export-test.db')}`);
  await app.getByTestId('export-dest').fill('snap-relative.db');
  await expect(app.getByTestId('export-resolved')).toHaveText(`Writes ${path.join(path.dirname(served.file), 'snap-relative.db')}`);
  // An existing file: the error is in the dialog, which stays open.
  await app.getByTestId('export-dest').fill(served.file);
  await app.getByTestId('export-go').click();
  await expect(dialog.getByTestId('export-error')).toContainText(`already exists; choose a new file (${served.file})`);
  await shots(app, '40-export-error');
  // The error stays while the window changes around it (theme, size, other state).
  await expect(dialog.getByTestId('export-error')).toContainText(`already exists; choose a new file (${served.file})`);
  await app.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(app.getByTestId('export-open')).toBeFocused();
  // The go-to dialog too.
  await app.keyboard.press('Control+g');
  await expect(app.getByTestId('goto-input')).toBeFocused();
  await app.keyboard.press('Escape');
  await expect(app.getByTestId('goto-input')).toHaveCount(0);
});

test('a failed open keeps the ledger, puts its path back, and the notices of a ledger go with it', async ({ app, served }) => {
  const bad = path.join(DATA, 'not-a-ledger-2.db');
  fs.mkdirSync(DATA, { recursive: true });
  fs.writeFileSync(bad, 'plain notes\n'.repeat(100));
  await app.getByTestId('path-input').fill(bad);
  await app.getByTestId('path-input').press('Enter');
  await expect(app.getByTestId('error')).toContainText(bad);
  await expect(app.getByTestId('path-input')).toHaveValue(served.file);
  await expect(app.getByTestId('ledger-meta')).toContainText('1,000,000 events');
  // A notice about this ledger (no event at an offset) ...
  await app.keyboard.press('Control+g');
  await app.getByTestId('goto-input').fill('99999999');
  await app.keyboard.press('Enter');
  await expect(app.getByTestId('notice')).toContainText('No event at or after offset 99999999');
  // ... is gone once another ledger is open.
  const other = path.join(DATA, `small-${Date.now()}.db`);
  cli(['generate', other, '--events', '300', '--seed', '4']);
  await app.getByTestId('path-input').fill(other);
  await app.getByTestId('path-input').press('Enter');
  await expect(app.getByTestId('ledger-meta')).toContainText('300 events');
  await expect(app.getByTestId('notice')).toHaveText('');
});

test('follow pauses when the user selects an older row, counts what arrives, and jumps back to the tail', async ({ page }) => {
  const file = path.join(DATA, `follow-pause-${Date.now()}.db`);
  cli(['generate', file, '--events', '1500', '--seed', '6']);
  const s = await startServe(file);
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('1,500 events');
    await page.getByTestId('follow').check();
    await expect(page.getByTestId('status')).toHaveText('1,500 / 1,500');
    await page.getByTestId('event-list').focus();
    await page.keyboard.press('PageUp');
    const held = await page.locator('.row.selected').getAttribute('data-offset');
    const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ id: `p-${i}`, run_id: 'pause-run', kind: 'live.tick', payload: { i } })).join('\n');
    cli(['append', file], `${lines}\n`);
    await expect(page.getByTestId('follow-resume')).toHaveText('7 new events - jump to latest', { timeout: 10_000 });
    // The place is kept while paused.
    await expect(page.locator('.row.selected')).toHaveAttribute('data-offset', held!);
    await shots(page, '41-follow-paused');
    await page.getByTestId('follow-resume').click();
    await expect(page.getByTestId('status')).toHaveText('1,507 / 1,507');
    await expect(page.getByTestId('follow-resume')).toHaveCount(0);
  } finally {
    s.stop();
  }
});

test('the view in the URL comes back on reload and in a new tab', async ({ app, context }) => {
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.keyboard.press('Escape');
  await expect(app.locator('.row[data-position="0"] .c-kind')).toHaveText('node.failed');
  await app.locator('.row[data-position="6"]').click();
  const offset = await app.locator('.row.selected').getAttribute('data-offset');
  await expect.poll(() => app.evaluate(() => location.hash)).toContain(`%22o%22%3A${offset}`);
  const url = app.url();
  await app.reload();
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', offset!);
  const tab = await context.newPage();
  await tab.goto(url);
  await expect(tab.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await expect(tab.locator('.row.selected')).toHaveAttribute('data-offset', offset!);
  await tab.close();
});

test('an empty list says why: a ledger with no events yet, or filters that match none', async ({ app, page }) => {
  await app.getByTestId('text-filter').fill('no event holds this text 7d1f');
  await app.getByTestId('text-filter').press('Enter');
  await expect(app.getByTestId('list-empty')).toHaveText('No events match these filters.');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-e2e-empty-'));
  const file = path.join(dir, 'empty.db');
  new Database(file).exec(CANONICAL_TABLE).close();
  const s = await startServe(file);
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('list-empty')).toHaveText('This ledger has no events yet.');
    await shots(page, '42-empty-ledger');
  } finally {
    s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
